import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import request from 'supertest';
import type { AdmissionRequest, MutationResult, Mutator, Reviewer, ReviewVerdict } from '../../src/admission/index.js';
import { allowAllReviewer, noChangeMutator } from '../../src/admission/index.js';
import { createPolicyReviewer, loadPolicyDir } from '../../src/policy/index.js';
import { createWebhookApp } from '../../src/webhook/index.js';
import { memoryLogger } from '../helpers/logs.js';
import { admissionReview, CANARY, podWithCanary } from '../helpers/reviews.js';

const UID = 'd9e4c7a1-0000-4000-8000-000000000001';

function makeApp(reviewer: Reviewer = allowAllReviewer, mutator: Mutator = noChangeMutator) {
  const logs = memoryLogger();
  const app = createWebhookApp({
    reviewer,
    mutator,
    logger: logs.logger,
    readiness: () => ({ ready: true, checks: {} }),
  });
  return { app, logs };
}

const json = JSON.stringify;
const big = json(admissionReview({ kind: 'ConfigMap', data: { blob: 'x'.repeat(4 * 1024 * 1024) } }));

describe('malformed requests get a 4xx with a JSON reason', () => {
  const cases: Array<{
    name: string;
    body: string;
    contentType?: string | null;
    encoding?: string;
    status: number;
    code: string;
    uid?: boolean;
  }> = [
    { name: 'empty body', body: '', status: 400, code: 'ADMISSION_BODY_INVALID_JSON' },
    { name: 'not JSON', body: `{"apiVersion": ${CANARY}`, status: 400, code: 'ADMISSION_BODY_INVALID_JSON' },
    { name: 'a JSON array', body: '[]', status: 400, code: 'ADMISSION_REVIEW_INVALID' },
    { name: 'a JSON string', body: '"AdmissionReview"', status: 400, code: 'ADMISSION_REVIEW_INVALID' },
    {
      name: 'wrong kind',
      body: json({ ...admissionReview(null), kind: 'Pod' }),
      status: 400,
      code: 'ADMISSION_REVIEW_INVALID',
    },
    {
      name: 'wrong apiVersion',
      body: json({ ...admissionReview(null), apiVersion: 'admission.k8s.io/v2' }),
      status: 400,
      code: 'ADMISSION_REVIEW_INVALID',
    },
    {
      name: 'missing request',
      body: json({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }),
      status: 400,
      code: 'ADMISSION_REVIEW_INVALID',
    },
    {
      name: 'missing uid',
      body: json(admissionReview(null, { uid: undefined })),
      status: 400,
      code: 'ADMISSION_REVIEW_INVALID',
    },
    {
      name: 'non-string uid',
      body: json(admissionReview(null, { uid: 42 })),
      status: 400,
      code: 'ADMISSION_REVIEW_INVALID',
    },
    {
      name: 'string object',
      body: json(admissionReview(null, { object: CANARY })),
      status: 400,
      code: 'ADMISSION_REVIEW_INVALID',
      uid: true,
    },
    {
      name: 'unknown operation',
      body: json(admissionReview(null, { operation: 'PATCH' })),
      status: 400,
      code: 'ADMISSION_REVIEW_INVALID',
      uid: true,
    },
    { name: '4 MiB body', body: big, status: 413, code: 'ADMISSION_BODY_TOO_LARGE' },
    {
      name: 'wrong content type',
      body: json(admissionReview(null)),
      contentType: 'text/plain',
      status: 415,
      code: 'ADMISSION_CONTENT_TYPE',
    },
    ...['gzip', 'deflate', 'br', 'x-unknown'].map((encoding) => ({
      name: `Content-Encoding ${encoding}`,
      body: json(admissionReview(podWithCanary())),
      encoding,
      status: 415,
      code: 'ADMISSION_CONTENT_TYPE',
    })),
    ...[
      { field: 'groups', value: CANARY },
      { field: 'groups', value: [1, 2] },
      { field: 'username', value: 5 },
      { field: 'extra', value: { scopes: CANARY } },
    ].map(({ field, value }) => ({
      name: `userInfo.${field} of the wrong type (${json(value).replace(CANARY, 'a string')})`,
      body: json(admissionReview(podWithCanary(), { userInfo: { [field]: value } })),
      status: 400,
      code: 'ADMISSION_REVIEW_INVALID',
      uid: true,
    })),
    {
      name: 'no content type',
      body: json(admissionReview(null)),
      contentType: null,
      status: 415,
      code: 'ADMISSION_CONTENT_TYPE',
    },
  ];
  for (const c of cases) {
    for (const endpoint of ['/validate', '/mutate']) {
      test(`${c.name} on ${endpoint}`, async () => {
        const { app, logs } = makeApp();
        let req = request(app).post(endpoint);
        if (c.contentType !== null) req = req.set('Content-Type', c.contentType ?? 'application/json');
        if (c.encoding !== undefined) req = req.set('Content-Encoding', c.encoding);
        const res = await req.send(c.body);
        assert.equal(res.status, c.status);
        assert.match(String(res.headers['content-type']), /application\/json/);
        assert.equal(res.body.error.code, c.code);
        assert.equal(typeof res.body.error.message, 'string');
        assert.ok(!res.text.includes('    at '), 'no stack trace in a response');
        assert.ok(!res.text.includes(CANARY), 'the body never comes back in the error');
        assert.ok(!logs.text().includes(CANARY), 'the body never reaches the log');
        if (c.uid) {
          assert.equal(res.body.response.uid, UID);
          assert.equal(res.body.response.allowed, false);
          assert.equal(res.body.response.status.code, 400);
        }
      });
    }
  }
});

describe('answers to decodable reviews', () => {
  test('echoes the uid and answers in v1', async () => {
    const { app } = makeApp();
    const res = await request(app).post('/validate').send(admissionReview(podWithCanary()));
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, {
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: { uid: UID, allowed: true },
    });
  });

  test('answers v1beta1 in v1beta1', async () => {
    const { app } = makeApp();
    const res = await request(app)
      .post('/mutate')
      .send(admissionReview(podWithCanary(), {}, 'admission.k8s.io/v1beta1'));
    assert.deepEqual(res.body, {
      apiVersion: 'admission.k8s.io/v1beta1',
      kind: 'AdmissionReview',
      response: { uid: UID, allowed: true },
    });
  });

  test('a denial carries 403 Forbidden, the message, warnings and audit annotations', async () => {
    const verdict: ReviewVerdict = {
      allowed: false,
      message: '[disallow-secret-env/secret-key-ref] spec.containers[0].env[1]: no.',
      warnings: ['careful'],
      auditAnnotations: { 'disallow-secret-env': 'fail' },
      policiesHit: ['disallow-secret-env'],
    };
    const { app, logs } = makeApp({ review: () => verdict });
    const res = await request(app).post('/validate').send(admissionReview(podWithCanary()));
    assert.deepEqual(res.body.response, {
      uid: UID,
      allowed: false,
      status: { code: 403, reason: 'Forbidden', message: verdict.message },
      warnings: ['careful'],
      auditAnnotations: { 'disallow-secret-env': 'fail' },
    });
    const decision = logs.lines().find((l) => l.msg === 'decision');
    assert.ok(decision);
    assert.equal(decision.allowed, false);
    assert.deepEqual(decision.policies, ['disallow-secret-env']);
    assert.equal(decision.kind, 'Pod');
    assert.equal(decision.namespace, 'shop');
    assert.equal(decision.user, 'alice@example.com');
    assert.equal(decision.uid, UID);
    assert.equal(typeof decision.durationMs, 'number');
    assert.equal(typeof decision.reqId, 'string');
  });

  test('mutate returns a base64 JSON Patch that applies', async () => {
    const patch = [{ op: 'add' as const, path: '/metadata/labels', value: { injected: 'yes' } }];
    const { app } = makeApp(allowAllReviewer, { mutate: (): MutationResult => ({ allowed: true, patch }) });
    const res = await request(app).post('/mutate').send(admissionReview(podWithCanary()));
    assert.equal(res.body.response.patchType, 'JSONPatch');
    assert.deepEqual(JSON.parse(Buffer.from(res.body.response.patch, 'base64').toString('utf8')), patch);
  });

  for (const operation of ['DELETE', 'CONNECT']) {
    test(`${operation} is decided by the reviewer and the mutator, not by the route`, async () => {
      const seen: string[] = [];
      const { app } = makeApp(
        {
          review: (r) => {
            seen.push(`validate ${r.operation}`);
            return { allowed: true };
          },
        },
        {
          mutate: (r) => {
            seen.push(`mutate ${r.operation}`);
            return { allowed: true };
          },
        },
      );
      for (const endpoint of ['/validate', '/mutate']) {
        const res = await request(app).post(endpoint).send(admissionReview(null, { operation }));
        assert.deepEqual(res.body.response, { uid: UID, allowed: true });
      }
      assert.deepEqual(seen, [`validate ${operation}`, `mutate ${operation}`]);
    });
  }

  test('optional fields sent as null read as absent (a cluster-scoped object with "namespace": null)', async () => {
    const seen: AdmissionRequest[] = [];
    const { app } = makeApp({
      review: (r) => {
        seen.push(r);
        return { allowed: true };
      },
    });
    const body = admissionReview(
      { apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'pv' } },
      { namespace: null, subResource: null, dryRun: null, userInfo: { username: 'u', groups: null } },
    );
    const res = await request(app).post('/validate').send(body);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.response, { uid: UID, allowed: true });
    assert.equal(seen[0]?.namespace, undefined);
    assert.deepEqual(seen[0]?.userInfo, { username: 'u' });
  });

  test('dryRun requests are evaluated like any other', async () => {
    const seen: AdmissionRequest[] = [];
    const { app } = makeApp({
      review: (r) => {
        seen.push(r);
        return { allowed: false, message: 'no' };
      },
    });
    const res = await request(app)
      .post('/validate')
      .send(admissionReview(podWithCanary(), { dryRun: true }));
    assert.equal(res.body.response.allowed, false);
    assert.equal(seen[0]?.dryRun, true);
  });

  test('an exception becomes a 500 AdmissionReview with the uid and a request id, and the app keeps serving', async () => {
    const { app, logs } = makeApp({
      review: () => {
        throw new Error(`engine bug while reading ${CANARY.length} bytes`);
      },
    });
    const res = await request(app).post('/validate').send(admissionReview(podWithCanary()));
    assert.equal(res.status, 500);
    assert.equal(res.body.kind, 'AdmissionReview');
    assert.equal(res.body.response.uid, UID);
    assert.equal(res.body.response.allowed, false);
    assert.equal(res.body.error.code, 'ADMISSION_INTERNAL');
    const reqId = String(res.headers['x-request-id']);
    assert.ok(res.body.response.status.message.includes(reqId));
    assert.ok(!res.text.includes('engine bug'), 'internal details stay in the log');
    const logged = logs.lines().find((l) => l.msg === 'review failed');
    assert.equal(logged?.reqId, reqId);
    const again = await request(app).get('/healthz');
    assert.equal(again.status, 200);
  });

  test('a rejected promise is handled the same way', async () => {
    const { app } = makeApp({ review: async () => Promise.reject(new Error('async bug')) });
    const res = await request(app).post('/validate').send(admissionReview(podWithCanary()));
    assert.equal(res.status, 500);
    assert.equal(res.body.response.uid, UID);
  });

  test('answers before the timeout kube-apiserver sent', async () => {
    const never = new Promise<ReviewVerdict>(() => undefined);
    const { app } = makeApp({ review: () => never });
    const res = await request(app).post('/validate?timeout=300ms').send(admissionReview(podWithCanary()));
    assert.equal(res.status, 200);
    assert.equal(res.body.response.uid, UID);
    assert.equal(res.body.response.allowed, false);
    assert.equal(res.body.response.status.code, 504);
  });

  test('object contents never reach the log', async () => {
    const { app, logs } = makeApp({ review: () => ({ allowed: false, message: 'denied' }) });
    await request(app).post('/validate').send(admissionReview(podWithCanary()));
    await request(app)
      .post('/mutate')
      .send(admissionReview({ kind: 'ConfigMap', metadata: { name: 'c' }, data: { k: CANARY } }));
    assert.ok(logs.lines().length >= 2);
    assert.ok(!logs.text().includes(CANARY));
  });

  test('notices from the reviewer are logged with the request context', async () => {
    const { app, logs } = makeApp({
      review: () => ({
        allowed: true,
        notices: [{ message: 'exception expired', fields: { exception: 'legacy-app' } }],
      }),
    });
    await request(app).post('/validate').send(admissionReview(podWithCanary()));
    const line = logs.lines().find((l) => l.msg === 'exception expired');
    assert.equal(line?.exception, 'legacy-app');
    assert.equal(line?.uid, UID);
  });

  test('a notice with level debug is logged at debug, others at info', async () => {
    const { app, logs } = makeApp({
      review: (): ReviewVerdict => ({
        allowed: true,
        notices: [
          { message: 'request excluded', level: 'debug', fields: { exclusion: 'system-exclusions/kube-system' } },
          { message: 'exception expired', fields: { exception: 'legacy-app' } },
        ],
      }),
    });
    await request(app).post('/validate').send(admissionReview(podWithCanary()));
    const excluded = logs.lines().find((l) => l.msg === 'request excluded');
    assert.equal(excluded?.level, 'debug');
    assert.equal(excluded?.exclusion, 'system-exclusions/kube-system');
    assert.equal(logs.lines().find((l) => l.msg === 'exception expired')?.level, 'info');
  });
});

describe('health endpoints and unknown paths', () => {
  test('healthz is ok; readyz reports and turns 503 when not ready', async () => {
    const logs = memoryLogger();
    let ready = true;
    const app = createWebhookApp({
      reviewer: allowAllReviewer,
      mutator: noChangeMutator,
      logger: logs.logger,
      readiness: () => ({ ready, checks: { policies: { ok: ready, generation: 3 } } }),
    });
    assert.equal((await request(app).get('/healthz')).status, 200);
    const ok = await request(app).get('/readyz');
    assert.equal(ok.status, 200);
    assert.equal(ok.body.checks.policies.generation, 3);
    ready = false;
    assert.equal((await request(app).get('/readyz')).status, 503);
  });

  test('an unknown path is a JSON 404', async () => {
    const { app } = makeApp();
    const res = await request(app).post('/admit').send({});
    assert.equal(res.status, 404);
    assert.equal(typeof res.body.error.message, 'string');
  });
});

describe('log lines are bounded whatever the request holds', () => {
  test('a 100 KB name, namespace, user, kind and uid give a short decision line', async () => {
    const huge = 'n'.repeat(100_000);
    const { app, logs } = makeApp();
    const body = admissionReview(
      { apiVersion: 'v1', kind: huge, metadata: { name: huge, namespace: huge } },
      { uid: huge, name: huge, namespace: huge, userInfo: { username: huge } },
    );
    const res = await request(app).post('/validate').send(body);
    assert.equal(res.status, 200);
    assert.equal(res.body.response.uid, huge, 'the answer still echoes the whole uid');
    const decision = logs.lines().find((l) => l.msg === 'decision');
    assert.ok(decision !== undefined);
    const line = JSON.stringify(decision);
    assert.ok(line.length < 4000, `the decision line is ${line.length} characters`);
    assert.match(String(decision.name), /^n{256}\.\.\.\(\+99744 chars\)$/);
  });

  test('a bad request with a huge uid logs a bounded line', async () => {
    const { app, logs } = makeApp();
    const body = admissionReview(null, { uid: 'u'.repeat(100_000), operation: 'PATCH' });
    const res = await request(app).post('/validate').send(body);
    assert.equal(res.status, 400);
    assert.ok(logs.text().length < 4000, `${logs.text().length} characters of log`);
  });
});

describe('every review has a deadline, synchronous engine work included', () => {
  test('a reviewer that reports timedOut is answered with the documented 504 denial', async () => {
    const seen: Array<number | undefined> = [];
    const { app, logs } = makeApp({
      review: (_r, options) => {
        seen.push(options?.deadline);
        return { allowed: false, timedOut: true, notices: [{ message: 'review deadline passed' }] };
      },
    });
    const before = performance.now();
    const res = await request(app).post('/validate?timeout=10s').send(admissionReview(podWithCanary()));
    assert.equal(res.status, 200);
    assert.equal(res.body.response.allowed, false);
    assert.equal(res.body.response.status.code, 504);
    assert.match(res.body.response.status.message, /could not finish reviewing this request in time/);
    const deadline = seen[0]!;
    assert.ok(deadline > before && deadline <= performance.now() + 10_000, 'the deadline is arrival + 9.5 s');
    assert.ok(
      logs.lines().some((l) => l.msg === 'review deadline passed'),
      'the notice is logged',
    );
    assert.ok(logs.lines().some((l) => l.msg === 'review timed out'));
  });

  test('the policy engine on a 40,000-key ConfigMap with a 1 ms timeout answers 504 and the app keeps serving', async () => {
    const { value: set, issues } = await loadPolicyDir('policies');
    assert.deepEqual(issues, []);
    const { app } = makeApp(createPolicyReviewer(() => set));
    const data: Record<string, string> = {};
    for (let i = 0; i < 40_000; i++) data[`password_${i}`] = `${CANARY}-${i}-Xk9#pQ2!vL7`;
    const body = admissionReview({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big' }, data });
    const res = await request(app).post('/validate?timeout=1ms').send(body);
    assert.equal(res.body.response.status.code, 504);
    assert.ok(!res.text.includes(CANARY));
    const health = await request(app).get('/healthz');
    assert.equal(health.status, 200);
    const normal = await request(app).post('/validate?timeout=10s').send(body);
    assert.equal(normal.body.response.allowed, false, 'with time enough the same review is judged');
    assert.notEqual(normal.body.response.status.code, 504);
  });
});
