/**
 * The exported MutatingAdmissionPolicy against `/mutate` on generated pods: labelled or not,
 * annotations good and bad, lists absent, null or empty, names with `~` and `/`, mounts near the
 * mount path, Shroud's names taken or already Shroud's, mixed users and groups, pods injected
 * before and changed since. Every pod is one the API server could decode (mutation comes before
 * validation, but after decoding into the typed Pod): names unique within their list, as pod
 * validation requires of the result anyway. Whatever comes in, the policy's patch gives the pod
 * `/mutate` gives, or nothing when `/mutate` denies.
 */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import { exportInjectionGuard } from '../../src/export/map-guard.js';
import { exportInjectionPolicy } from '../../src/export/map.js';
import { createInjectionMutator } from '../../src/inject/index.js';
import { SETTINGS, TEST_CA_PEM } from '../inject/pod-shapes.js';
import { assertSameAsMutate, type Outcome, podCreate } from './map-compare.js';
import { applyPatch } from './map-eval.js';

type Obj = Record<string, unknown>;

const { policy } = exportInjectionPolicy({ ...SETTINGS, unsealCaPem: TEST_CA_PEM });
const guard = exportInjectionGuard({ ...SETTINGS, unsealCaPem: TEST_CA_PEM }).policy;

const mostly = <T>(usual: T[], rare: T[]) =>
  fc.oneof({ arbitrary: fc.constantFrom(...usual), weight: 8 }, { arbitrary: fc.constantFrom(...rare), weight: 1 });
const path = mostly(
  ['/data', '/etc/app', '/run/secrets/other', '/cache/~/x', '/run/secrets/shroudx'],
  [
    '/run',
    '/run/secrets',
    '/run/secrets/shroud',
    '/run/secrets/shroud/x',
    '//run//secrets/shroud/',
    '/',
    '',
    '/etc/secrets',
  ],
);
const volumeName = mostly(
  ['cache', 'v~/1', 'data'],
  ['shroud-secrets', 'shroud-token', 'shroud-sealed-0', 'shroud-sealed-1'],
);
/** Any mount, or now and then Shroud's own (as an earlier pass left it, maybe spelled differently). */
const mount = fc.oneof(
  {
    arbitrary: fc.record(
      { name: volumeName, mountPath: path, readOnly: fc.option(fc.boolean(), { nil: undefined }) },
      { requiredKeys: ['name', 'mountPath'] },
    ),
    weight: 4,
  },
  {
    arbitrary: fc.record({
      name: fc.constant('shroud-secrets'),
      mountPath: fc.constantFrom('/run/secrets/shroud', '//run//secrets/shroud/', '/etc/secrets', '/etc/x'),
      readOnly: fc.constant(true),
    }),
    weight: 1,
  },
);
const id = fc.oneof(
  { arbitrary: fc.constant(undefined), weight: 6 },
  { arbitrary: fc.constant(1000), weight: 3 },
  { arbitrary: fc.constantFrom(0, 2000, 65532), weight: 1 },
);
const maybeList = <T>(item: fc.Arbitrary<T>, unique?: (t: T) => unknown) =>
  fc.oneof(
    fc.constant(undefined),
    fc.constant(null),
    unique === undefined ? fc.array(item, { maxLength: 3 }) : fc.uniqueArray(item, { maxLength: 3, selector: unique }),
  );
const container = (names: string[]) =>
  fc.record(
    {
      name: mostly(names, ['shroud-unseal']),
      image: fc.constant('busybox'),
      args: fc.option(mostly([['serve']], [['unseal-init']]), { nil: undefined }),
      restartPolicy: fc.option(fc.constant('Always'), { nil: undefined }),
      volumeMounts: maybeList(mount),
      securityContext: fc.option(fc.record({ runAsUser: id, runAsGroup: id }, { requiredKeys: [] }), {
        nil: undefined,
      }),
    },
    { requiredKeys: ['name', 'image'] },
  );
const byName = (c: { name: string }) => c.name;
const volume = fc
  .record({
    name: volumeName,
    source: fc.constantFrom<Obj>(
      { emptyDir: {} },
      { emptyDir: { medium: 'Memory' } },
      { configMap: { name: 'web-secrets' } },
      { configMap: { name: 'db' } },
      { secret: { secretName: 's' } },
      { projected: { sources: [{ serviceAccountToken: { audience: 'shroud', path: 'token' } }] } },
    ),
  })
  .map((v) => ({ name: v.name, ...v.source }));
const annotations = fc.record(
  {
    'shroud.dev/sealed': mostly(
      ['web-secrets', 'web-secrets, db', ' db ', 'a,b,c', '\tweb-secrets\u00a0'],
      ['a,a', 'Bad_Name', '', 'x,', ' ', 'a\u0085'],
    ),
    'shroud.dev/mount-path': mostly(
      ['/run/secrets/shroud', '/etc/secrets/', '//etc/x'],
      ['/', 'rel', '/var/run', '/a:b'],
    ),
  },
  { requiredKeys: [] },
);
const labels = fc.oneof(
  { arbitrary: fc.constant({ 'shroud.dev/inject': 'true' }), weight: 9 },
  { arbitrary: fc.constantFrom({}, { 'shroud.dev/inject': 'false' }), weight: 1 },
);
const pod = fc
  .record({
    containers: fc.uniqueArray(container(['app', 'a/b', 'c~d', 'sidecar']), {
      minLength: 1,
      maxLength: 4,
      selector: byName,
    }),
    initContainers: maybeList(container(['init', '~1', 'istio-init', 'istio-proxy']), byName),
    volumes: maybeList(volume, byName),
    securityContext: fc.option(fc.record({ runAsUser: id, runAsGroup: id, fsGroup: id }, { requiredKeys: [] }), {
      nil: undefined,
    }),
    labels,
    annotations,
  })
  .map(
    ({ labels: l, annotations: a, ...spec }): Obj =>
      // Plain JSON, as a decoded review holds (fast-check makes records without a prototype).
      JSON.parse(JSON.stringify({ metadata: { name: 'p', labels: l, annotations: a }, spec })),
  );

/** A pod `/mutate` injected, then changed as a later webhook might: a container and an init container added. */
const reinvoked = fc.tuple(pod, fc.boolean(), fc.boolean()).map(([p, addContainer, addInit]) => {
  const verdict = createInjectionMutator(() => SETTINGS).mutate(podCreate(p));
  if (verdict instanceof Promise || !verdict.allowed || verdict.patch === undefined) return p;
  const after = applyPatch(p, verdict.patch as never);
  const spec = after.spec as Obj;
  if (addContainer)
    spec.containers = [
      ...(spec.containers as Obj[]),
      { name: 'late', image: 'l', securityContext: { runAsUser: 4242 } },
    ];
  if (addInit) spec.initContainers = [{ name: 'mesh-init', image: 'm' }, ...((spec.initContainers as Obj[]) ?? [])];
  return after;
});

test('generated pods: the policy gives the pod /mutate gives, or nothing when /mutate denies', () => {
  const seen: Record<Outcome, number> = { injected: 0, unchanged: 0, denied: 0 };
  fc.assert(
    fc.property(pod, (p) => {
      seen[assertSameAsMutate(policy, SETTINGS, p, guard)]++;
    }),
    { numRuns: 400 },
  );
  // The generators reach every outcome often enough for the comparison to mean something.
  for (const outcome of ['injected', 'unchanged', 'denied'] as const)
    assert.ok(seen[outcome] >= 20, `${outcome}: ${seen[outcome]}`);
});

test('generated pods injected and then changed by another webhook: the same again', () => {
  let injected = 0;
  fc.assert(
    fc.property(reinvoked, (p) => {
      if (assertSameAsMutate(policy, SETTINGS, p, guard) === 'injected') injected++;
    }),
    { numRuns: 200 },
  );
  assert.ok(injected >= 20, `re-patched: ${injected}`);
});
