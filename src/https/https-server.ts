import type { RequestListener } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log/logger.js';
import { serverTlsOptions, type TlsSource } from '../tls/index.js';

export interface HttpsListenOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** The serving pair; a new pair from the source is applied to new connections at once. */
  tls: TlsSource;
  /** What answers requests (an express app is one). */
  handler: RequestListener;
  logger: Logger;
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
  const server = createServer(serverTlsOptions(tls.current()), options.handler);
  // A slow or stalled client must not hold a connection (and a drain) forever.
  server.headersTimeout = 15_000;
  server.requestTimeout = 30_000;
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
