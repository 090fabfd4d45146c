import type { RequestListener, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import { type AddressInfo, Server as NetServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
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

/** net.Server's close: stops listening without touching open connections. */
const netServerClose = NetServer.prototype.close;
/** After the listener closes, open connections may still send one request (answered with close). */
const IDLE_GRACE_MS = 1000;
const DRAIN_POLL_MS = 20;

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
  /** Close `tls` when listening fails and once shutdown has drained (the server owns its source). */
  ownsTls?: boolean;
}

export interface RunningHttpsServer {
  /** The bound address (the real port when 0 was asked). */
  readonly host: string;
  readonly port: number;
  readonly server: Server;
  /** Requests being answered now. */
  inFlight(): number;
  /** True once shutdown has begun. */
  isShuttingDown(): boolean;
  /**
   * Graceful stop. From the call on, every answer carries `Connection: close`; for `delayMs` the
   * server keeps accepting (endpoints are being updated); then it stops accepting, answers what
   * is in flight and what arrives on open connections for a short grace, for at most
   * `drainTimeoutMs`, and closes every connection. Resolves when the server is closed.
   */
  shutdown(drainTimeoutMs: number, delayMs?: number): Promise<void>;
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

  const open = new Set<ServerResponse>();
  let shuttingDown = false;
  // Before the handler, which may answer synchronously.
  server.prependListener('request', (_req, res) => {
    open.add(res);
    // Once shutdown has begun, every answer closes its connection: the client's next request
    // opens a new one, which the Service sends to a pod that is not going away.
    if (shuttingDown) res.setHeader('Connection', 'close');
    res.once('close', () => open.delete(res));
  });
  server.on('tlsClientError', (err) => logger.debug({ err }, 'tls handshake failed'));

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    if (options.ownsTls === true) tls.close();
    throw err;
  }
  server.on('error', (err) => logger.error({ err }, 'server error'));
  const address = server.address() as AddressInfo;

  let closing: Promise<void> | undefined;
  const shutdown = (drainTimeoutMs: number, delayMs = 0): Promise<void> => {
    closing ??= (async () => {
      shuttingDown = true;
      for (const res of open) {
        // An answer whose headers are on their way already keeps its connection; the next one closes it.
        if (!res.headersSent && !res.writableEnded) res.setHeader('Connection', 'close');
      }
      // Endpoints still point here for a while after SIGTERM: keep accepting until they move.
      if (delayMs > 0) await sleep(delayMs);
      // Stop accepting, but keep open connections: http.Server#close would also close idle
      // keep-alive connections at once, racing a request the client is sending on one.
      const listenerClosed = new Promise<void>((resolve) => netServerClose.call(server, () => resolve()));
      const started = Date.now();
      const grace = Math.min(IDLE_GRACE_MS, drainTimeoutMs);
      const connections = () => new Promise<number>((resolve) => server.getConnections((_e, n) => resolve(n ?? 0)));
      for (;;) {
        const elapsed = Date.now() - started;
        if (elapsed >= drainTimeoutMs) break;
        if (open.size === 0 && (elapsed >= grace || (await connections()) === 0)) break;
        await sleep(DRAIN_POLL_MS);
      }
      if (open.size > 0)
        logger.warn({ inFlight: open.size }, 'drain timeout; closing connections with requests in flight');
      server.closeAllConnections();
      await listenerClosed;
      if (options.ownsTls === true) tls.close();
    })();
    return closing;
  };

  return {
    host: address.address,
    port: address.port,
    server,
    inFlight: () => open.size,
    isShuttingDown: () => shuttingDown,
    shutdown,
  };
}
