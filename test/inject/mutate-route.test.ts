import { strict as assert } from 'node:assert';
import { before, describe, test } from 'node:test';
import jsonpatch from 'fast-json-patch';
import request from 'supertest';
import { allowAllReviewer, type Reviewer } from '../../src/admission/index.js';
import { createInjectionMutator, planInjection } from '../../src/inject/index.js';
import { BUILTIN_POLICY_DIR, createPolicyReviewer, loadPolicyDir } from '../../src/policy/index.js';
import { createWebhookApp } from '../../src/webhook/index.js';
import { memoryLogger } from '../helpers/logs.js';
import { admissionReview, CANARY } from '../helpers/reviews.js';
import { app, POD_SHAPES, pod, SETTINGS } from './pod-shapes.js';

type Obj = Record<string, unknown>;
const UID = 'd9e4c7a1-0000-4000-8000-000000000001';

function makeApp(settings = SETTINGS) {
  const logs = memoryLogger();
  const webhook = createWebhookApp({
    reviewer: allowAllReviewer,
    mutator: createInjectionMutator(() => settings),
    logger: logs.logger,
    readiness: () => ({ ready: true, checks: {} }),
  });
  return { webhook, logs };
}

function patched(object: Obj, response: { patch?: string; patchType?: string }): Obj {
  assert.equal(response.patchType, 'JSONPatch');
  const ops = JSON.parse(Buffer.from(String(response.patch), 'base64').toString('utf8')) as jsonpatch.Operation[];
  return jsonpatch.applyPatch(structuredClone(object), ops, true, false).newDocument as Obj;
}

let builtins: Reviewer;
before(async () => {
  const { value, issues } = await loadPolicyDir(BUILTIN_POLICY_DIR);
  assert.deepEqual(issues, []);
  builtins = createPolicyReviewer(() => value);
});

describe('/mutate injects labelled pods, end to end through the route', () => {
  for (const shape of POD_SHAPES) {
    test(`${shape.name}: patched as planned, and the result passes every built-in policy`, async () => {
      const { webhook } = makeApp();
      const res = await request(webhook).post('/mutate').send(admissionReview(shape.pod));
      assert.equal(res.status, 200);
      assert.equal(res.body.response.uid, UID);
      assert.equal(res.body.response.allowed, true);
      const after = patched(shape.pod, res.body.response);
      const plan = planInjection(shape.pod, SETTINGS, 'shop');
      assert.equal(plan.action, 'patch');
      assert.deepEqual(
        after,
        jsonpatch.applyPatch(structuredClone(shape.pod), (plan as { patch: jsonpatch.Operation[] }).patch, true, false)
          .newDocument,
      );
      assert.equal(((after.spec as Obj).initContainers as Obj[])[0]!.name, 'shroud-unseal');

      // The injected pod, as kube-apiserver then sends it to /validate: no deny, no warning.
      const verdict = await builtins.review(
        (admissionReview(after) as { request: Parameters<Reviewer['review']>[0] }).request,
      );
      assert.equal(verdict.allowed, true, verdict.message);
      assert.deepEqual(verdict.warnings ?? [], []);

      // kube-apiserver reinvokes the webhook (reinvocationPolicy: IfNeeded): nothing more.
      const again = await request(webhook).post('/mutate').send(admissionReview(after));
      assert.equal(again.body.response.allowed, true);
      assert.equal(again.body.response.patch, undefined);
    });
  }

  const unchanged: { name: string; body: Obj }[] = [
    {
      name: 'an unlabelled pod',
      body: admissionReview(pod({ containers: [app()] }, { labels: { app: 'web' }, annotations: {} })),
    },
    {
      name: 'the UPDATE of a labelled pod',
      body: admissionReview(pod({ containers: [app()] }), {
        operation: 'UPDATE',
        oldObject: pod({ containers: [app()] }),
      }),
    },
    {
      name: 'a labelled Deployment (its pods are injected when they are created)',
      body: admissionReview({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: pod({}).metadata, spec: {} }),
    },
    {
      name: 'a subresource of a labelled pod',
      body: admissionReview(pod({ containers: [app()] }), { subResource: 'ephemeralcontainers', operation: 'UPDATE' }),
    },
    { name: 'a DELETE', body: admissionReview(null, { operation: 'DELETE' }) },
  ];
  for (const c of unchanged) {
    test(`${c.name} gets no patch`, async () => {
      const { webhook, logs } = makeApp();
      const res = await request(webhook).post('/mutate').send(c.body);
      assert.deepEqual(res.body.response, { uid: UID, allowed: true });
      const decision = logs.lines().find((l) => l.msg === 'decision');
      assert.equal(decision?.patched, false);
    });
  }

  test('a collision is a 403 denial naming the container and path; no patch', async () => {
    const { webhook } = makeApp();
    const body = admissionReview(
      pod({
        containers: [app({ volumeMounts: [{ name: 'x', mountPath: '/run/secrets' }] })],
        volumes: [{ name: 'x', emptyDir: {} }],
      }),
    );
    const res = await request(webhook).post('/mutate').send(body);
    assert.equal(res.body.response.allowed, false);
    assert.equal(res.body.response.status.code, 403);
    assert.match(res.body.response.status.message, /container "app" mounts volume "x" at \/run\/secrets/);
    assert.equal(res.body.response.patch, undefined);
  });

  test('a warning for a pod that set the label to something other than "true" reaches kubectl', async () => {
    const { webhook } = makeApp();
    const res = await request(webhook)
      .post('/mutate')
      .send(admissionReview(pod({ containers: [app()] }, { labels: { 'shroud.dev/inject': 'yes' } })));
    assert.deepEqual(res.body.response.warnings, [
      'label shroud.dev/inject is "yes", not "true": Shroud injected nothing',
    ]);
    assert.equal(res.body.response.patch, undefined);
  });

  test('answers v1beta1 in v1beta1, with the patch', async () => {
    const { webhook } = makeApp();
    const object = pod({ containers: [app()] });
    const res = await request(webhook)
      .post('/mutate')
      .send(admissionReview(object, {}, 'admission.k8s.io/v1beta1'));
    assert.equal(res.body.apiVersion, 'admission.k8s.io/v1beta1');
    assert.equal(((patched(object, res.body.response).spec as Obj).initContainers as Obj[]).length, 1);
  });

  test('values in the pod never come back in the patch or the log', async () => {
    const { webhook, logs } = makeApp();
    const object = pod({ containers: [app({ env: [{ name: 'DB_PASSWORD', value: CANARY }] })] });
    const res = await request(webhook).post('/mutate').send(admissionReview(object));
    assert.equal(res.body.response.allowed, true);
    const patch = Buffer.from(res.body.response.patch, 'base64').toString('utf8');
    assert.ok(!patch.includes(CANARY) && !res.text.includes(CANARY));
    assert.ok(!logs.text().includes(CANARY));
  });
});
