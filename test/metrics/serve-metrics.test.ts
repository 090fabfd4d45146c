/**
 * `shroud serve` with metrics, in-process: real reviews and unseal calls over HTTPS, then a
 * scrape of GET /metrics on its own plain-HTTP port. Canary names (user, namespace, object,
 * secret value) are planted in the traffic and must appear in no label.
 */
import { serveInProcess } from '../helpers/serve-in-process.js';
import { strict as assert } from 'node:assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { LocalKeyringProvider, loadKeyring, sealValue } from '../../src/crypto/index.js';
import { type FakeApiServer, jwtLike, podToken, startFakeApiServer } from '../helpers/fake-apiserver.js';
import { httpsCall } from '../helpers/https.js';
import { parseSamples, scrape, total } from '../helpers/prometheus-text.js';
import { admissionReview } from '../helpers/reviews.js';
import { tempDir } from '../helpers/temp-dir.js';
import { unsealCall } from '../helpers/unseal-client.js';

const CANARY = {
  value: 'canary-metrics-value-5e2b',
  user: 'canary-metrics-user-91af',
  namespace: 'canary-metrics-ns-77c0',
  object: 'canary-metrics-obj-3d4e',
  secret: 'canary-metrics-secret-b8f1',
  configMap: 'canary-metrics-cm-0a6c',
};
const TOKEN = jwtLike(600);
const BAD_TOKEN = jwtLike(600);
let api: FakeApiServer;

before(async () => {
  api = await startFakeApiServer(tempDir('shroud-metrics-api-'));
  api.tokens.set(TOKEN, podToken({ namespace: CANARY.namespace, serviceAccount: 'api' }));
});
after(() => api.close());

interface Serving {
  port: number;
  metricsUrl: string | undefined;
  ca: string;
  cwd: string;
  stderr: () => string;
  stop: () => Promise<number>;
}

async function serve(args: string[], cwd: string, env: Record<string, string> = {}): Promise<Serving> {
  const serving = await serveInProcess(args, cwd, { SHROUD_KUBECONFIG: api.kubeconfig, ...env });
  return { ...serving, metricsUrl: /metrics on (http:\/\/\S+)/.exec(serving.stderr())?.[1] };
}

const EXCEPTION = `apiVersion: policy.shroud.dev/v1
kind: PolicyException
metadata: { name: legacy-env }
spec:
  policies: [{ name: disallow-secret-env }]
  match: { namespaces: [legacy] }
  reason: moving to mounted files
`;

function pod(namespace: string): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: CANARY.object, namespace },
    spec: {
      containers: [
        {
          name: 'app',
          image: 'nginx:1.27',
          env: [
            { name: 'DB_PASSWORD', value: CANARY.value },
            { name: 'TOKEN', valueFrom: { secretKeyRef: { name: CANARY.secret, key: 'token' } } },
          ],
        },
      ],
    },
  };
}

const review = (namespace: string) =>
  admissionReview(pod(namespace), { namespace, userInfo: { username: CANARY.user, groups: ['system:authenticated'] } });

/** Plain HTTP GET to the TLS port: it must not answer with metrics. */
function plainGet(port: number, path: string): Promise<string> {
  return new Promise((resolve) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, timeout: 5000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(`status ${res.statusCode}`));
    });
    req.on('error', (err) => resolve(`error ${(err as NodeJS.ErrnoException).code ?? err.message}`));
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

test('serve (role all): every metric after real traffic, on its own plain-HTTP port; no canary in any label', async () => {
  const cwd = tempDir('shroud-metrics-');
  mkdirSync(join(cwd, 'team'));
  writeFileSync(join(cwd, 'team', 'exception.yaml'), EXCEPTION);
  const s = await serve(['--metrics-listen', '127.0.0.1:0', '--policies', 'team'], cwd);
  try {
    assert.ok(s.metricsUrl, `no metrics line:\n${s.stderr()}`);
    const metricsPort = Number(new URL(s.metricsUrl).port);
    assert.notEqual(metricsPort, s.port, 'the metrics port is not the TLS port');
    assert.equal(new URL(s.metricsUrl).hostname, '127.0.0.1');
    // The TLS port serves no metrics, and no plain HTTP at all.
    assert.equal((await httpsCall(s.port, s.ca, '/metrics')).status, 404);
    assert.doesNotMatch(await plainGet(s.port, '/metrics'), /status 200/);

    // Admission: a denial (policy violations), an exception, an exclusion, a mutate, a bad request.
    assert.equal((await httpsCall(s.port, s.ca, '/validate', { body: review(CANARY.namespace) })).status, 200);
    assert.equal((await httpsCall(s.port, s.ca, '/validate', { body: review('legacy') })).status, 200);
    assert.equal((await httpsCall(s.port, s.ca, '/validate', { body: review('kube-system') })).status, 200);
    assert.equal((await httpsCall(s.port, s.ca, '/mutate', { body: review(CANARY.namespace) })).status, 200);
    assert.equal((await httpsCall(s.port, s.ca, '/validate', { body: { kind: 'nonsense' } })).status, 400);

    // Unseal: two opens of one value (a KEK unwrap, then a DEK cache hit) and one refused token.
    const provider = new LocalKeyringProvider(await loadKeyring(join(cwd, '.shroud', 'keyring.json')));
    const value = await sealValue(CANARY.value, {
      scope: 'strict',
      context: { namespace: CANARY.namespace, serviceAccount: 'api', name: CANARY.configMap, key: 'API_KEY' },
      provider,
    });
    const items = { items: [{ configMap: CANARY.configMap, key: 'API_KEY', value }] };
    for (let i = 0; i < 2; i++) assert.equal((await unsealCall(s.port, s.ca, TOKEN, items)).status, 200);
    assert.equal((await unsealCall(s.port, s.ca, BAD_TOKEN, items)).status, 401);

    // A policy reload that fails (the last good set stays), seen by polling the counter.
    writeFileSync(join(cwd, 'team', 'broken.yaml'), 'apiVersion: policy.shroud.dev/v1\nkind: Policy\nmetadata: {}\n');
    let samples = parseSamples((await scrape(s.metricsUrl)).text);
    for (let i = 0; i < 100 && total(samples, 'shroud_policy_reloads_total', { result: 'failure' }) === 0; i++) {
      await sleep(100);
      samples = parseSamples((await scrape(s.metricsUrl)).text);
    }

    const r = await scrape(s.metricsUrl);
    assert.equal(r.status, 200);
    samples = parseSamples(r.text);
    const cases: { name: string; metric: string; labels: Record<string, string>; atLeast: number }[] = [
      {
        name: 'the denial',
        metric: 'shroud_admission_requests_total',
        labels: { webhook: 'validate', operation: 'CREATE', kind: 'Pod', allowed: 'false' },
        atLeast: 1,
      },
      { name: 'allowed reviews', metric: 'shroud_admission_requests_total', labels: { allowed: 'true' }, atLeast: 2 },
      { name: 'the mutate', metric: 'shroud_admission_requests_total', labels: { webhook: 'mutate' }, atLeast: 1 },
      { name: 'durations', metric: 'shroud_admission_duration_seconds_count', labels: {}, atLeast: 5 },
      {
        name: 'the bad request',
        metric: 'shroud_admission_errors_total',
        labels: { reason: 'bad_request' },
        atLeast: 1,
      },
      {
        name: 'violations',
        metric: 'shroud_policy_violations_total',
        labels: { policy: 'disallow-secret-env', enforcement: 'deny' },
        atLeast: 1,
      },
      {
        name: 'the exception',
        metric: 'shroud_exceptions_applied_total',
        labels: { exception: 'legacy-env' },
        atLeast: 1,
      },
      {
        name: 'the exclusion',
        metric: 'shroud_excluded_requests_total',
        labels: { exclusion: 'system-exclusions/kubernetes-system-namespaces' },
        atLeast: 1,
      },
      { name: 'the failed reload', metric: 'shroud_policy_reloads_total', labels: { result: 'failure' }, atLeast: 1 },
      { name: 'unseal ok', metric: 'shroud_unseal_requests_total', labels: { result: 'ok' }, atLeast: 2 },
      {
        name: 'unseal refused',
        metric: 'shroud_unseal_requests_total',
        labels: { result: 'unauthenticated' },
        atLeast: 1,
      },
      {
        name: 'the unwrap',
        metric: 'shroud_kek_operations_total',
        labels: { provider: 'local', op: 'unwrap', result: 'ok' },
        atLeast: 1,
      },
      { name: 'the cache miss', metric: 'shroud_dek_cache_misses_total', labels: {}, atLeast: 1 },
      { name: 'the cache hit', metric: 'shroud_dek_cache_hits_total', labels: {}, atLeast: 1 },
      {
        name: 'certificate expiry',
        metric: 'shroud_certificate_expiry_timestamp_seconds',
        labels: { cert: 'serving' },
        atLeast: Date.now() / 1000,
      },
      { name: 'process metrics', metric: 'process_cpu_seconds_total', labels: {}, atLeast: 0 },
    ];
    for (const c of cases) {
      assert.ok(
        samples.some((x) => x.name === c.metric),
        `${c.name}: ${c.metric} is exported`,
      );
      assert.ok(total(samples, c.metric, c.labels) >= c.atLeast, `${c.name}: ${c.metric} ${JSON.stringify(c.labels)}`);
    }
    // Exactly one unwrap for two opens of the same value: the second came from the cache.
    assert.equal(total(samples, 'shroud_kek_operations_total', { op: 'unwrap' }), 1);
    for (const canary of Object.values(CANARY)) assert.ok(!r.text.includes(canary), `${canary} is in the metrics text`);
    for (const x of samples)
      for (const v of Object.values(x.labels))
        assert.ok(!v.includes('canary') && v !== 'legacy' && v !== 'kube-system', `label value ${v} of ${x.name}`);
  } finally {
    assert.equal(await s.stop(), 0);
  }
  // Stopped: the metrics port is closed too.
  await assert.rejects(fetch(s.metricsUrl!, { signal: AbortSignal.timeout(5000) }));
});

const settingCases: { name: string; args: string[]; env: Record<string, string>; serves: boolean }[] = [
  { name: '--metrics-listen off', args: ['--metrics-listen', 'off'], env: {}, serves: false },
  { name: 'SHROUD_METRICS_LISTEN=off', args: [], env: { SHROUD_METRICS_LISTEN: 'off' }, serves: false },
  { name: 'SHROUD_METRICS_LISTEN=127.0.0.1:0', args: [], env: { SHROUD_METRICS_LISTEN: '127.0.0.1:0' }, serves: true },
  {
    name: 'the flag over the variable',
    args: ['--metrics-listen', 'off'],
    env: { SHROUD_METRICS_LISTEN: '127.0.0.1:0' },
    serves: false,
  },
];

for (const c of settingCases) {
  test(`serve --role webhook, ${c.name}: metrics ${c.serves ? 'served' : 'off'}`, async () => {
    const s = await serve(['--role', 'webhook', ...c.args], tempDir('shroud-m-'), c.env);
    try {
      assert.equal(s.metricsUrl !== undefined, c.serves, s.stderr());
      if (s.metricsUrl !== undefined) assert.equal((await scrape(s.metricsUrl)).status, 200);
    } finally {
      assert.equal(await s.stop(), 0);
    }
  });
}

test('serve --role unseal: its own metrics (unseal results, certificate expiry), no admission samples', async () => {
  const s = await serve(['--role', 'unseal', '--metrics-listen', '127.0.0.1:0'], tempDir('shroud-m-unseal-'));
  try {
    assert.ok(s.metricsUrl, s.stderr());
    assert.equal((await unsealCall(s.port, s.ca, BAD_TOKEN, { items: [] })).status, 400);
    assert.equal((await unsealCall(s.port, s.ca, undefined, { items: [] })).status, 401);
    const samples = parseSamples((await scrape(s.metricsUrl)).text);
    assert.equal(total(samples, 'shroud_unseal_requests_total', { result: 'invalid' }), 1);
    assert.equal(total(samples, 'shroud_unseal_requests_total', { result: 'unauthenticated' }), 1);
    assert.ok(total(samples, 'shroud_certificate_expiry_timestamp_seconds', { cert: 'serving' }) > Date.now() / 1000);
    assert.equal(total(samples, 'shroud_admission_requests_total'), 0);
  } finally {
    assert.equal(await s.stop(), 0);
  }
});
