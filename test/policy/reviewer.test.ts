import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import type { AdmissionRequest, KubeObject } from '../../src/admission/types.js';
import { createPolicyReviewer, loadPolicyDir, parsePolicyFiles } from '../../src/policy/index.js';
import { timerTurn } from '../helpers/timer-turn.js';

const { value: BUILTINS, issues } = await loadPolicyDir('policies');
assert.deepEqual(issues, []);
const reviewer = createPolicyReviewer(() => BUILTINS, { now: () => new Date('2026-11-23T10:00:00Z') });

function request(object: KubeObject, operation: AdmissionRequest['operation'] = 'CREATE'): AdmissionRequest {
  const kind = String(object.kind);
  const meta = (object.metadata ?? {}) as { name?: string; namespace?: string };
  return {
    uid: '0b6f1c9e-1d2f-4c8e-9f0a-2a5b7c9d1e3f',
    kind: { group: 'apps', version: 'v1', kind },
    resource: { group: 'apps', version: 'v1', resource: `${kind.toLowerCase()}s` },
    name: meta.name,
    namespace: meta.namespace,
    operation,
    userInfo: { username: 'dev@example.com', groups: ['system:authenticated'] },
    object,
  };
}

test('reviewer end to end: a Deployment with a secret env var and a hostPath is denied with one line per violation', async () => {
  const deployment: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'shop' },
    spec: {
      template: {
        spec: {
          containers: [
            {
              name: 'app',
              env: [{ name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } }],
            },
          ],
          volumes: [{ name: 'node', hostPath: { path: '/var/lib/kubelet' } }],
        },
      },
    },
  };
  assert.deepEqual(await reviewer.review(request(deployment)), {
    allowed: false,
    message: [
      `[disallow-host-path/host-path-volume] spec.template.spec.volumes[0]: volume "node" mounts host path /var/lib/kubelet; hostPath reaches the node's files, including other pods' secret volumes. Use emptyDir, a ConfigMap or Secret volume, or a PersistentVolumeClaim instead.`,
      '[disallow-secret-env/secret-env-var] spec.template.spec.containers[0].env[0]: container "app" reads key "password" of Secret "db" into env var DB_PASSWORD; env vars leak through crash dumps, /proc and debug output. Mount the Secret read-only as a file (a secret volume with readOnly: true) or use Shroud injection (label shroud.dev/inject: "true").',
    ].join('\n'),
    policiesHit: ['disallow-host-path', 'disallow-secret-env'],
  });
});

test('reviewer end to end: a ClusterRole with get on all secrets is allowed with a warning that fits 256 bytes', async () => {
  const verdict = await reviewer.review(
    request({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'reader' },
      rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }],
    }),
  );
  assert.deepEqual(verdict, {
    allowed: true,
    warnings: [
      '[restrict-secret-rbac/get-all-secrets] rules[0]: get on all secrets reads any Secret by name; limit it with resourceNames.',
    ],
    policiesHit: ['restrict-secret-rbac'],
  });
  assert.ok(Buffer.byteLength(verdict.warnings![0]!) <= 256);
});

test('reviewer end to end: DELETE (no object) and kinds without policies are allowed with nothing to say', async () => {
  assert.deepEqual(
    await reviewer.review({ ...request({ kind: 'Pod', metadata: { name: 'p' } }, 'DELETE'), object: null }),
    { allowed: true },
  );
  assert.deepEqual(await reviewer.review(request({ kind: 'Service', metadata: { name: 's' } })), { allowed: true });
});

test('reviewer: DELETE and CONNECT are allowed even when a policy matches them, so deletion is never blocked', async () => {
  const text = [
    'apiVersion: policy.shroud.dev/v1',
    'kind: Policy',
    'metadata: { name: deny-everything }',
    'spec:',
    '  enforcement: deny',
    '  match: { kinds: [Pod], operations: [CREATE, UPDATE, DELETE, CONNECT] }',
    '  rules:',
    '    - name: any-pod',
    '      select: "$.metadata"',
    '      message: "pods are not allowed"',
  ].join('\n');
  const loaded = parsePolicyFiles([{ file: 'deny-everything.yaml', text }]);
  assert.deepEqual(loaded.issues, []);
  const strict = createPolicyReviewer(() => loaded.value);
  const pod: KubeObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'shop' } };
  assert.equal((await strict.review(request(pod, 'CREATE'))).allowed, false, 'the policy does deny a CREATE');
  for (const operation of ['DELETE', 'CONNECT'] as const) {
    assert.deepEqual(await strict.review({ ...request(pod, operation), oldObject: pod }), { allowed: true }, operation);
  }
});

// Random pods and ConfigMaps with a canary planted in every place a secret value can sit:
// whatever the shape, the verdict must never contain it.
const CANARY = 'CANARY-e41f0b7d';
const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/);
const secretish = fc.constantFrom(
  CANARY,
  `pw=${CANARY}`,
  `-----BEGIN PRIVATE KEY-----\n${CANARY}\n-----END PRIVATE KEY-----`,
  `https://u:${CANARY}@h`,
);
const envVar = fc.oneof(
  fc.record({ name, value: secretish }),
  fc.record({ name, valueFrom: fc.record({ secretKeyRef: fc.record({ name, key: name }) }) }),
);
const containerArb = fc.record({
  name,
  args: fc.array(secretish, { maxLength: 2 }),
  env: fc.array(envVar, { maxLength: 4 }),
  envFrom: fc.array(fc.record({ secretRef: fc.record({ name }) }), { maxLength: 1 }),
});
const podArb = fc.record({
  apiVersion: fc.constant('v1'),
  kind: fc.constant('Pod'),
  metadata: fc.record({ name, namespace: name, annotations: fc.dictionary(name, secretish, { maxKeys: 2 }) }),
  spec: fc.record({
    containers: fc.array(containerArb, { minLength: 1, maxLength: 2 }),
    initContainers: fc.array(containerArb, { maxLength: 1 }),
    volumes: fc.array(fc.record({ name, hostPath: fc.record({ path: fc.constantFrom('/var', '/etc/secret') }) }), {
      maxLength: 1,
    }),
  }),
});
const configMapArb = fc.record({
  apiVersion: fc.constant('v1'),
  kind: fc.constant('ConfigMap'),
  metadata: fc.record({ name }),
  data: fc.dictionary(fc.oneof(name, fc.constantFrom('password', 'api_token', 'id_rsa', 'app.conf')), secretish, {
    maxKeys: 5,
  }),
  binaryData: fc.dictionary(
    name,
    secretish.map((s) => Buffer.from(s).toString('base64')),
    { maxKeys: 2 },
  ),
});

test('canaries (property): no verdict for any generated Pod or ConfigMap contains a planted value', async () => {
  await fc.assert(
    fc.asyncProperty(fc.oneof(podArb, configMapArb), async (object) => {
      const verdict = await reviewer.review(request(object as unknown as KubeObject));
      const text = JSON.stringify(verdict);
      assert.ok(!text.includes(CANARY), text);
      assert.ok(!text.includes(Buffer.from(CANARY).toString('base64').slice(0, 12)), text);
    }),
    { numRuns: 300 },
  );
});

test('robustness (property): any JSON object of any kind is answered, never thrown on', async () => {
  const kinds = fc.constantFrom(
    'Pod',
    'Deployment',
    'CronJob',
    'PodTemplate',
    'ConfigMap',
    'Role',
    'ClusterRole',
    'PersistentVolume',
    'Service',
  );
  await fc.assert(
    fc.asyncProperty(kinds, fc.jsonValue(), fc.jsonValue(), async (kind, spec, data) => {
      const object = {
        kind,
        metadata: { name: 'x' },
        spec,
        data,
        rules: spec,
        binaryData: data,
        template: spec,
      } as KubeObject;
      const verdict = await reviewer.review(request(object));
      assert.equal(typeof verdict.allowed, 'boolean');
      for (const n of verdict.notices ?? []) assert.notEqual(n.message, 'rule error', JSON.stringify(n));
    }),
    { numRuns: 500 },
  );
});

test('reviewer: pods/ephemeralcontainers is judged, pods/status is not', async () => {
  const pod: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'shop' },
    spec: {
      containers: [{ name: 'app' }],
      ephemeralContainers: [{ name: 'debug', envFrom: [{ secretRef: { name: 'db' } }] }],
    },
  };
  const ephemeral = await reviewer.review({ ...request(pod, 'UPDATE'), subResource: 'ephemeralcontainers' });
  assert.equal(ephemeral.allowed, false);
  assert.match(
    ephemeral.message!,
    /^\[disallow-secret-env\/secret-env-from\] spec\.ephemeralContainers\[0\]\.envFrom\[0\]: /,
  );
  assert.deepEqual(await reviewer.review({ ...request(pod, 'UPDATE'), subResource: 'status' }), { allowed: true });
});

test('reviewer bounds: a Pod with 42,000 secret env vars is denied with a message under 16 KiB that counts the rest', {
  timeout: 30_000,
}, async () => {
  const env = Array.from({ length: 42_000 }, (_, i) => ({
    name: `SECRET_${i}`,
    valueFrom: { secretKeyRef: { name: `db-${i}`, key: `k${i}` } },
  }));
  env.push({ name: 'PLAIN', value: CANARY } as unknown as (typeof env)[number]);
  const pod: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'big', namespace: 'shop' },
    spec: { containers: [{ name: 'app', image: 'app:1', env }] },
  };
  const verdict = await reviewer.review(request(pod));
  assert.equal(verdict.allowed, false);
  const message = verdict.message!;
  assert.ok(Buffer.byteLength(message) <= 16 * 1024, `${Buffer.byteLength(message)} bytes`);
  assert.ok(!message.includes(CANARY));
  const lines = message.split('\n');
  const shown = lines.slice(0, -1);
  assert.ok(shown.length > 10, `${shown.length} lines shown`);
  for (const [i, line] of shown.entries())
    assert.ok(line.startsWith(`[disallow-secret-env/secret-env-var] spec.containers[0].env[${i}]: `), line);
  assert.equal(
    lines.at(-1),
    `… and ${42_000 - shown.length} more violations not shown; run "shroud check" on the manifest to see them all`,
  );
  await timerTurn();
});

const boundOptions: Array<{ name: string; options: Record<string, number>; error: RegExp | undefined }> = [
  { name: 'defaults', options: {}, error: undefined },
  {
    name: 'smallest bounds',
    options: { maxViolations: 1, maxMessageBytes: 1024, maxAuditAnnotationBytes: 1024 },
    error: undefined,
  },
  {
    name: 'zero violations',
    options: { maxViolations: 0 },
    error: /^maxViolations must be a whole number of at least 1 \(got 0\)$/,
  },
  { name: 'a fraction', options: { maxViolations: 2.5 }, error: /^maxViolations must be a whole number/ },
  {
    name: 'Infinity',
    options: { maxViolations: Number.POSITIVE_INFINITY },
    error: /^maxViolations must be a whole number/,
  },
  {
    name: 'a message too small for one line',
    options: { maxMessageBytes: 100 },
    error: /^maxMessageBytes must be a whole number of at least 1024 \(got 100\)$/,
  },
  {
    name: 'NaN annotation bytes',
    options: { maxAuditAnnotationBytes: Number.NaN },
    error: /^maxAuditAnnotationBytes must be/,
  },
];
for (const c of boundOptions) {
  test(`reviewer bounds: options, ${c.name}`, () => {
    const make = () => createPolicyReviewer(() => BUILTINS, c.options);
    if (c.error === undefined) {
      assert.equal(typeof make().review, 'function');
      return;
    }
    assert.throws(make, (err: unknown) => {
      assert.equal((err as { code?: string }).code, 'CONFIG_INVALID');
      assert.match((err as Error).message, c.error!);
      return true;
    });
  });
}

test('reviewer bounds: maxViolations and maxMessageBytes shape the deny message', async () => {
  const pod: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'shop' },
    spec: {
      containers: [{ name: 'app', envFrom: Array.from({ length: 5 }, (_, i) => ({ secretRef: { name: `s${i}` } })) }],
    },
  };
  const small = createPolicyReviewer(() => BUILTINS, { maxViolations: 2 });
  const lines = (await small.review(request(pod))).message!.split('\n');
  assert.equal(lines.length, 3);
  assert.equal(lines[2], '… and 3 more violations not shown; run "shroud check" on the manifest to see them all');
});
