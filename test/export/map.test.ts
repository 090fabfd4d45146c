/**
 * `shroud export map`: the exported MutatingAdmissionPolicy, evaluated by an independent CEL
 * implementation and applied with a JSON Patch library, gives every pod the same result as
 * `/mutate` (the real Mutator): the repository's injection fixtures and a table of the cases
 * docs/injection.md names.
 */
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { Environment } from '@marcbachmann/cel-js';
import fc from 'fast-check';
import { exportInjectionGuard } from '../../src/export/map-guard.js';
import { exportInjectionPolicy, MAP_NAME, mapExpressions } from '../../src/export/map.js';
import { celString } from '../../src/export/map-cel.js';
import { createInjectionMutator } from '../../src/inject/index.js';
import { app, POD_SHAPES, pod, SETTINGS, TEST_CA_PEM } from '../inject/pod-shapes.js';
import { assertSameAsMutate, type Outcome, podCreate } from './map-compare.js';
import { applyPatch, asMapLiteral, evaluateGuard, evaluateMap } from './map-eval.js';

type Obj = Record<string, unknown>;

const MAP_SETTINGS = { ...SETTINGS, unsealCaPem: TEST_CA_PEM };
const { policy, binding } = exportInjectionPolicy(MAP_SETTINGS);
const guard = exportInjectionGuard(MAP_SETTINGS).policy;

/** The pod `/mutate` makes of `p` (which it must inject). */
function injected(p: Obj): Obj {
  const verdict = createInjectionMutator(() => SETTINGS).mutate(podCreate(p));
  if (verdict instanceof Promise || !verdict.allowed || verdict.patch === undefined)
    throw new Error('expected a patch');
  return applyPatch(p, verdict.patch as never);
}

const sealed = (value: string, more: Obj = {}) => ({
  annotations: { 'shroud.dev/sealed': value, ...more },
});
const mountAt = (mountPath: string, extra: Obj = {}) => app({ volumeMounts: [{ name: 'data', mountPath, ...extra }] });
const user = (runAsUser: number, extra: Obj = {}) => ({ securityContext: { runAsUser, ...extra } });

const plain = pod({ containers: [app()] });
const injectedPlain = injected(plain);
const injectedSpec = injectedPlain.spec as Obj;

const CASES: { name: string; pod: Obj; outcome: Outcome }[] = [
  ...POD_SHAPES.map((s) => ({ name: `fixture: ${s.name}`, pod: s.pod, outcome: 'injected' as const })),
  // The opt-in.
  {
    name: 'no label, no annotation',
    pod: pod({ containers: [app()] }, { labels: {}, annotations: {} }),
    outcome: 'unchanged',
  },
  {
    name: 'annotation without the label',
    pod: pod({ containers: [app()] }, { labels: { app: 'web' } }),
    outcome: 'unchanged',
  },
  {
    name: 'label "false"',
    pod: pod({ containers: [app()] }, { labels: { 'shroud.dev/inject': 'false' } }),
    outcome: 'unchanged',
  },
  { name: 'label without annotation', pod: pod({ containers: [app()] }, { annotations: {} }), outcome: 'denied' },
  { name: 'empty annotation', pod: pod({ containers: [app()] }, sealed('  ')), outcome: 'denied' },
  { name: 'not a ConfigMap name', pod: pod({ containers: [app()] }, sealed('Bad_Name')), outcome: 'denied' },
  { name: 'a name twice', pod: pod({ containers: [app()] }, sealed('a, a')), outcome: 'denied' },
  { name: 'an empty entry', pod: pod({ containers: [app()] }, sealed('a,,b')), outcome: 'denied' },
  { name: 'a trailing comma', pod: pod({ containers: [app()] }, sealed('a,')), outcome: 'denied' },
  {
    name: 'a name of 254 characters',
    pod: pod({ containers: [app()] }, sealed(`${'a'.repeat(250)}.bcd`)),
    outcome: 'denied',
  },
  {
    name: 'a name of 253 characters',
    pod: pod({ containers: [app()] }, sealed(`${'a'.repeat(249)}.bcd`)),
    outcome: 'injected',
  },
  {
    name: 'names padded with tabs, newlines and no-break spaces',
    pod: pod({ containers: [app()] }, sealed('\tweb-secrets\u00a0,\n db.creds \u3000')),
    outcome: 'injected',
  },
  {
    name: 'a padding /mutate does not trim (U+0085)',
    pod: pod({ containers: [app()] }, sealed('a\u0085')),
    outcome: 'denied',
  },
  {
    name: 'five sealed ConfigMaps',
    pod: pod({ containers: [app(), { name: 'worker', image: 'w' }] }, sealed('a,b,c.d,e-f,g')),
    outcome: 'injected',
  },
  ...[
    ['/', 'denied'],
    ['run/secrets', 'denied'],
    ['/run/./x', 'denied'],
    ['/run/../x', 'denied'],
    ['/run/a:b', 'denied'],
    ['/run/a\\b', 'denied'],
    ['/var/run/shroud', 'denied'],
    ['/var/run', 'denied'],
    ['/var/run/shroud/out', 'denied'],
    ['/var/run/shroudx', 'injected'],
    ['', 'denied'],
    ['//etc//secrets/', 'injected'],
    ['/etc/secrets', 'injected'],
  ].map(([path, outcome]) => ({
    name: `mount path ${JSON.stringify(path)}`,
    pod: pod({ containers: [app()] }, sealed('web-secrets', { 'shroud.dev/mount-path': path })),
    outcome: outcome as Outcome,
  })),
  // Already injected; reinvocation after other webhooks.
  { name: 'already injected by /mutate', pod: injectedPlain, outcome: 'unchanged' },
  {
    name: 'injected, then the API server added its defaults',
    pod: {
      ...injectedPlain,
      spec: {
        ...injectedSpec,
        volumes: (injectedSpec.volumes as Obj[]).map((v) =>
          v.configMap === undefined ? v : { ...v, configMap: { ...(v.configMap as Obj), defaultMode: 420 } },
        ),
        initContainers: (injectedSpec.initContainers as Obj[]).map((c) => ({
          ...c,
          terminationMessagePath: '/dev/termination-log',
        })),
      },
    },
    outcome: 'unchanged',
  },
  {
    name: 'injected, then another webhook added a container and an init container before ours',
    pod: {
      ...injectedPlain,
      spec: {
        ...injectedSpec,
        containers: [...(injectedSpec.containers as Obj[]), { name: 'proxy', image: 'proxy:1' }],
        initContainers: [{ name: 'mesh-init', image: 'mesh:1' }, ...(injectedSpec.initContainers as Obj[])],
      },
    },
    outcome: 'injected',
  },
  {
    name: 'one container already has the mount, the other not',
    pod: pod({
      containers: [
        app({ volumeMounts: [{ name: 'shroud-secrets', mountPath: '/run/secrets/shroud/', readOnly: true }] }),
        { name: 'worker', image: 'w' },
      ],
    }),
    outcome: 'injected',
  },
  // Names that are taken.
  {
    name: 'a volume shroud-secrets that is not in memory',
    pod: pod({ containers: [app()], volumes: [{ name: 'shroud-secrets', emptyDir: {} }] }),
    outcome: 'denied',
  },
  {
    name: 'a volume shroud-token of another audience',
    pod: pod({
      containers: [app()],
      volumes: [
        {
          name: 'shroud-token',
          projected: { sources: [{ serviceAccountToken: { audience: 'vault', path: 'token' } }] },
        },
      ],
    }),
    outcome: 'denied',
  },
  {
    name: 'a volume shroud-sealed-0 of another ConfigMap',
    pod: pod({ containers: [app()], volumes: [{ name: 'shroud-sealed-0', configMap: { name: 'other' } }] }),
    outcome: 'denied',
  },
  {
    name: 'a volume shroud-sealed-1 while one ConfigMap is sealed (not a name Shroud uses)',
    pod: pod({ containers: [app()], volumes: [{ name: 'shroud-sealed-1', configMap: { name: 'other' } }] }),
    outcome: 'injected',
  },
  {
    name: 'an init container shroud-unseal that is not Shroud',
    pod: pod({ containers: [app()], initContainers: [{ name: 'shroud-unseal', image: 'x', args: ['other'] }] }),
    outcome: 'denied',
  },
  {
    name: 'a container named shroud-unseal',
    pod: pod({ containers: [app(), { name: 'shroud-unseal', image: 'x' }] }),
    outcome: 'denied',
  },
  // Mounts near the mount path.
  { name: 'a mount at the mount path', pod: pod({ containers: [mountAt('/run/secrets/shroud')] }), outcome: 'denied' },
  { name: 'a mount above it', pod: pod({ containers: [mountAt('/run/secrets')] }), outcome: 'denied' },
  { name: 'a mount inside it', pod: pod({ containers: [mountAt('/run/secrets/shroud/x')] }), outcome: 'denied' },
  { name: 'a mount at /', pod: pod({ containers: [mountAt('/')] }), outcome: 'denied' },
  { name: 'a mount beside it', pod: pod({ containers: [mountAt('/run/secrets/shroud-other')] }), outcome: 'injected' },
  { name: 'a mount with an empty path', pod: pod({ containers: [mountAt('')] }), outcome: 'injected' },
  {
    name: 'shroud-secrets mounted writable',
    pod: pod({ containers: [app({ volumeMounts: [{ name: 'shroud-secrets', mountPath: '/run/secrets/shroud' }] })] }),
    outcome: 'denied',
  },
  {
    name: 'shroud-secrets mounted elsewhere',
    pod: pod({ containers: [app({ volumeMounts: [{ name: 'shroud-secrets', mountPath: '/x', readOnly: true }] })] }),
    outcome: 'denied',
  },
  {
    name: 'an init container mounting above the mount path',
    pod: pod({
      containers: [app()],
      initContainers: [{ name: 'i', image: 'i', volumeMounts: [{ name: 'd', mountPath: '/run' }] }],
    }),
    outcome: 'denied',
  },
  // Who shroud-unseal runs as.
  {
    name: 'containers as different users, no fsGroup',
    pod: pod({ containers: [app(user(1000)), { name: 'w', image: 'w', ...user(2000) }] }),
    outcome: 'denied',
  },
  {
    name: 'containers as different users, fsGroup set (files 0440)',
    pod: pod({
      containers: [app(user(1000)), { name: 'w', image: 'w', ...user(2000) }],
      securityContext: { fsGroup: 3000 },
    }),
    outcome: 'injected',
  },
  {
    name: 'every container as user 1000 with group 1000',
    pod: pod({ containers: [app(user(1000, { runAsGroup: 1000 })), { name: 'w', image: 'w', ...user(1000) }] }),
    outcome: 'injected',
  },
  {
    name: 'the pod as root: a warning, shroud-unseal as 65532',
    pod: pod({ containers: [app()], securityContext: { runAsUser: 0, runAsGroup: 0 } }),
    outcome: 'injected',
  },
  {
    name: 'one container as 1000, one unsaid: 65532',
    pod: pod({ containers: [app(user(1000)), { name: 'w', image: 'w' }] }),
    outcome: 'injected',
  },
  {
    name: 'a root init container and an app as 1000: 1000',
    pod: pod({ containers: [app(user(1000))], initContainers: [{ name: 'net', image: 'n', ...user(0) }] }),
    outcome: 'injected',
  },
  {
    name: 'two groups in use, the pod names none: 65532',
    pod: pod({
      containers: [
        app({ securityContext: { runAsGroup: 5 } }),
        { name: 'w', image: 'w', securityContext: { runAsGroup: 6 } },
      ],
    }),
    outcome: 'injected',
  },
  {
    name: 'injected pods are not judged again on users (a later container as another user)',
    pod: {
      ...injectedPlain,
      spec: {
        ...injectedSpec,
        containers: [...(injectedSpec.containers as Obj[]), { name: 'late', image: 'l', ...user(4242) }],
        securityContext: { runAsUser: 7 },
      },
    },
    outcome: 'injected',
  },
];

describe('the exported MutatingAdmissionPolicy gives each pod what /mutate gives it', () => {
  for (const c of CASES) {
    test(c.name, () => {
      assert.equal(assertSameAsMutate(policy, SETTINGS, c.pod, guard), c.outcome);
    });
  }
});

test('applied twice is applied once; applied after /mutate it adds nothing', () => {
  for (const s of POD_SHAPES) {
    const once = applyPatch(s.pod, evaluateMap(policy, s.pod).patch);
    assert.notDeepEqual(once, s.pod, s.name);
    assert.deepStrictEqual(applyPatch(once, evaluateMap(policy, once).patch), once, s.name);
    assert.deepStrictEqual(evaluateMap(policy, injected(s.pod)).patch, [], s.name);
  }
});

test('the init container goes first, before init containers the pod has', () => {
  const shape = POD_SHAPES.find((s) => s.name.startsWith('an Istio-injected pod: istio-init'))!;
  const after = applyPatch(shape.pod, evaluateMap(policy, shape.pod).patch);
  const names = ((after.spec as Obj).initContainers as Obj[]).map((c) => c.name);
  assert.deepEqual(names, ['shroud-unseal', 'istio-init', 'istio-proxy']);
});

test('what the policy sets comes from the settings: image, URL, CA, size limit', () => {
  const other = {
    image: 'registry.example.com/shroud:9',
    unsealUrl: 'https://unseal.example.com:9443',
    unsealCaPem: `${TEST_CA_PEM}${TEST_CA_PEM}`,
    sizeLimit: '4Mi',
  };
  const exported = exportInjectionPolicy(other).policy;
  assert.equal(assertSameAsMutate(exported, other, plain), 'injected');
  const after = applyPatch(plain, evaluateMap(exported, plain).patch);
  const init = ((after.spec as Obj).initContainers as Obj[])[0]!;
  assert.equal(init.image, other.image);
  const env = Object.fromEntries((init.env as { name: string; value: string }[]).map((e) => [e.name, e.value]));
  assert.equal(env.SHROUD_UNSEAL_URL, other.unsealUrl);
  assert.equal(env.SHROUD_UNSEAL_CA_PEM, other.unsealCaPem);
  assert.deepEqual(((after.spec as Obj).volumes as Obj[])[0], {
    name: 'shroud-secrets',
    emptyDir: { medium: 'Memory', sizeLimit: '4Mi' },
  });
});

test('the policy and binding: scope, failure policy, reinvocation, names', () => {
  const spec = policy.spec as Obj;
  assert.equal(spec.failurePolicy, 'Fail');
  assert.equal(spec.reinvocationPolicy, 'IfNeeded');
  assert.deepEqual((spec.matchConstraints as Obj).resourceRules, [
    { apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'], scope: 'Namespaced' },
  ]);
  assert.deepEqual((spec.matchConstraints as Obj).objectSelector, { matchLabels: { 'shroud.dev/inject': 'true' } });
  assert.deepEqual(binding.spec, { policyName: MAP_NAME });
  assert.equal((policy.metadata as Obj).name, MAP_NAME);
  const names = (spec.variables as { name: string }[]).map((v) => v.name);
  assert.equal(new Set(names).size, names.length, 'variable names are unique');
  for (const n of names) assert.match(n, /^[A-Za-z_][A-Za-z0-9_]*$/, 'a CEL identifier');
});

test('the same settings give the same objects', () => {
  assert.deepStrictEqual(exportInjectionPolicy(MAP_SETTINGS), exportInjectionPolicy(structuredClone(MAP_SETTINGS)));
});

describe('reading JSONPatch{...} as a map literal (map-eval.ts)', () => {
  test('every JSONPatch of the mutation is rewritten, and the result has none left', () => {
    const mutation = mapExpressions(policy).at(-1)!.expression;
    const rewritten = asMapLiteral(mutation);
    assert.doesNotMatch(rewritten, /JSONPatch/);
    assert.equal(rewritten.split('{"op": ').length, mutation.split('JSONPatch{').length);
  });
  const bad = [
    ['another field order', 'JSONPatch{op: "add", value: 1, path: "/a"}'],
    ['no JSONPatch at all', '[]'],
    ['a field name elsewhere', '[JSONPatch{op: "add", path: "/a", value: {"x": 1}}, {"a": 1, path: 2}]'],
  ] as const;
  for (const [name, text] of bad) {
    test(`refuses ${name}`, () => assert.throws(() => asMapLiteral(text)));
  }
});

test('celString: CEL reads back the exact text (an independent CEL parser)', () => {
  const env = new Environment();
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (text) => {
      assert.equal(env.evaluate(celString(text)), text);
      assert.match(celString(text), /^[\x20-\x7e]*$/, 'ASCII only');
    }),
    { numRuns: 300 },
  );
  for (const text of ['\\', '"', '\n\r\t', '\u0000\u007f\u2028', 'a\u{1f600}b', "'"]) {
    assert.equal(env.evaluate(celString(text)), text);
  }
});

describe('the guard (ValidatingAdmissionPolicy shroud-inject-guard) on pods as they reach validation', () => {
  const notInjected = /the pod was not injected/;
  const injectedThenChanged = (change: (spec: Obj) => void): Obj => {
    const p = structuredClone(injectedPlain);
    change(p.spec as Obj);
    return p;
  };
  const cases: { name: string; pod: Obj; refused: RegExp[] }[] = [
    { name: 'injected by /mutate: admitted', pod: injectedPlain, refused: [] },
    { name: 'labelled, valid, not injected (no policy, no webhook ran)', pod: plain, refused: [notInjected] },
    {
      name: 'injected, then an init container put first, with its mount (no reinvocation)',
      pod: injectedThenChanged((s) => {
        const mount = { name: 'shroud-secrets', mountPath: '/run/secrets/shroud', readOnly: true };
        s.initContainers = [{ name: 'late-init', image: 'l', volumeMounts: [mount] }, ...(s.initContainers as Obj[])];
      }),
      refused: [notInjected],
    },
    {
      name: 'injected, then a container without the mount',
      pod: injectedThenChanged((s) => {
        s.containers = [...(s.containers as Obj[]), { name: 'late', image: 'l' }];
      }),
      refused: [notInjected],
    },
    {
      name: 'injected, then a volume removed',
      pod: injectedThenChanged((s) => {
        s.volumes = (s.volumes as Obj[]).filter((v) => v.name !== 'shroud-token');
      }),
      refused: [notInjected],
    },
    {
      name: 'a bad annotation: its own message',
      pod: pod({ containers: [app()] }, sealed('a,a')),
      refused: [/shroud\.dev\/sealed must name/],
    },
    {
      name: 'a bad mount path and a collision: both messages',
      pod: pod(
        { containers: [app()], volumes: [{ name: 'shroud-secrets', emptyDir: {} }] },
        sealed('web-secrets', { 'shroud.dev/mount-path': '/' }),
      ),
      refused: [/shroud\.dev\/mount-path must be an absolute path/, /a volume named shroud-secrets/],
    },
    {
      name: 'mounts near the mount path: the message names the containers and the path',
      pod: pod({
        containers: [mountAt('/run/secrets'), { name: 'ok', image: 'o' }],
        initContainers: [
          { name: 'i~1', image: 'i', volumeMounts: [{ name: 'd', mountPath: '/run/secrets/shroud/x' }] },
        ],
      }),
      refused: [
        /container "app", "i~1" mounts a volume at, inside or above the injection mount path \/run\/secrets\/shroud, /,
      ],
    },
    {
      name: 'not labelled: not matched',
      pod: pod({ containers: [app()] }, { labels: {}, annotations: {} }),
      refused: [],
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const refusals = evaluateGuard(guard, c.pod);
      assert.equal(refusals.length, c.refused.length, refusals.join('\n'));
      for (const [i, re] of c.refused.entries()) assert.match(refusals[i]!, re);
      for (const r of refusals)
        assert.match(r, /^Shroud injection \(label shroud\.dev\/inject: "true"\) cannot proceed: /);
    });
  }
});
