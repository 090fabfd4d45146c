import type { ServeConfig } from '../config/serve-config.js';
import { isShroudError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import {
  clusterMetricsSource,
  createShroudMetrics,
  type RunningMetricsServer,
  type ShroudMetrics,
  serveMetricsToPrimary,
  startMetricsServer,
} from '../metrics/index.js';
import type { Notify } from './dev-material.js';

/** Where a process of `shroud serve` stands in a `--workers N` cluster. */
export type ClusterPart = 'single' | 'primary' | 'worker';

/** The metrics of one serve process: the recorders its role wires in, and the listener, if any. */
export interface MetricsEndpoint {
  /** Recorders for the role; undefined when metrics are off (nothing is counted) or in the primary. */
  readonly metrics: ShroudMetrics | undefined;
  /** `http://host:port/metrics`, when this process listens. */
  readonly url: string | undefined;
  close(): Promise<void>;
}

/**
 * Sets up `GET /metrics` for one serve process (`--metrics-listen`, default 127.0.0.1:9090, plain
 * HTTP, never the TLS port). One process: its own registry and listener. `--workers N`: each
 * worker keeps a registry and answers the primary over the cluster's IPC channel; the primary
 * listens and serves their sum (prom-client's AggregatorRegistry), so a scrape sees the whole pod.
 * The default address being taken (two dev roles on one machine) is a warning and no metrics; an
 * address that was given must bind.
 * @throws ShroudError METRICS_LISTEN_FAILED when a given --metrics-listen cannot be bound.
 */
export async function openMetricsEndpoint(
  config: Readonly<Pick<ServeConfig, 'metrics' | 'metricsExplicit'>>,
  part: ClusterPart,
  env: { logger: Logger; notify: Notify },
): Promise<MetricsEndpoint> {
  const none: MetricsEndpoint = { metrics: undefined, url: undefined, close: async () => undefined };
  const address = config.metrics;
  if (address === undefined) return none;
  if (part === 'worker') {
    const metrics = createShroudMetrics();
    serveMetricsToPrimary(metrics.registry);
    return { metrics, url: undefined, close: async () => undefined };
  }
  const metrics = part === 'single' ? createShroudMetrics() : undefined;
  let server: RunningMetricsServer;
  try {
    server = await startMetricsServer({
      ...address,
      source: metrics ?? clusterMetricsSource(),
      onError: (err) => env.logger.error({ err }, 'metrics scrape failed'),
    });
  } catch (err) {
    if (config.metricsExplicit || !isShroudError(err)) throw err;
    env.logger.warn({ err }, 'metrics are off: the default metrics address is taken');
    env.notify(`${err.message}; serving without metrics`);
    return none;
  }
  env.logger.info({ url: server.url }, 'metrics listening');
  return { metrics, url: server.url, close: () => server.close() };
}
