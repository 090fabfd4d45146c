import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import type { AdmissionRequest, KubeObject } from '../../src/admission/types.js';
import { createPolicyReviewer, loadPolicyDir } from '../../src/policy/index.js';
import { EXISTING_PREFIX, identityPath, jsonEqual, unjudgedUpdate } from '../../src/policy/update.js';
import { truncateUtf8 } from '../../src/policy/verdict.js';

const { value: BUILTINS, issues } = await loadPolicyDir('policies');
assert.deepEqual(issues, []);
const reviewer = createPolicyReviewer(() => BUILTINS, { now: () => new Date('2026-11-23T10:00:00Z') });

const CANARY = 'CANARY-7c1d93aa';

/** An apiserver-shaped UPDATE review of `object`, with `oldObject` (absent when undefined). */
function update(object: KubeObject, oldObject: KubeObject | undefined, subResource?: string): AdmissionRequest {
  const kind = String(object.kind);
  const meta = (object.metadata ?? {}) as { name?: string; namespace?: string };
  const group = kind === 'Deployment' ? 'apps' : kind.endsWith('Role') ? 'rbac.authorization.k8s.io' : '';
  return {
    uid: '5d2f0c1e-7a3b-4c9d-8e1f-0a2b3c4d5e6f',
    kind: { group, version: 'v1', kind },
    resource: { group, version: 'v1', resource: `${kind.toLowerCase()}s` },
    ...(subResource === undefined ? {} : { subResource }),
    name: meta.name,
    namespace: meta.namespace,
    operation: 'UPDATE',
    userInfo: { username: 'dev@example.com', groups: ['system:authenticated'] },
    object,
    ...(oldObject === undefined ? {} : { oldObject }),
  };
}

type Container = Record<string, unknown>;
const secretEnv = (name: string): Container => ({
  name,
  image: 'app:1',
  env: [
    { name: 'PLAIN', value: CANARY },
    { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
  ],
});
const clean = (name: string, value = 'a'): Container => ({ name, image: 'app:1', env: [{ name: 'MODE', value }] });

function deployment(
  containers: Container[],
  extra: { meta?: object; replicas?: number; status?: object } = {},
): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'shop', labels: { app: 'web' }, ...extra.meta },
    spec: {
      replicas: extra.replicas ?? 2,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers } },
    },
    ...(extra.status === undefined ? {} : { status: extra.status }),
  };
}

function pod(containers: Container[], ephemeral: Container[] = [], meta: object = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-1', namespace: 'shop', labels: { app: 'web' }, ...meta },
    spec: { containers, ...(ephemeral.length > 0 ? { ephemeralContainers: ephemeral } : {}) },
  };
}

const role = (rules: object[]): KubeObject => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'Role',
  metadata: { name: 'reader', namespace: 'shop' },
  rules,
});
const listSecrets = { apiGroups: [''], resources: ['secrets'], verbs: ['list'] };
const readPods = { apiGroups: [''], resources: ['pods'], verbs: ['get'] };

interface Case {
  name: string;
  request: AdmissionRequest;
  allowed: boolean;
  /** Substrings the warnings must contain (each in some warning), when allowed. */
  warns?: string[];
  /** Substring of the deny message, when denied. */
  denies?: string;
}

const cases: Case[] = [
  {
    name: 'keeping a violation: allowed with a warning that it will be denied once changed',
    request: update(deployment([{ ...secretEnv('app'), image: 'app:2' }]), deployment([secretEnv('app')])),
    allowed: true,
    warns: [
      `[disallow-secret-env/secret-env-var] spec.template.spec.containers[0].env[1]: ${EXISTING_PREFIX}container "app"`,
    ],
  },
  {
    name: 'keeping a violation while changing the spec elsewhere: allowed with the warning',
    request: update(
      deployment([secretEnv('app'), clean('side', 'b')]),
      deployment([secretEnv('app'), clean('side', 'a')]),
    ),
    allowed: true,
    warns: [EXISTING_PREFIX],
  },
  {
    name: 'adding a violation: denied as on CREATE',
    request: update(deployment([secretEnv('app')]), deployment([clean('app')])),
    allowed: false,
    denies: '[disallow-secret-env/secret-env-var] spec.template.spec.containers[0].env[1]: container "app"',
  },
  {
    name: 'adding a second violating container next to an existing one: denied for the new one only',
    request: update(deployment([secretEnv('app'), secretEnv('worker')]), deployment([secretEnv('app')])),
    allowed: false,
    denies: 'spec.template.spec.containers[1].env[1]: container "worker"',
  },
  {
    name: 'removing a violation: allowed, nothing to say',
    request: update(deployment([clean('app')]), deployment([secretEnv('app')])),
    allowed: true,
  },
  {
    name: 'reordering containers keeps identity (by name, not position): allowed',
    request: update(deployment([clean('side'), secretEnv('app')]), deployment([secretEnv('app'), clean('side')])),
    allowed: true,
    warns: [`spec.template.spec.containers[1].env[1]: ${EXISTING_PREFIX}`],
  },
  {
    name: 'renaming a violating container counts as new: denied',
    request: update(deployment([secretEnv('app-v2')]), deployment([secretEnv('app')])),
    allowed: false,
    denies: 'container "app-v2"',
  },
  {
    name: 'finalizer removal on a terminating Deployment with a secretKeyRef env var: allowed',
    request: update(
      deployment([secretEnv('app')], { meta: { deletionTimestamp: '2026-11-23T09:00:00Z', finalizers: [] } }),
      deployment([secretEnv('app')], {
        meta: { deletionTimestamp: '2026-11-23T09:00:00Z', finalizers: ['foregroundDeletion'] },
      }),
    ),
    allowed: true,
  },
  {
    name: 'setting deletionTimestamp (foreground deletion starts): allowed',
    request: update(
      deployment([secretEnv('app')], { meta: { deletionTimestamp: '2026-11-23T09:00:00Z' } }),
      deployment([secretEnv('app')]),
    ),
    allowed: true,
  },
  {
    name: 'label-only update of a violating pod: allowed, with a warning for what it already had',
    request: update(pod([secretEnv('app')], [], { labels: { app: 'web', debug: 'on' } }), pod([secretEnv('app')])),
    allowed: true,
    warns: [`spec.containers[0].env[1]: ${EXISTING_PREFIX}`],
  },
  {
    name: 'scale-only update of a violating Deployment: allowed, with a warning',
    request: update(deployment([secretEnv('app')], { replicas: 5 }), deployment([secretEnv('app')], { replicas: 2 })),
    allowed: true,
    warns: [`spec.template.spec.containers[0].env[1]: ${EXISTING_PREFIX}`],
  },
  {
    name: 'status-only update of a violating Deployment (no subresource): allowed, with a warning',
    request: update(
      deployment([secretEnv('app')], { status: { readyReplicas: 2 } }),
      deployment([secretEnv('app')], { status: { readyReplicas: 1 } }),
    ),
    allowed: true,
    warns: [`spec.template.spec.containers[0].env[1]: ${EXISTING_PREFIX}`],
  },
  {
    name: 'ephemeral container added to a violating pod, clean: allowed with a warning for the old violation',
    request: update(pod([secretEnv('app')], [clean('debugger')]), pod([secretEnv('app')]), 'ephemeralcontainers'),
    allowed: true,
    warns: [`spec.containers[0].env[1]: ${EXISTING_PREFIX}`],
  },
  {
    name: 'ephemeral container added to a violating pod, reading a Secret into env: denied',
    request: update(
      pod([secretEnv('app')], [clean('old-debugger'), secretEnv('debugger')]),
      pod([secretEnv('app')], [clean('old-debugger')]),
      'ephemeralcontainers',
    ),
    allowed: false,
    denies: 'spec.ephemeralContainers[1].env[1]: container "debugger"',
  },
  {
    name: 'an ephemeral container the pod already had is not judged again',
    request: update(
      pod([clean('app')], [secretEnv('debugger'), clean('second')]),
      pod([clean('app')], [secretEnv('debugger')]),
      'ephemeralcontainers',
    ),
    allowed: true,
    warns: [`spec.ephemeralContainers[0].env[1]: ${EXISTING_PREFIX}`],
  },
  {
    name: 'oldObject missing on UPDATE: judged as CREATE (denied)',
    request: update(deployment([secretEnv('app')], { replicas: 5 }), undefined),
    allowed: false,
    denies: 'container "app"',
  },
  {
    name: 'RBAC rules are identified by index: an unchanged rule list with a new rule appended keeps the old one',
    request: update(role([listSecrets, readPods]), role([listSecrets])),
    allowed: true,
    warns: [`rules[0]: ${EXISTING_PREFIX}`],
  },
  {
    name: 'RBAC rules are identified by index: a rule inserted before a violating one makes it new',
    request: update(role([readPods, listSecrets]), role([listSecrets])),
    allowed: false,
    denies: 'rules[1]',
  },
];

for (const c of cases) {
  test(`update: ${c.name}`, async () => {
    const verdict = await reviewer.review(c.request);
    const text = JSON.stringify(verdict);
    assert.ok(!text.includes(CANARY), text);
    assert.equal(verdict.allowed, c.allowed, text);
    if (c.allowed) {
      assert.equal(verdict.message, undefined);
      if (c.warns === undefined) assert.equal(verdict.warnings, undefined, text);
      for (const w of c.warns ?? [])
        assert.ok(
          verdict.warnings?.some((line) => line.includes(w)),
          `expected a warning containing ${w}: ${text}`,
        );
      for (const w of verdict.warnings ?? []) assert.ok(Buffer.byteLength(w) <= 256, w);
    } else {
      assert.ok(verdict.message?.includes(c.denies!), text);
      assert.ok(!verdict.message?.includes(EXISTING_PREFIX), 'an existing violation is never in the deny message');
    }
  });
}

test('update: the old violation is a warning and the new one denies in the same answer', async () => {
  const verdict = await reviewer.review(
    update(deployment([secretEnv('app'), secretEnv('worker')]), deployment([secretEnv('app')])),
  );
  assert.equal(verdict.allowed, false);
  assert.equal(verdict.message?.split('\n').length, 1, verdict.message);
  assert.ok(verdict.message?.includes('container "worker"'));
  assert.deepEqual(
    verdict.warnings?.map((w) => w.includes(EXISTING_PREFIX) && w.includes('containers[0]')),
    [true],
  );
});

test('update: warnings of many existing violations stay within kube-apiserver limits', async () => {
  const many = Array.from({ length: 60 }, (_, i) => secretEnv(`c${i}`));
  const verdict = await reviewer.review(
    update(deployment(many, { meta: { annotations: { x: 'y' } } }), deployment(many)),
  );
  // Only an annotation changed: allowed, the existing violations as warnings.
  assert.equal(verdict.allowed, true);
  const changed = many.map((c, i) => (i === 0 ? { ...c, image: 'app:2' } : c));
  const v2 = await reviewer.review(update(deployment(changed), deployment(many)));
  assert.equal(v2.allowed, true);
  const warnings = v2.warnings ?? [];
  assert.ok(warnings.length > 1);
  assert.ok(warnings.every((w) => Buffer.byteLength(w) <= 256));
  assert.ok(warnings.reduce((n, w) => n + Buffer.byteLength(w), 0) <= 4096);
  assert.match(warnings.at(-1)!, /more Shroud warnings not shown/);
});

test('identityPath: array positions become names where the element has one', () => {
  const object = deployment([clean('side'), secretEnv('app')]);
  const table: Array<[string, Array<string | number>, string]> = [
    [
      'container and env var by name',
      ['spec', 'template', 'spec', 'containers', 1, 'env', 1],
      'spec.template.spec.containers[name=app].env[name=DB_PASSWORD]',
    ],
    ['no name: position kept', ['spec', 'selector', 'matchLabels'], 'spec.selector.matchLabels'],
    [
      'a position past the end is kept',
      ['spec', 'template', 'spec', 'containers', 7],
      'spec.template.spec.containers[7]',
    ],
  ];
  for (const [name, location, want] of table) assert.equal(identityPath(object, location), want, name);
  assert.equal(identityPath(role([listSecrets]), ['rules', 0]), 'rules[0]', 'RBAC rules have no name');
  assert.equal(
    identityPath({ data: { 'app.conf': 'x' } }, ['data', 'app.conf']),
    'data["app.conf"]',
    'ConfigMap data keys are names',
  );
  assert.equal(identityPath(pod([{ name: 'a b' }]), ['spec', 'containers', 0]), 'spec.containers[name="a b"]');
});

test('unjudgedUpdate: which changes are never judged', () => {
  const base = deployment([secretEnv('app')]);
  const table: Array<[string, KubeObject, string | undefined]> = [
    [
      'labels',
      deployment([secretEnv('app')], { meta: { labels: { app: 'web', x: '1' } } }),
      'only metadata, status or scale changed',
    ],
    [
      'ownerReferences',
      deployment([secretEnv('app')], { meta: { ownerReferences: [{ uid: 'u' }] } }),
      'only metadata, status or scale changed',
    ],
    [
      'managedFields',
      deployment([secretEnv('app')], { meta: { managedFields: [{ manager: 'm' }] } }),
      'only metadata, status or scale changed',
    ],
    ['replicas', deployment([secretEnv('app')], { replicas: 9 }), 'only metadata, status or scale changed'],
    [
      'being deleted',
      deployment([secretEnv('app')], { meta: { deletionTimestamp: '2026-01-01T00:00:00Z' } }),
      'object is being deleted',
    ],
    ['an env value', deployment([secretEnv('app'), clean('x')]), undefined],
    [
      'the template labels',
      { ...base, spec: { ...(base.spec as object), template: { metadata: { labels: {} }, spec: {} } } },
      undefined,
    ],
  ];
  for (const [name, object, want] of table) assert.equal(unjudgedUpdate(object, base), want, name);
});

test('jsonEqual (property): agrees with comparing canonical JSON, and survives deep nesting', () => {
  const canonical = (v: unknown): string =>
    JSON.stringify(v, (_k, x) =>
      x !== null && typeof x === 'object' && !Array.isArray(x)
        ? Object.fromEntries(Object.entries(x as object).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
        : x,
    );
  fc.assert(
    fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) => {
      assert.equal(jsonEqual(a, b), canonical(a) === canonical(b));
      assert.equal(jsonEqual(a, structuredClone(a)), true);
    }),
  );
  let deep: unknown = 1;
  let deep2: unknown = 2;
  for (let i = 0; i < 200_000; i++) {
    deep = [deep];
    deep2 = [deep2];
  }
  assert.equal(jsonEqual(deep, deep2), false);
});

test('canaries (property): no UPDATE verdict contains a planted value', async () => {
  const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,6}$/);
  const envVar = fc.oneof(
    fc.record({ name, value: fc.constant(CANARY) }),
    fc.record({ name, valueFrom: fc.record({ secretKeyRef: fc.record({ name, key: name }) }) }),
  );
  const containers = fc.array(
    fc.record({ name, image: fc.constant('app:1'), env: fc.array(envVar, { maxLength: 3 }) }),
    {
      minLength: 1,
      maxLength: 3,
    },
  );
  await fc.assert(
    fc.asyncProperty(containers, containers, async (before, after) => {
      const verdict = await reviewer.review(update(deployment(after), deployment(before)));
      assert.ok(!JSON.stringify(verdict).includes(CANARY));
    }),
    { numRuns: 200 },
  );
});

test('update: past the deadline, an update that changes nothing judged is still allowed; any other is the timeout denial', async () => {
  const late = createPolicyReviewer(() => BUILTINS, { clock: () => 10 });
  const table: Array<[string, AdmissionRequest, boolean]> = [
    [
      'label-only update of a violating Deployment',
      update(
        deployment([secretEnv('app')], { meta: { labels: { app: 'web', x: '1' } } }),
        deployment([secretEnv('app')]),
      ),
      true,
    ],
    [
      'an image change of a violating Deployment',
      update(deployment([{ ...secretEnv('app'), image: 'app:2' }]), deployment([secretEnv('app')])),
      false,
    ],
  ];
  for (const [name, request, allowed] of table) {
    const verdict = await late.review(request, { deadline: 0 });
    assert.equal(verdict.allowed, allowed, name);
    assert.equal(verdict.timedOut, allowed ? undefined : true, name);
  }
});

test('truncateUtf8 (property): the cut line is a prefix of whole code points within the byte bound', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 300 }), fc.integer({ min: 4, max: 400 }), (s, max) => {
      const cut = truncateUtf8(s, max);
      assert.ok(Buffer.byteLength(cut) <= max, `${Buffer.byteLength(cut)} > ${max}`);
      if (cut === s) return;
      assert.ok(cut.endsWith('…'));
      const kept = cut.slice(0, -1);
      assert.ok(s.startsWith(kept));
      // Nothing more would have fitted: the next code point would overflow the bound.
      const next = String.fromCodePoint(s.codePointAt(kept.length)!);
      assert.ok(Buffer.byteLength(kept + next) + Buffer.byteLength('…') > max);
    }),
  );
});
