import express, { type Request, type Response } from 'express';
import { type ReadinessCheck, type ReadinessReport, readinessFrom } from '../health/index.js';
import { type ConnectionLimits, listenHttps } from '../https/index.js';
import type { Logger } from '../log/logger.js';
import { openTlsSource } from '../tls/index.js';

/** The unseal role's own app: the unseal route, /healthz and /readyz. No listening here. */
export function createUnsealApp(options: {
  router: express.Router;
  readiness: () => ReadinessReport;
}): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.use(options.router);
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', (_req, res) => {
    const report = options.readiness();
    res.status(report.ready ? 200 : 503).json(report);
  });
  app.use((_req: Request, res: Response) => {
    res.status(404).json({
      error: {
        code: 'UNSEAL_REQUEST_INVALID',
        message: 'no such endpoint: use POST /v1/unseal, GET /healthz or GET /readyz',
      },
    });
  });
  return app;
}

export interface UnsealServerOptions {
  host: string;
  port: number;
  certDir: string;
  router: express.Router;
  logger: Logger;
  /** Checks beside the built-in `tls` and `shutdown` ones (keyring, tokenReview). */
  readiness: Record<string, () => ReadinessCheck>;
  pollIntervalMs?: number;
  limits?: Partial<ConnectionLimits>;
}

export interface RunningUnsealServer {
  readonly host: string;
  readonly port: number;
  /** The serving pair's notAfter (ISO), as /readyz shows it. */
  certificateNotAfter(): string;
  /** Graceful stop, as the webhook's: readyz 503, keep accepting for delayMs, drain. */
  shutdown(drainTimeoutMs: number, delayMs?: number): Promise<void>;
}

/**
 * Serves the unseal role over HTTPS on its own port and TLS pair (reloaded from certDir when it
 * changes on disk).
 * @throws ShroudError TLS_FILES_MISSING / TLS_PAIR_INVALID when the first pair cannot load.
 */
export async function startUnsealServer(options: UnsealServerOptions): Promise<RunningUnsealServer> {
  const { logger } = options;
  const tls = await openTlsSource({ certDir: options.certDir, logger, pollMs: options.pollIntervalMs ?? 10_000 });
  let stopping = false;
  const readiness = readinessFrom({
    tls: tls.readiness,
    ...options.readiness,
    shutdown: () => ({ ok: !stopping, state: stopping ? 'shutting down' : 'serving' }),
  });
  const https = await listenHttps({
    host: options.host,
    port: options.port,
    tls,
    handler: createUnsealApp({ router: options.router, readiness }),
    logger,
    ownsTls: true,
    ...(options.limits === undefined ? {} : { limits: options.limits }),
  });
  return {
    host: https.host,
    port: https.port,
    certificateNotAfter: () => tls.current().notAfter,
    shutdown: async (drainTimeoutMs, delayMs = 0) => {
      stopping = true;
      await https.shutdown(drainTimeoutMs, delayMs);
    },
  };
}
