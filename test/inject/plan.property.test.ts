/**
 * The planner on generated pods: labelled pods of every shape the generators can make, with names
 * holding `~` and `/`, lists absent, null or empty, mounts near the mount path, mixed users, and
 * now and then a field replaced by arbitrary JSON (mutating webhooks see pods before validation).
 * Whatever comes in: the planner does not throw or touch its input; a patch applies with a real
 * JSON Patch library and gives a pod that keeps every promise of docs/injection.md and needs no
 * second patch; a denial says why.
 */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import jsonpatch from 'fast-json-patch';
import { planInjection } from '../../src/inject/index.js';
import { SETTINGS } from './pod-shapes.js';

type Obj = Record<string, unknown>;

/** Mostly what passes, sometimes what collides: both outcomes must be reached often. */
const mostly = <T>(usual: T[], rare: T[]) =>
  fc.oneof({ arbitrary: fc.constantFrom(...usual), weight: 8 }, { arbitrary: fc.constantFrom(...rare), weight: 1 });
const name = mostly(['app', 'a/b', 'c~d', '~1', 'sidecar', 'istio-proxy', 'x'], ['shroud-unseal']);
const path = mostly(
  ['/data', '/etc/app', '/run/secrets/other', '/cache/~/x'],
  ['/run', '/run/secrets', '/run/secrets/shroud', '/run/secrets/shroud/x', '/var/run/shroud', ''],
);
const volumeName = mostly(['cache', 'v~/1'], ['shroud-secrets', 'shroud-token', 'shroud-sealed-0']);
const mount = fc.record(
  { name: volumeName, mountPath: path, readOnly: fc.option(fc.boolean(), { nil: undefined }) },
  { requiredKeys: ['name', 'mountPath'] },
);
const user = fc.oneof(
  { arbitrary: fc.constant(undefined), weight: 6 },
  { arbitrary: fc.constant(1000), weight: 3 },
  { arbitrary: fc.constantFrom(0, 2000, 65532), weight: 1 },
);
const securityContext = fc.option(fc.record({ runAsUser: user, runAsGroup: user }, { requiredKeys: [] }), {
  nil: undefined,
});
const maybeList = <T>(item: fc.Arbitrary<T>) =>
  fc.oneof(fc.constant(undefined), fc.constant(null), fc.array(item, { maxLength: 3 }));
const container = fc.record(
  {
    name,
    image: fc.constant('busybox'),
    restartPolicy: fc.option(fc.constant('Always'), { nil: undefined }),
    volumeMounts: maybeList(mount),
    securityContext,
  },
  { requiredKeys: ['name', 'image'] },
);
const volume = fc.record({
  name: volumeName,
  source: fc.constantFrom<Obj>(
    { emptyDir: {} },
    { emptyDir: { medium: 'Memory' } },
    { configMap: { name: 'web-secrets' } },
    { secret: { secretName: 's' } },
  ),
});
const annotations = fc.record(
  {
    'shroud.dev/sealed': mostly(['web-secrets', 'web-secrets, db', ' db '], ['a,a', 'Bad_Name', '', 'x,']),
    'shroud.dev/mount-path': mostly(['/run/secrets/shroud', '/etc/secrets/'], ['/', 'rel', '/var/run']),
  },
  { requiredKeys: ['shroud.dev/sealed'] },
);
const pod = fc
  .record({
    containers: fc.array(container, { minLength: 1, maxLength: 4 }),
    initContainers: maybeList(container),
    volumes: maybeList(volume.map((v) => ({ name: v.name, ...v.source }))),
    securityContext: fc.option(fc.record({ runAsUser: user, fsGroup: user }, { requiredKeys: [] }), { nil: undefined }),
    annotations,
    junk: fc.option(
      fc.tuple(fc.constantFrom('containers', 'initContainers', 'volumes', 'securityContext'), fc.anything()),
      {
        freq: 10,
        nil: undefined,
      },
    ),
  })
  .map(({ annotations: a, junk, ...spec }): Obj => {
    const s: Obj = JSON.parse(JSON.stringify(spec));
    if (junk !== undefined) s[junk[0]] = JSON.parse(JSON.stringify({ v: junk[1] }) ?? '{}').v;
    // Plain JSON objects, as a decoded review holds (fast-check makes records without a prototype).
    return JSON.parse(
      JSON.stringify({ metadata: { name: 'p', labels: { 'shroud.dev/inject': 'true' }, annotations: a }, spec: s }),
    );
  });

const list = (p: Obj, key: string): Obj[] => ((p.spec as Obj)[key] as Obj[] | null | undefined) ?? [];

test('generated labelled pods: a patch that applies and holds, or a denial; never a throw', () => {
  let patched = 0;
  let denied = 0;
  fc.assert(
    fc.property(pod, (input) => {
      const copy = structuredClone(input);
      const plan = planInjection(input, SETTINGS, 'shop');
      assert.deepEqual(input, copy, 'input untouched');
      if (plan.action === 'deny') {
        denied++;
        assert.match(plan.message, /^Shroud injection \(label shroud\.dev\/inject: "true"\) cannot proceed:\n- \S/);
        return;
      }
      assert.equal(plan.action, 'patch', 'a labelled pod never seen before is patched or denied');
      patched++;
      const ops = plan.patch as unknown as jsonpatch.Operation[];
      const after = jsonpatch.applyPatch(structuredClone(input), structuredClone(ops), true, false).newDocument as Obj;
      const inits = list(after, 'initContainers');
      assert.equal(inits[0]!.name, 'shroud-unseal');
      assert.equal(inits.filter((c) => c.name === 'shroud-unseal').length, 1);
      for (const c of [...list(after, 'containers'), ...inits.slice(1)]) {
        const ours = ((c.volumeMounts as Obj[]) ?? []).filter((m) => m.name === 'shroud-secrets');
        assert.equal(ours.length, 1, `one mount in ${String(c.name)}`);
        assert.equal(ours[0]!.readOnly, true);
      }
      assert.equal(list(after, 'volumes').filter((v) => v.name === 'shroud-secrets').length, 1);
      const again = planInjection(after, SETTINGS, 'shop');
      assert.equal(again.action, 'none', again.action === 'deny' ? again.message : 'a second patch');
    }),
    { numRuns: 1000 },
  );
  // The generators must reach both outcomes, or the property proves little.
  assert.ok(patched > 100 && denied > 100, `patched ${patched}, denied ${denied}`);
});
