import type { Server } from 'node:https';
import type { RequestHandler } from 'express';
import type { Mutator, Reviewer } from '../admission/index.js';
import { type ReadinessCheck, readinessFrom } from '../health/index.js';
import { type ConnectionLimits, listenHttps } from '../https/index.js';
import type { Logger } from '../log/logger.js';
import { openTlsSource, type TlsPair } from '../tls/index.js';
import type { AdmissionObserver } from './admission-route.js';
import { createWebhookApp } from './webhook-app.js';

export interface WebhookServerOptions {
  host: string;
  port: number;
  certDir: string;
  reviewer: Reviewer;
  mutator: Mutator;
  logger: Logger;
  /** Re-check interval for the certificate folder. Default 10 s. */
  pollIntervalMs?: number;
  /** Extra `/readyz` checks (policies, keyring...), beside the built-in `tls` check. */
  readiness?: Record<string, () => ReadinessCheck>;
  /** Connection bounds; default DEFAULT_CONNECTION_LIMITS. */
  limits?: Partial<ConnectionLimits>;
  /**
   * A CA bundle (PEM file): when set, `/validate` and `/mutate` answer only callers with a
   * client certificate signed by it (kube-apiserver, configured in its AdmissionConfiguration).
   */
  clientCaFile?: string;
  /** More routes on the same listener, tried before the 404 (`--role all`: the unseal route). */
  routes?: RequestHandler;
  /** Told how each review ended (the metrics layer counts them). */
  observeAdmission?: AdmissionObserver;
}

export interface RunningWebhookServer {
  /** The bound address (the real port when 0 was asked). */
  readonly host: string;
  readonly port: number;
  readonly server: Server;
  /** Loads the certificate folder again now; false (and the old pair kept) when it is bad. */
  reloadTls(): Promise<boolean>;
  /** The serving pair in use. */
  currentTls(): TlsPair;
  /**
   * Graceful stop: `/readyz` turns 503 and every answer closes its connection; the server keeps
   * accepting for `delayMs` (default 0) while endpoints move, then stops accepting and drains
   * for at most `drainTimeoutMs`. Resolves when the server is closed.
   */
  shutdown(drainTimeoutMs: number, delayMs?: number): Promise<void>;
}

/**
 * Starts the HTTPS webhook: `/validate`, `/mutate`, `/healthz`, `/readyz`, with certificates
 * reloaded from `certDir` when they change on disk (cert-manager rewrites them in place)
 * without dropping connections.
 * @throws ShroudError TLS_FILES_MISSING / TLS_PAIR_INVALID when the first pair cannot load.
 */
export async function startWebhookServer(options: WebhookServerOptions): Promise<RunningWebhookServer> {
  const { logger } = options;
  const tls = await openTlsSource({
    certDir: options.certDir,
    logger,
    pollMs: options.pollIntervalMs ?? 10_000,
    ...(options.clientCaFile === undefined ? {} : { clientCaFile: options.clientCaFile }),
  });
  let stopping = false;
  const readiness = readinessFrom({
    tls: tls.readiness,
    ...options.readiness,
    shutdown: () => ({ ok: !stopping, state: stopping ? 'shutting down' : 'serving' }),
  });
  const app = createWebhookApp({
    reviewer: options.reviewer,
    mutator: options.mutator,
    logger,
    readiness,
    requireClientCert: options.clientCaFile !== undefined,
    ...(options.routes === undefined ? {} : { routes: options.routes }),
    ...(options.observeAdmission === undefined ? {} : { observeAdmission: options.observeAdmission }),
  });
  const https = await listenHttps({
    host: options.host,
    port: options.port,
    tls,
    handler: app,
    logger,
    ownsTls: true,
    ...(options.limits === undefined ? {} : { limits: options.limits }),
  });
  return {
    host: https.host,
    port: https.port,
    server: https.server,
    reloadTls: tls.reload,
    currentTls: tls.current,
    shutdown: async (drainTimeoutMs, delayMs = 0) => {
      stopping = true;
      await https.shutdown(drainTimeoutMs, delayMs);
    },
  };
}
