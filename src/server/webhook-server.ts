import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Mutator, Reviewer } from '../admission/index.js';
import type { Logger } from '../log/logger.js';
import { watchDir, type DirWatcher } from './dir-watcher.js';
import { readinessFrom, type ReadinessCheck } from './readiness.js';
import { loadTlsPair, type TlsPair } from './tls-files.js';
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
   * Stops accepting connections, lets in-flight requests finish for up to `drainTimeoutMs`,
   * then closes every connection. Resolves when the server is closed.
   */
  shutdown(drainTimeoutMs: number): Promise<void>;
}

/**
 * Starts the HTTPS webhook: TLS 1.2 minimum, certificates reloaded from `certDir` when they
 * change on disk (cert-manager rewrites them in place) without dropping connections.
 * @throws ShroudError TLS_FILES_MISSING / TLS_PAIR_INVALID when the first pair cannot load.
 */
export async function startWebhookServer(options: WebhookServerOptions): Promise<RunningWebhookServer> {
  const { logger } = options;
  let pair = await loadTlsPair(options.certDir);
  let lastTlsError: string | undefined;

  const readiness = readinessFrom({
    tls: () => ({ ok: true, fingerprint: pair.fingerprint, notAfter: pair.notAfter, lastError: lastTlsError ?? null }),
    ...options.readiness,
  });
  const app = createWebhookApp({ reviewer: options.reviewer, mutator: options.mutator, logger, readiness });
  const server = createServer({ cert: pair.cert, key: pair.key, minVersion: 'TLSv1.2' }, app);
  // A slow or stalled client must not hold a connection (and a drain) forever.
  server.headersTimeout = 15_000;
  server.requestTimeout = 30_000;

  let inFlight = 0;
  let idleWaiter: (() => void) | undefined;
  server.on('request', (_req, res) => {
    inFlight++;
    res.once('close', () => {
      inFlight--;
      if (inFlight === 0) idleWaiter?.();
    });
  });
  server.on('tlsClientError', (err) => logger.debug({ err }, 'tls handshake failed'));

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => logger.error({ err }, 'server error'));
  const address = server.address() as AddressInfo;

  const reloadTls = async (): Promise<boolean> => {
    try {
      const next = await loadTlsPair(options.certDir);
      if (next.fingerprint === pair.fingerprint) return true;
      server.setSecureContext({ cert: next.cert, key: next.key, minVersion: 'TLSv1.2' });
      pair = next;
      lastTlsError = undefined;
      logger.info({ fingerprint: pair.fingerprint, notAfter: pair.notAfter }, 'tls certificate reloaded');
      return true;
    } catch (err) {
      lastTlsError = (err as Error).message;
      logger.error({ err, certDir: options.certDir }, 'tls reload failed; keeping the previous certificate');
      return false;
    }
  };
  const watcher: DirWatcher = await watchDir({
    dir: options.certDir,
    onChange: async () => {
      await reloadTls();
    },
    pollMs: options.pollIntervalMs ?? 10_000,
  });

  let closing: Promise<void> | undefined;
  const shutdown = (drainTimeoutMs: number): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      watcher.close();
      server.close(() => resolve());
      server.closeIdleConnections();
      const finish = (): void => {
        clearTimeout(timer);
        server.closeAllConnections();
      };
      const timer = setTimeout(() => {
        if (inFlight > 0) logger.warn({ inFlight }, 'drain timeout; closing connections with requests in flight');
        finish();
      }, drainTimeoutMs);
      timer.unref();
      if (inFlight === 0) finish();
      else idleWaiter = finish;
    });
    return closing;
  };

  return {
    host: address.address,
    port: address.port,
    server,
    reloadTls,
    currentTls: () => pair,
    shutdown,
  };
}
