import { resolve } from 'node:path';
import type { ServeConfig } from '../config/serve-config.js';
import { DekCache, type KekProvider, observeProvider } from '../crypto/index.js';
import { ShroudError } from '../errors.js';
import type { ReadinessCheck } from '../health/index.js';
import {
  createTokenReviewClient,
  inClusterAvailable,
  type TokenReviewer,
  unconfiguredReviewer,
} from '../kube/index.js';
import type { Logger } from '../log/logger.js';
import { createUnsealService, startUnsealServer, UNSEAL_AUDIENCE, type UnsealService } from '../unseal/index.js';
import { checkKeyring, ensureCertificates, type Notify, refuseMissingMaterial, type RoleEnv } from './dev-material.js';
import { kekChoiceFrom, openKekProvider } from './kek-provider.js';

/** How long a public key fetched from `GET /v1/public-key` is valid for new seals (its `expires`). */
export const FETCHED_PUBLIC_KEY_VALID_DAYS = 7;
/** The unseal service built from a config, not yet listening: what `--role unseal` and `--role all` serve. */
export interface UnsealParts {
  service: UnsealService;
  /** `/readyz` checks: `keyring` (the local keyring: versions, last reload) or `kek` (a token's health and versions), and `unseal` (TokenReview server, counts). */
  readiness: Record<string, () => ReadinessCheck>;
  close(): void;
}

/**
 * Where TokenReviews go: `--kubeconfig` / `SHROUD_KUBECONFIG` when given, else the in-cluster service
 * account when there is one. With neither, `--role unseal` refuses to start; `--role all` (dev)
 * starts, and its unseal calls answer 503 saying what to configure.
 * @throws ShroudError KUBE_CONFIG_INVALID
 */
function tokenReviewerFor(config: Readonly<ServeConfig>, cwd: string, logger: Logger, notify: Notify): TokenReviewer {
  const options = { audiences: [UNSEAL_AUDIENCE], timeoutMs: config.tokenReviewTimeoutMs };
  if (config.kubeconfigPath !== undefined) {
    return createTokenReviewClient({ ...options, kubeconfigPath: resolve(cwd, config.kubeconfigPath) });
  }
  if (inClusterAvailable(process.env)) return createTokenReviewClient(options);
  if (config.role === 'unseal') {
    throw new ShroudError(
      'KUBE_CONFIG_INVALID',
      'the unseal role needs the Kubernetes API for TokenReviews: run it in a pod with a service account, or give --kubeconfig FILE (or SHROUD_KUBECONFIG)',
    );
  }
  logger.warn({}, 'no Kubernetes API configured: POST /v1/unseal answers 503 until --kubeconfig is given');
  notify('no Kubernetes API configured (--kubeconfig or SHROUD_KUBECONFIG): POST /v1/unseal answers 503');
  return unconfiguredReviewer();
}

/**
 * Builds the unseal service: the KEK provider (openKekProvider: the local keyring, checked, a dev
 * one made on first run where allowed, reloaded when its folder changes; a PKCS#11 token; or a KMS
 * v2 plugin, its Status polled for /readyz, a plugin that is down at start only not ready), the
 * DEK cache, and the TokenReview client. Never loads policies.
 * @throws ShroudError CRYPTO_KEYRING_* / KUBE_CONFIG_INVALID
 */
export async function prepareUnsealParts(config: Readonly<ServeConfig>, env: RoleEnv): Promise<UnsealParts> {
  const { logger, metrics } = env;
  const choice = kekChoiceFrom(
    { kekProvider: config.kek.provider, keyringPath: config.keyringPath, ...config.kek },
    env.cwd,
    env.environment ?? process.env,
  );
  if (choice.kind === 'local') await checkKeyring(choice.keyringPath, config, logger, env.notify);
  const reviewer = tokenReviewerFor(config, env.cwd, logger, env.notify);
  const dekCache = new DekCache();
  metrics?.watchDekCache(dekCache);
  const kek = await openKekProvider(choice, {
    cwd: env.cwd,
    env: env.environment ?? process.env,
    caches: [dekCache],
    watch: {
      logger,
      pollMs: config.pollIntervalMs,
      ...(metrics === undefined ? {} : { onReload: (ok: boolean) => metrics.reload('keyring', ok) }),
    },
    probeIntervalMs: config.pollIntervalMs,
    // kms: Status on kube-apiserver's cadence, for /readyz and the current key_id.
    pollKms: true,
  });
  if (choice.kind === 'pkcs11') {
    logger.info(
      { provider: 'pkcs11', module: choice.module, tokenLabel: choice.token, keyLabel: choice.keyLabel },
      'KEK provider ready',
    );
  }
  if (choice.kind === 'kms') logger.info({ provider: 'kms', socket: choice.socket }, 'KEK provider opened');
  const observed: KekProvider =
    metrics === undefined
      ? kek.provider
      : observeProvider(kek.provider, (id, op, error) => metrics.kekOperation(id, op, error));
  const { publicKey } = kek;
  const service = createUnsealService({
    reviewer,
    dekCache,
    logger,
    tokenCache: { ttlMs: config.tokenReviewCacheMs },
    // Fetched files are re-fetched, not kept: a short validity keeps a saved copy from sealing for long.
    ...(publicKey === undefined ? {} : { publicKey: () => publicKey(FETCHED_PUBLIC_KEY_VALID_DAYS) }),
    provider: () => observed,
    ...(metrics === undefined ? {} : { onResult: (result: string) => metrics.unseal(result) }),
  });
  return {
    service,
    readiness: {
      [kek.readinessName]: kek.readiness,
      unseal: service.readiness,
    },
    close: () => {
      void kek.close().catch(() => undefined);
      dekCache.clear();
    },
  };
}

/** A running unseal role. */
export interface RunningUnsealRole {
  url: string;
  certDir: string;
  stop(delayMs?: number): Promise<void>;
}

/**
 * The unseal role's composition root (`shroud serve --role unseal`): `POST /v1/unseal`,
 * `/healthz` and `/readyz` over HTTPS on its own --listen and --cert-dir. No policies.
 * @throws ShroudError TLS_* / CRYPTO_KEYRING_* / KUBE_CONFIG_INVALID
 */
export async function startUnsealRole(config: Readonly<ServeConfig>, env: RoleEnv): Promise<RunningUnsealRole> {
  const certDir = resolve(env.cwd, config.certDir);
  refuseMissingMaterial(
    { certDir, ...(config.kek.provider === 'local' ? { keyringPath: resolve(env.cwd, config.keyringPath) } : {}) },
    config,
  );
  await ensureCertificates(certDir, config, env.logger, env.notify);
  const parts = await prepareUnsealParts(config, env);
  try {
    const server = await startUnsealServer({
      host: config.host,
      port: config.port,
      certDir,
      router: parts.service.router,
      logger: env.logger,
      readiness: parts.readiness,
      pollIntervalMs: config.pollIntervalMs,
      limits: config.limits,
    });
    env.metrics?.watchCertificate('serving', server.certificateNotAfter);
    const url = `https://${server.host.includes(':') ? `[${server.host}]` : server.host}:${server.port}`;
    env.logger.info({ url, certDir, role: 'unseal' }, 'listening');
    return {
      url,
      certDir,
      stop: async (delayMs = 0) => {
        await server.shutdown(config.drainTimeoutMs, delayMs);
        parts.close();
      },
    };
  } catch (err) {
    parts.close();
    throw err;
  }
}
