import { resolve } from 'node:path';
import { policySources } from '../config/index.js';
import type { ServeConfig } from '../config/serve-config.js';
import type { Logger } from '../log/logger.js';
import { createInjectionMutator } from '../inject/index.js';
import { createPolicyReviewer, loadPolicySources, type PolicySet } from '../policy/index.js';
import { openReloadingStore } from '../watch/index.js';
import { startWebhookServer } from '../webhook/index.js';
import { checkKeyring, ensureCertificates, type Notify, refuseMissingMaterial, type RoleEnv } from './dev-material.js';
import { countExclusions } from './exclusion-counter.js';
import { openUnsealCa, type UnsealCaSource } from './unseal-ca.js';
import { prepareUnsealParts, type UnsealParts } from './unseal-role.js';

/**
 * Checks the certificates, and the keyring when the role opens values (`unseal`, `all`; the
 * webhook alone never loads it), making dev ones on first run where allowed. `shroud serve
 * --workers N` calls it once in the primary, before any worker starts, so workers never race to
 * create them.
 * @throws ShroudError TLS_* / CRYPTO_KEYRING_* when certificates or keyring cannot be used
 */
export async function prepareServeMaterial(
  config: Readonly<ServeConfig>,
  env: { cwd: string; logger: Logger; notify: Notify },
): Promise<void> {
  const certDir = resolve(env.cwd, config.certDir);
  const keyringPath =
    config.role === 'webhook' || config.kek.provider !== 'local' ? undefined : resolve(env.cwd, config.keyringPath);
  refuseMissingMaterial({ certDir, ...(keyringPath === undefined ? {} : { keyringPath }) }, config);
  await ensureCertificates(certDir, config, env.logger, env.notify);
  if (keyringPath !== undefined) await checkKeyring(keyringPath, config, env.logger, env.notify);
}

/** A running webhook role: what `shroud serve` waits on and stops. */
export interface RunningWebhookRole {
  /** `https://host:port` as bound. */
  url: string;
  /** The certificate folder, resolved. */
  certDir: string;
  /**
   * Graceful stop: keeps accepting for `delayMs` (endpoints are moving; `/readyz` says 503),
   * then drains in-flight reviews (bounded by the config's drain timeout) and closes everything.
   */
  stop(delayMs?: number): Promise<void>;
}

/**
 * The webhook role's composition root: turns a resolved config into running parts. The policy
 * folder is loaded and watched (the last good set stays in force), the certificates are checked
 * (dev ones made on first run, only at the default path), and `/validate` and `/mutate` are
 * served over HTTPS, `/mutate` injecting secrets into labelled pods (docs/injection.md) with the
 * unseal CA of `--unseal-ca` (in dev, the dev CA), kept current as its file changes. With
 * `role: 'all'` (dev) the unseal service (keyring, TokenReviews) is built too and
 * `POST /v1/unseal` is served on the same listener. Relative paths resolve against `cwd`.
 * @throws InitialLoadError when the first policy load has issues (nothing to fall back on)
 * @throws ShroudError TLS_* / CRYPTO_KEYRING_* / INJECT_UNSEAL_CA_INVALID when certificates, keyring or unseal CA cannot be used
 */
export async function startWebhookRole(config: Readonly<ServeConfig>, env: RoleEnv): Promise<RunningWebhookRole> {
  const { logger, metrics } = env;
  const certDir = resolve(env.cwd, config.certDir);
  const sources = policySources(config, env.cwd);
  // The folder that changes is the team's (the built-in one ships with the program); every
  // reload reads them all, so the set is always built-ins + the team's current files.
  const policiesDir = sources.at(-1)!.dir;
  const policies = await openReloadingStore<PolicySet>({
    dir: policiesDir,
    load: () => loadPolicySources(sources, { limits: config.policyLimits }),
    logger,
    what: 'policies',
    pollMs: config.pollIntervalMs,
    ...(metrics === undefined ? {} : { onReload: (ok: boolean) => metrics.reload('policies', ok) }),
  });
  let unsealCa: UnsealCaSource | undefined;
  let unseal: UnsealParts | undefined;
  try {
    await prepareServeMaterial(config, env);
    if (config.role === 'all') unseal = await prepareUnsealParts(config, env);
    // After the material: in dev, the CA is the dev one that was just made if there was none.
    unsealCa = await openUnsealCa(
      {
        file: config.injection.unsealCaFile === undefined ? undefined : resolve(env.cwd, config.injection.unsealCaFile),
        certDir,
        devDefault: config.devCerts && !config.certDirExplicit,
        pollMs: config.pollIntervalMs,
      },
      logger,
    );
    const ca = unsealCa;
    const mutator = createInjectionMutator(() => ({
      image: config.injection.image,
      unsealUrl: config.injection.unsealUrl,
      unsealCaPem: ca.current(),
      sizeLimit: config.injection.sizeLimit,
    }));
    const excluded = countExclusions(
      createPolicyReviewer(policies.current, {
        ...config.verdictLimits,
        enforcementOverride: config.enforcementOverride,
        ...(metrics === undefined ? {} : { observe: metrics.evaluation }),
      }),
    );
    metrics?.watchExclusions(excluded.counts);
    const server = await startWebhookServer({
      host: config.host,
      port: config.port,
      certDir,
      reviewer: excluded.reviewer,
      mutator,
      logger,
      pollIntervalMs: config.pollIntervalMs,
      limits: config.limits,
      ...(config.clientCaFile === undefined ? {} : { clientCaFile: resolve(env.cwd, config.clientCaFile) }),
      readiness: {
        policies: () => ({
          ...policies.readiness(),
          dir: policiesDir,
          builtin: config.builtinPolicies,
          count: policies.current().policies.length,
          // Requests allowed by each exclusion since start (policies/system-exclusions.yaml).
          excludedRequests: excluded.counts(),
          // The enforcement override, only when one is in force (absent: each policy's own).
          ...(config.enforcementOverride === undefined ? {} : { enforcementOverride: config.enforcementOverride }),
        }),
        ...unseal?.readiness,
      },
      ...(unseal === undefined ? {} : { routes: unseal.service.router }),
      ...(metrics === undefined ? {} : { observeAdmission: metrics.admission }),
    });
    metrics?.watchCertificate('serving', () => server.currentTls().notAfter);
    const url = `https://${server.host.includes(':') ? `[${server.host}]` : server.host}:${server.port}`;
    logger.info({ url, certDir, role: config.role }, 'listening');
    return {
      url,
      certDir,
      stop: async (delayMs = 0) => {
        await server.shutdown(config.drainTimeoutMs, delayMs);
        policies.close();
        ca.close();
        unseal?.close();
      },
    };
  } catch (err) {
    policies.close();
    unsealCa?.close();
    unseal?.close();
    throw err;
  }
}
