/**
 * Shroud's Prometheus metrics: the one registry and every metric definition (prom-client lives
 * only in this folder). Services and domain code never see prom-client: roles hand them the
 * plain recorder functions of `ShroudMetrics` through their options.
 *
 * Cardinality is bounded by construction: every label value is either from a fixed set
 * (webhook, operation, allowed, result, op, enforcement), or a name that must look like a
 * Kubernetes kind or policy-file name and is cut off after MAX_VALUES_PER_LABEL distinct values
 * (the rest count as `other`). No label ever carries a namespace, object, user, secret name or value.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Distinct values one open label (kind, policy, exception, exclusion, provider) may take; more count as `other`. */
export const MAX_VALUES_PER_LABEL = 200;

/**
 * Admission latency buckets, in seconds: fine below 100 ms (where reviews live) and dense
 * towards kube-apiserver's timeouts: 4 s is 80% of the shipped timeoutSeconds (5), 8 s 80% of the default (10).
 */
export const ADMISSION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 4, 5, 8, 10];

const NAME = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,126}$/;
const OPERATIONS = new Set(['CREATE', 'UPDATE', 'DELETE', 'CONNECT']);

/** A label value from an open set: shaped like a name, and one of the first MAX_VALUES_PER_LABEL seen. */
function boundedLabel(): (value: string | undefined) => string {
  const seen = new Set<string>();
  return (value) => {
    if (value === undefined || !NAME.test(value)) return 'other';
    if (seen.has(value)) return value;
    if (seen.size >= MAX_VALUES_PER_LABEL) return 'other';
    seen.add(value);
    return value;
  };
}

/** How one admission review ended, as the route saw it. */
export interface AdmissionObservation {
  webhook: 'validate' | 'mutate';
  /** CREATE, UPDATE, DELETE, CONNECT (anything else counts as `other`). */
  operation?: string;
  /** The resource kind (`Pod`, `Deployment`). */
  kind?: string;
  /** What was answered; undefined for a request that could not be decoded (400). */
  allowed?: boolean;
  /** `decided`, `timed-out` (answered 504 in the review) or `failed` (HTTP 500), `bad-request` (400). */
  outcome: 'decided' | 'timed-out' | 'failed' | 'bad-request';
  seconds: number;
}

/** The facts of one policy evaluation the metrics count (no object, no path, no message). */
export interface EvaluationFacts {
  violations: readonly { policy: string; enforcement: string }[];
  omitted?: readonly { policy: string; enforcement: string; count: number }[];
  exceptions?: readonly { name: string }[];
}

/** Every result of `POST /v1/unseal` the router answers with. */
export const UNSEAL_RESULTS = [
  'ok',
  'invalid',
  'too-large',
  'unauthenticated',
  'forbidden',
  'unavailable',
  'error',
] as const;

/** Results of a KEK provider call, from the typed error codes of crypto/provider.ts. */
const KEK_RESULTS: Record<string, string> = {
  CRYPTO_PROVIDER_TIMEOUT: 'timeout',
  CRYPTO_PROVIDER_UNAVAILABLE: 'unavailable',
  CRYPTO_UNKNOWN_KEY: 'unknown_key',
  CRYPTO_KEY_DESTROYED: 'destroyed',
  CRYPTO_INTEGRITY: 'integrity',
  CRYPTO_UNSUPPORTED_VERSION: 'unsupported',
  CANCELLED: 'cancelled',
};

/** A source of cumulative counts read at scrape time (DekCache has `hits` and `misses`). */
export interface CacheCounts {
  readonly hits: number;
  readonly misses: number;
}

/** The registry, and a recorder for each place that counts. */
export interface ShroudMetrics {
  readonly registry: Registry;
  /** The admission route, once per review. */
  admission(observation: AdmissionObservation): void;
  /** The policy reviewer, once per evaluation: violations per policy and enforcement, exceptions applied. */
  evaluation(facts: EvaluationFacts): void;
  /** A reloading store, once per reload (the first load is not a reload). */
  reload(what: string, ok: boolean): void;
  /** The unseal router, once per answer. */
  unseal(result: string): void;
  /** A KEK provider call: `error` is the ShroudError code when it failed. */
  kekOperation(provider: string, op: string, error: string | undefined): void;
  /** Counts of a DEK cache, read at every scrape. */
  watchDekCache(cache: CacheCounts): void;
  /** A certificate's notAfter (ISO text or Date), read at every scrape. */
  watchCertificate(cert: string, notAfter: () => string | Date): void;
  /** Requests allowed per exclusion, as /readyz shows them, read at every scrape. */
  watchExclusions(counts: () => Readonly<Record<string, number>>): void;
  /** The Prometheus text exposition of everything. */
  render(): Promise<string>;
}

/**
 * Creates a registry with Shroud's metrics and the default process metrics (prefix none, so
 * `process_cpu_seconds_total`, `nodejs_heap_size_used_bytes`, ...).
 */
export function createShroudMetrics(options: { defaultMetrics?: boolean } = {}): ShroudMetrics {
  const registry = new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const kindLabel = boundedLabel();
  const policyLabel = boundedLabel();
  const exceptionLabel = boundedLabel();
  const exclusionLabel = boundedLabel();
  const providerLabel = boundedLabel();

  const requests = new Counter({
    name: 'shroud_admission_requests_total',
    help: 'Admission reviews answered, by webhook (validate, mutate), operation, resource kind and whether allowed',
    labelNames: ['webhook', 'operation', 'kind', 'allowed'],
    registers,
  });
  const errors = new Counter({
    name: 'shroud_admission_errors_total',
    help: 'Admission reviews not decided: reason timeout (504 in the review), internal (HTTP 500) or bad_request (HTTP 400)',
    labelNames: ['webhook', 'reason'],
    registers,
  });
  const duration = new Histogram({
    name: 'shroud_admission_duration_seconds',
    help: 'Time from a review arriving to its answer, by webhook',
    labelNames: ['webhook'],
    buckets: ADMISSION_BUCKETS,
    registers,
  });
  const violations = new Counter({
    name: 'shroud_policy_violations_total',
    help: 'Violations found, by policy and enforcement (deny, warn, audit)',
    labelNames: ['policy', 'enforcement'],
    registers,
  });
  const exceptions = new Counter({
    name: 'shroud_exceptions_applied_total',
    help: 'Reviews in which a policy exception exempted rules, by exception',
    labelNames: ['exception'],
    registers,
  });
  const reloads = new Counter({
    name: 'shroud_policy_reloads_total',
    help: 'Reloads of the policy folder, by result (success, failure: the last good set stays)',
    labelNames: ['result'],
    registers,
  });
  const keyringReloads = new Counter({
    name: 'shroud_keyring_reloads_total',
    help: 'Reloads of the keyring file, by result (success, failure: the last good keyring stays)',
    labelNames: ['result'],
    registers,
  });
  const unseal = new Counter({
    name: 'shroud_unseal_requests_total',
    help: 'POST /v1/unseal answers, by result (ok, invalid, too-large, unauthenticated, forbidden, unavailable, error)',
    labelNames: ['result'],
    registers,
  });
  const kek = new Counter({
    name: 'shroud_kek_operations_total',
    help: 'KEK provider calls, by provider, operation (wrap, unwrap, status) and result',
    labelNames: ['provider', 'op', 'result'],
    registers,
  });
  const caches: CacheCounts[] = [];
  new Counter({
    name: 'shroud_dek_cache_hits_total',
    help: 'DEK cache lookups that found the derived keys (no KEK call)',
    registers,
    collect() {
      this.reset();
      this.inc(caches.reduce((sum, c) => sum + c.hits, 0));
    },
  });
  new Counter({
    name: 'shroud_dek_cache_misses_total',
    help: 'DEK cache lookups that did not (a KEK unwrap follows)',
    registers,
    collect() {
      this.reset();
      this.inc(caches.reduce((sum, c) => sum + c.misses, 0));
    },
  });
  const certs = new Map<string, () => string | Date>();
  new Gauge({
    name: 'shroud_certificate_expiry_timestamp_seconds',
    help: 'notAfter of a certificate in use, in seconds since the epoch (cert: serving)',
    labelNames: ['cert'],
    registers,
    // Across --workers, the earliest: every worker serves the same folder, and a sum would mean nothing.
    aggregator: 'min',
    collect() {
      this.reset();
      for (const [cert, notAfter] of certs) {
        const ms = new Date(notAfter()).getTime();
        if (Number.isFinite(ms)) this.set({ cert }, ms / 1000);
      }
    },
  });
  const exclusionSources: (() => Readonly<Record<string, number>>)[] = [];
  new Counter({
    name: 'shroud_excluded_requests_total',
    help: 'Requests allowed without evaluation because they matched an exclusion, by exclusion',
    labelNames: ['exclusion'],
    registers,
    collect() {
      this.reset();
      for (const counts of exclusionSources)
        for (const [name, n] of Object.entries(counts())) this.inc({ exclusion: exclusionLabel(name) }, n);
    },
  });

  return {
    registry,
    admission(o) {
      const webhook = o.webhook;
      duration.observe({ webhook }, o.seconds);
      if (o.outcome === 'bad-request') {
        errors.inc({ webhook, reason: 'bad_request' });
        return;
      }
      requests.inc({
        webhook,
        operation: o.operation !== undefined && OPERATIONS.has(o.operation) ? o.operation : 'other',
        kind: kindLabel(o.kind),
        allowed: o.allowed === true ? 'true' : 'false',
      });
      if (o.outcome === 'timed-out') errors.inc({ webhook, reason: 'timeout' });
      else if (o.outcome === 'failed') errors.inc({ webhook, reason: 'internal' });
    },
    evaluation(facts) {
      for (const v of facts.violations) violations.inc({ policy: policyLabel(v.policy), enforcement: enforcement(v) });
      for (const o of facts.omitted ?? [])
        violations.inc({ policy: policyLabel(o.policy), enforcement: enforcement(o) }, o.count);
      for (const name of new Set((facts.exceptions ?? []).map((e) => e.name)))
        exceptions.inc({ exception: exceptionLabel(name) });
    },
    reload(what, ok) {
      const result = ok ? 'success' : 'failure';
      if (what === 'keyring') keyringReloads.inc({ result });
      else reloads.inc({ result });
    },
    unseal(result) {
      unseal.inc({ result: (UNSEAL_RESULTS as readonly string[]).includes(result) ? result : 'error' });
    },
    kekOperation(provider, op, error) {
      kek.inc({
        provider: providerLabel(provider),
        op: op === 'wrap' || op === 'unwrap' || op === 'status' ? op : 'other',
        result: error === undefined ? 'ok' : (KEK_RESULTS[error] ?? 'error'),
      });
    },
    watchDekCache(cache) {
      caches.push(cache);
    },
    watchCertificate(cert, notAfter) {
      certs.set(cert, notAfter);
    },
    watchExclusions(counts) {
      exclusionSources.push(counts);
    },
    render: () => registry.metrics(),
  };
}

function enforcement(v: { enforcement: string }): string {
  return v.enforcement === 'deny' || v.enforcement === 'warn' || v.enforcement === 'audit' ? v.enforcement : 'other';
}
