import { dirname, resolve } from 'node:path';
import type { ServeConfig } from '../config/serve-config.js';
import {
  DekCache,
  exportPublicKey,
  type KekProvider,
  type Keyring,
  LocalKeyringProvider,
  loadKeyring,
  observeProvider,
  primaryVersion,
} from '../crypto/index.js';
import { isShroudError, ShroudError } from '../errors.js';
import type { ReadinessCheck } from '../health/index.js';
import {
  createTokenReviewClient,
  inClusterAvailable,
  type TokenReviewer,
  unconfiguredReviewer,
} from '../kube/index.js';
import type { Logger } from '../log/logger.js';
import type { ShroudMetrics } from '../metrics/index.js';
import { createUnsealService, startUnsealServer, UNSEAL_AUDIENCE, type UnsealService } from '../unseal/index.js';
import { openReloadingStore } from '../watch/index.js';
import { checkKeyring, ensureCertificates, type Notify, refuseMissingMaterial } from './dev-material.js';

/** How long a public key fetched from `GET /v1/public-key` is valid for new seals (its `expires`). */
export const FETCHED_PUBLIC_KEY_VALID_DAYS = 7;
/** The unseal service built from a config, not yet listening: what `--role unseal` and `--role all` serve. */
export interface UnsealParts {
  service: UnsealService;
  /** `/readyz` checks: `keyring` (versions, last reload) and `unseal` (TokenReview server, counts). */
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
 * Builds the unseal service: the keyring (checked, a dev one made on first run where allowed,
 * reloaded when its folder changes: a mounted Secret is rewritten in place), the DEK cache,
 * and the TokenReview client. Never loads policies.
 * @throws ShroudError CRYPTO_KEYRING_* / KUBE_CONFIG_INVALID
 */
export async function prepareUnsealParts(
  config: Readonly<ServeConfig>,
  env: { cwd: string; logger: Logger; notify: Notify; metrics?: ShroudMetrics | undefined },
): Promise<UnsealParts> {
  const { logger, metrics } = env;
  const keyringPath = resolve(env.cwd, config.keyringPath);
  await checkKeyring(keyringPath, config, logger, env.notify);
  const reviewer = tokenReviewerFor(config, env.cwd, logger, env.notify);
  const keyrings = await openReloadingStore<Keyring | undefined>({
    dir: dirname(keyringPath),
    load: async () => {
      try {
        return { value: await loadKeyring(keyringPath), issues: [] };
      } catch (err) {
        if (!isShroudError(err)) throw err;
        return { value: undefined, issues: [{ code: err.code, message: err.message, file: keyringPath }] };
      }
    },
    logger,
    what: 'keyring',
    pollMs: config.pollIntervalMs,
    ...(metrics === undefined ? {} : { onReload: (ok: boolean) => metrics.reload('keyring', ok) }),
  });
  const dekCache = new DekCache();
  metrics?.watchDekCache(dekCache);
  const local = new LocalKeyringProvider(keyrings.current()!, { caches: [dekCache] });
  const observed: KekProvider =
    metrics === undefined ? local : observeProvider(local, (id, op, error) => metrics.kekOperation(id, op, error));
  let inForce = keyrings.generation();
  const service = createUnsealService({
    reviewer,
    dekCache,
    logger,
    tokenCache: { ttlMs: config.tokenReviewCacheMs },
    // Fetched files are re-fetched, not kept: a short validity keeps a saved copy from sealing for long.
    publicKey: () => exportPublicKey(keyrings.current()!, { validForDays: FETCHED_PUBLIC_KEY_VALID_DAYS }),
    provider: () => {
      // A reloaded keyring takes effect at the next call; its old keys leave the DEK cache.
      if (keyrings.generation() !== inForce) {
        inForce = keyrings.generation();
        local.reload(keyrings.current()!);
      }
      return observed;
    },
    ...(metrics === undefined ? {} : { onResult: (result: string) => metrics.unseal(result) }),
  });
  return {
    service,
    readiness: {
      keyring: () => {
        const current = keyrings.current()!;
        return {
          ...keyrings.readiness(),
          path: keyringPath,
          keyringId: current.keyringId,
          primaryVersion: primaryVersion(current).version,
          versions: current.versions.map((v) => ({ version: v.version, state: v.state })),
        };
      },
      unseal: service.readiness,
    },
    close: () => {
      keyrings.close();
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
export async function startUnsealRole(
  config: Readonly<ServeConfig>,
  env: { cwd: string; logger: Logger; notify: Notify; metrics?: ShroudMetrics | undefined },
): Promise<RunningUnsealRole> {
  const certDir = resolve(env.cwd, config.certDir);
  refuseMissingMaterial({ certDir, keyringPath: resolve(env.cwd, config.keyringPath) }, config);
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
