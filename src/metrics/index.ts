/** Prometheus metrics (prom-client lives only here): the registry, the recorders, the plain-HTTP listener. */
export {
  ADMISSION_BUCKETS,
  type AdmissionObservation,
  type CacheCounts,
  createShroudMetrics,
  type EvaluationFacts,
  MAX_VALUES_PER_LABEL,
  type ShroudMetrics,
  UNSEAL_RESULTS,
} from './metrics.js';
export {
  clusterMetricsSource,
  type MetricsSource,
  type RunningMetricsServer,
  serveMetricsToPrimary,
  startMetricsServer,
} from './metrics-server.js';
