/**
 * The metrics listener: plain HTTP, on its own address (default 127.0.0.1:9090), never the TLS
 * port. It answers `GET /metrics` (Prometheus text) and nothing else, so scraping needs no
 * client certificate and the admission port stays for kube-apiserver alone.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AggregatorRegistry, Registry } from 'prom-client';
import { ShroudError } from '../errors.js';

/** What the listener serves: the text of one registry, or of every cluster worker's. */
export interface MetricsSource {
  render(): Promise<string>;
}

export interface RunningMetricsServer {
  readonly host: string;
  readonly port: number;
  /** `http://host:port/metrics` as bound. */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Listens for scrapes on `host:port` (0: a free port).
 * @throws ShroudError METRICS_LISTEN_FAILED when the address cannot be bound (in use, not local).
 */
export async function startMetricsServer(options: {
  host: string;
  port: number;
  source: MetricsSource;
  /** Told about a scrape that failed (it is answered 500). */
  onError?: (err: unknown) => void;
}): Promise<RunningMetricsServer> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found: GET /metrics\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' }).end('use GET\n');
      return;
    }
    options.source.render().then(
      (text) => {
        res.writeHead(200, { 'Content-Type': Registry.PROMETHEUS_CONTENT_TYPE, 'Cache-Control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      (err: unknown) => {
        options.onError?.(err);
        res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end('metrics could not be collected\n');
      },
    );
  });
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    const fail = (err: NodeJS.ErrnoException): void => {
      reject(
        new ShroudError(
          'METRICS_LISTEN_FAILED',
          `cannot listen for metrics on ${options.host}:${options.port} (${err.code ?? err.message}); ` +
            'choose another --metrics-listen HOST:PORT (or SHROUD_METRICS_LISTEN), or "off"',
          { cause: err },
        ),
      );
    };
    server.once('error', fail);
    server.listen(options.port, options.host, () => {
      server.off('error', fail);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.address;
  return {
    host,
    port: address.port,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${address.port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * In a `--workers N` primary: the sum over every worker's registry, asked over the cluster's IPC
 * channel at each scrape (counters and histograms add up; see the README for process metrics).
 */
export function clusterMetricsSource(): MetricsSource {
  const aggregator = new AggregatorRegistry();
  return { render: () => aggregator.clusterMetrics() };
}

/** In a cluster worker: answer the primary's requests for metrics with this registry. */
export function serveMetricsToPrimary(registry: Registry): void {
  AggregatorRegistry.setRegistries([registry]);
  // Constructing one is what makes prom-client answer the primary's requests in a worker.
  new AggregatorRegistry();
}
