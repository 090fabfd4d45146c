import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { DekCache } from '../../src/crypto/index.js';
import { createShroudMetrics, MAX_VALUES_PER_LABEL, startMetricsServer } from '../../src/metrics/index.js';
import { parseSamples, scrape, total } from '../helpers/prometheus-text.js';

describe('recorders', () => {
  test('each recorder shows up under its name and labels', async () => {
    const m = createShroudMetrics({ defaultMetrics: false });
    m.admission({
      webhook: 'validate',
      operation: 'CREATE',
      kind: 'Pod',
      allowed: false,
      outcome: 'decided',
      seconds: 0.002,
    });
    m.admission({
      webhook: 'mutate',
      operation: 'CREATE',
      kind: 'Pod',
      allowed: false,
      outcome: 'timed-out',
      seconds: 4.5,
    });
    m.admission({ webhook: 'validate', outcome: 'bad-request', seconds: 0.0001 });
    m.admission({
      webhook: 'validate',
      operation: 'PATCH',
      kind: 'Pod',
      allowed: true,
      outcome: 'failed',
      seconds: 0.1,
    });
    m.evaluation({
      violations: [
        { policy: 'disallow-secret-env', enforcement: 'deny' },
        { policy: 'disallow-secret-env', enforcement: 'deny' },
      ],
      omitted: [{ policy: 'disallow-host-path', enforcement: 'warn', count: 5 }],
      exceptions: [{ name: 'legacy' }, { name: 'legacy' }],
    });
    m.reload('policies', false);
    m.reload('keyring', true);
    m.unseal('forbidden');
    m.unseal('not-a-result');
    m.kekOperation('local', 'unwrap', undefined);
    m.kekOperation('local', 'unwrap', 'CRYPTO_PROVIDER_TIMEOUT');
    m.watchCertificate('serving', () => '2030-01-02T03:04:05.000Z');
    m.watchExclusions(() => ({ 'kubernetes-system-namespaces': 3 }));
    const s = parseSamples(await m.render());
    const cases: { name: string; metric: string; labels: Record<string, string>; value: number }[] = [
      {
        name: 'a decided review',
        metric: 'shroud_admission_requests_total',
        labels: { webhook: 'validate', operation: 'CREATE', kind: 'Pod', allowed: 'false' },
        value: 1,
      },
      {
        name: 'an unknown operation is other',
        metric: 'shroud_admission_requests_total',
        labels: { operation: 'other' },
        value: 1,
      },
      {
        name: 'a timeout',
        metric: 'shroud_admission_errors_total',
        labels: { webhook: 'mutate', reason: 'timeout' },
        value: 1,
      },
      { name: 'a 500', metric: 'shroud_admission_errors_total', labels: { reason: 'internal' }, value: 1 },
      { name: 'a 400', metric: 'shroud_admission_errors_total', labels: { reason: 'bad_request' }, value: 1 },
      { name: 'every review is timed', metric: 'shroud_admission_duration_seconds_count', labels: {}, value: 4 },
      {
        name: 'the 4 s bucket (80% of 5 s)',
        metric: 'shroud_admission_duration_seconds_bucket',
        labels: { webhook: 'mutate', le: '4' },
        value: 0,
      },
      {
        name: 'the 5 s bucket',
        metric: 'shroud_admission_duration_seconds_bucket',
        labels: { webhook: 'mutate', le: '5' },
        value: 1,
      },
      {
        name: 'listed violations',
        metric: 'shroud_policy_violations_total',
        labels: { policy: 'disallow-secret-env', enforcement: 'deny' },
        value: 2,
      },
      {
        name: 'omitted violations count too',
        metric: 'shroud_policy_violations_total',
        labels: { policy: 'disallow-host-path', enforcement: 'warn' },
        value: 5,
      },
      {
        name: 'an exception once per review',
        metric: 'shroud_exceptions_applied_total',
        labels: { exception: 'legacy' },
        value: 1,
      },
      {
        name: 'a failed policy reload',
        metric: 'shroud_policy_reloads_total',
        labels: { result: 'failure' },
        value: 1,
      },
      { name: 'a keyring reload', metric: 'shroud_keyring_reloads_total', labels: { result: 'success' }, value: 1 },
      { name: 'an unseal result', metric: 'shroud_unseal_requests_total', labels: { result: 'forbidden' }, value: 1 },
      {
        name: 'an unknown unseal result is error',
        metric: 'shroud_unseal_requests_total',
        labels: { result: 'error' },
        value: 1,
      },
      {
        name: 'a KEK call',
        metric: 'shroud_kek_operations_total',
        labels: { provider: 'local', op: 'unwrap', result: 'ok' },
        value: 1,
      },
      { name: 'a KEK timeout', metric: 'shroud_kek_operations_total', labels: { result: 'timeout' }, value: 1 },
      {
        name: 'certificate expiry in seconds',
        metric: 'shroud_certificate_expiry_timestamp_seconds',
        labels: { cert: 'serving' },
        value: Date.parse('2030-01-02T03:04:05.000Z') / 1000,
      },
      {
        name: 'exclusions',
        metric: 'shroud_excluded_requests_total',
        labels: { exclusion: 'kubernetes-system-namespaces' },
        value: 3,
      },
    ];
    for (const c of cases) assert.equal(total(s, c.metric, c.labels), c.value, c.name);
  });

  test('DEK cache hits and misses are read from the cache at each scrape', async () => {
    const m = createShroudMetrics({ defaultMetrics: false });
    const cache = new DekCache();
    m.watchDekCache(cache);
    assert.equal(cache.get('absent'), undefined);
    assert.equal(cache.get('absent'), undefined);
    let s = parseSamples(await m.render());
    assert.equal(total(s, 'shroud_dek_cache_misses_total'), 2);
    assert.equal(total(s, 'shroud_dek_cache_hits_total'), 0);
    cache.get('absent');
    s = parseSamples(await m.render());
    assert.equal(total(s, 'shroud_dek_cache_misses_total'), 3, 'a second scrape does not count twice');
  });

  test('open label values are bounded: odd shapes and values past the cap count as other', async () => {
    const m = createShroudMetrics({ defaultMetrics: false });
    const kinds = Array.from({ length: MAX_VALUES_PER_LABEL + 50 }, (_, i) => `Kind${i}`);
    for (const kind of [...kinds, 'has space', 'a"quote', '', 'x'.repeat(300)])
      m.admission({ webhook: 'validate', operation: 'CREATE', kind, allowed: true, outcome: 'decided', seconds: 0 });
    const s = parseSamples(await m.render()).filter((x) => x.name === 'shroud_admission_requests_total');
    const values = new Set(s.map((x) => x.labels.kind));
    assert.equal(values.size, MAX_VALUES_PER_LABEL + 1);
    assert.equal(total(s, 'shroud_admission_requests_total', { kind: 'other' }), 50 + 4);
  });

  test('the default process metrics are on by default', async () => {
    const names = new Set(parseSamples(await createShroudMetrics().render()).map((x) => x.name));
    for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_heap_size_used_bytes'])
      assert.ok(names.has(name), name);
  });
});

describe('the listener', () => {
  test('GET /metrics over plain HTTP on 127.0.0.1; other paths 404, other methods 405', async () => {
    const m = createShroudMetrics({ defaultMetrics: false });
    m.unseal('ok');
    const server = await startMetricsServer({ host: '127.0.0.1', port: 0, source: m });
    try {
      assert.equal(server.host, '127.0.0.1');
      assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      const r = await scrape(server.url);
      assert.equal(r.status, 200);
      assert.match(r.contentType, /^text\/plain; version=0\.0\.4/);
      assert.equal(total(parseSamples(r.text), 'shroud_unseal_requests_total', { result: 'ok' }), 1);
      const cases = [
        { name: 'another path', path: '/', method: 'GET', status: 404 },
        { name: 'readyz is not here', path: '/readyz', method: 'GET', status: 404 },
        { name: 'POST', path: '/metrics', method: 'POST', status: 405 },
      ];
      for (const c of cases) {
        const res = await fetch(new URL(c.path, server.url), { method: c.method, signal: AbortSignal.timeout(10_000) });
        await res.text();
        assert.equal(res.status, c.status, c.name);
      }
    } finally {
      await server.close();
    }
  });

  test('an address in use is METRICS_LISTEN_FAILED, naming the setting', async () => {
    const m = createShroudMetrics({ defaultMetrics: false });
    const first = await startMetricsServer({ host: '127.0.0.1', port: 0, source: m });
    try {
      await assert.rejects(startMetricsServer({ host: '127.0.0.1', port: first.port, source: m }), (err: Error) => {
        assert.equal((err as { code?: string }).code, 'METRICS_LISTEN_FAILED');
        assert.match(err.message, /--metrics-listen/);
        return true;
      });
    } finally {
      await first.close();
    }
  });
});
