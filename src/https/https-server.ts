import type { RequestListener } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log/logger.js';
import { serverTlsOptions, type TlsSource } from '../tls/index.js';

/** Bounds on what clients can hold; each has a setting (README, operations). */
export interface ConnectionLimits {
  /** Open connections at most; more are closed as they arrive. */
  maxConnections: number;
  /** A TLS handshake must finish within this (Node's own default is 120 s). */
  handshakeTimeoutMs: number;
  /** A request's headers must arrive within this from the start of the request. */
  headersTimeoutMs: number;
  /** A whole request (headers and body) must arrive within this. */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
}

/**
 * Defaults sized for kube-apiserver: it keeps a pool of keep-alive connections per webhook (a
 * few per apiserver instance), sends a review of at most ~3 MiB, and gives up after the
 * webhook's timeoutSeconds (at most 30 s). 1,000 idle TLS connections cost ~60 MB here.
 */
export const DEFAULT_CONNECTION_LIMITS: Readonly<ConnectionLimits> = Object.freeze({
  maxConnections: 1000,
  handshakeTimeoutMs: 5_000,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 60_000,
});

export interface HttpsListenOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** The serving pair; a new pair from the source is applied to new connections at once. */
  tls: TlsSource;
  /** What answers requests (an express app is one). */
  handler: RequestListener;
  logger: Logger;
  /** Default DEFAULT_CONNECTION_LIMITS. */
  limits?: Partial<ConnectionLimits>;
}

export interface RunningHttpsServer {
  /** The bound address (the real port when 0 was asked). */
  readonly host: string;
  readonly port: number;
  readonly server: Server;
  /** Requests being answered now. */
  inFlight(): number;
  /**
   * Stops accepting connections, lets in-flight requests finish for up to `drainTimeoutMs`,
   * then closes every connection. Resolves when the server is closed.
   */
  shutdown(drainTimeoutMs: number): Promise<void>;
}

/**
 * Listens over HTTPS with Shroud's TLS settings, counts requests in flight, and drains them on
 * shutdown. Certificates come from a TlsSource, so a rotated pair needs no restart and keeps
 * existing connections.
 */
export async function listenHttps(options: HttpsListenOptions): Promise<RunningHttpsServer> {
  const { logger, tls } = options;
  const limits = { ...DEFAULT_CONNECTION_LIMITS, ...options.limits };
  const server = createServer(
    {
      ...serverTlsOptions(tls.current()),
      handshakeTimeout: limits.handshakeTimeoutMs,
      // Node checks header and request timeouts on this interval (default 30 s), so a timeout
      // is only as sharp as the interval.
      connectionsCheckingInterval: Math.max(50, Math.min(1000, limits.headersTimeoutMs / 4)),
    },
    options.handler,
  );
  // A slow, stalled or idle client must not hold a connection (and a drain) for long, and no
  // number of clients may exhaust file descriptors or memory.
  server.maxConnections = limits.maxConnections;
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  let dropped = 0;
  let lastDropLog = 0;
  server.on('drop', () => {
    dropped++;
    const now = Date.now();
    if (now - lastDropLog >= 10_000) {
      lastDropLog = now;
      logger.warn(
        { dropped, maxConnections: limits.maxConnections },
        'connection limit reached; new connections closed',
      );
    }
  });
  tls.onChange((pair) => server.setSecureContext(serverTlsOptions(pair)));

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

  let closing: Promise<void> | undefined;
  const shutdown = (drainTimeoutMs: number): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
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

  return { host: address.address, port: address.port, server, inFlight: () => inFlight, shutdown };
}
