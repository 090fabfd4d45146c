import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import jsonpatch from 'fast-json-patch';
import type { JsonPatchOp } from '../../src/admission/index.js';
import {
  DEFAULT_MOUNT_PATH,
  escapeToken,
  INIT_CONTAINER,
  INIT_RESOURCES,
  type InjectionPlan,
  planInjection,
  pointer,
} from '../../src/inject/index.js';
import { app, POD_SHAPES, pod, SETTINGS } from './pod-shapes.js';

type Obj = Record<string, unknown>;

/** Applies a patch as kube-apiserver would: every operation validated, the input left as it was. */
export function applyPatch(doc: Obj, patch: readonly JsonPatchOp[]): Obj {
  const ops = patch as unknown as jsonpatch.Operation[];
  return jsonpatch.applyPatch(structuredClone(doc), structuredClone(ops), true, false).newDocument as Obj;
}

function patchOf(plan: InjectionPlan): JsonPatchOp[] {
  assert.equal(plan.action, 'patch', plan.action === 'deny' ? plan.message : 'expected a patch');
  return (plan as { patch: JsonPatchOp[] }).patch;
}

function messageOf(plan: InjectionPlan): string {
  assert.equal(plan.action, 'deny', 'expected a denial');
  return (plan as { message: string }).message;
}

const spec = (p: Obj): Obj => p.spec as Obj;
const list = (p: Obj, key: string): Obj[] => (spec(p)[key] as Obj[] | null | undefined) ?? [];
const sealedOf = (p: Obj): string[] =>
  String(((p.metadata as Obj).annotations as Obj)['shroud.dev/sealed'])
    .split(',')
    .map((s) => s.trim());
const mountPathOf = (p: Obj): string =>
  String(((p.metadata as Obj).annotations as Obj)['shroud.dev/mount-path'] ?? DEFAULT_MOUNT_PATH).replace(/\/$/, '');
const envOf = (c: Obj): Record<string, string> =>
  Object.fromEntries((c.env as { name: string; value: string }[]).map((e) => [e.name, e.value]));
const withoutOurMount = (c: Obj): Obj => {
  const mounts = ((c.volumeMounts as Obj[] | null | undefined) ?? []).filter((m) => m.name !== 'shroud-secrets');
  const { volumeMounts: _, ...rest } = c;
  return mounts.length === 0 ? rest : { ...rest, volumeMounts: mounts };
};

/** Everything docs/injection.md promises about an injected pod, checked against the pod it came from. */
function assertInjected(before: Obj, after: Obj): void {
  const mountPath = mountPathOf(before);
  const sealed = sealedOf(before);
  // Volumes: the pod's own first, unchanged and in order; then Shroud's.
  const volumes = list(after, 'volumes');
  assert.deepEqual(volumes.slice(0, list(before, 'volumes').length), list(before, 'volumes'));
  const ours = Object.fromEntries(volumes.slice(list(before, 'volumes').length).map((v) => [v.name, v]));
  assert.deepEqual(ours['shroud-secrets'], {
    name: 'shroud-secrets',
    emptyDir: { medium: 'Memory', sizeLimit: '1Mi' },
  });
  assert.deepEqual(ours['shroud-token'], {
    name: 'shroud-token',
    projected: { sources: [{ serviceAccountToken: { audience: 'shroud', expirationSeconds: 600, path: 'token' } }] },
  });
  sealed.forEach((cm, n) => {
    assert.deepEqual(ours[`shroud-sealed-${n}`], {
      name: `shroud-sealed-${n}`,
      configMap: { name: cm, optional: false },
    });
  });
  assert.equal(Object.keys(ours).length, 2 + sealed.length, 'no other volume added');

  // The init container: first, then the pod's own in their order.
  const inits = list(after, 'initContainers');
  const init = inits[0]!;
  assert.equal(init.name, INIT_CONTAINER);
  assert.deepEqual(
    inits.slice(1).map((c) => c.name),
    list(before, 'initContainers').map((c) => c.name),
  );
  assert.equal(init.image, SETTINGS.image);
  assert.equal(init.imagePullPolicy, 'IfNotPresent');
  assert.deepEqual(init.args, ['unseal-init']);
  const env = envOf(init);
  assert.equal(env.SHROUD_UNSEAL_URL, SETTINGS.unsealUrl);
  assert.equal(env.SHROUD_UNSEAL_CA_PEM, SETTINGS.unsealCaPem);
  assert.equal(env.SHROUD_TOKEN_FILE, '/var/run/shroud/token/token');
  assert.equal(env.SHROUD_SEALED_DIR, '/var/run/shroud/sealed');
  assert.equal(env.SHROUD_OUTPUT_DIR, mountPath);
  assert.equal(env.SHROUD_DEADLINE_SECONDS, '120');
  const fsGroup = (spec(before).securityContext as Obj | undefined)?.fsGroup;
  assert.equal(env.SHROUD_FILE_MODE, fsGroup === undefined ? '0400' : '0440');
  assert.deepEqual(init.volumeMounts, [
    { name: 'shroud-secrets', mountPath },
    { name: 'shroud-token', mountPath: '/var/run/shroud/token', readOnly: true },
    ...sealed.map((cm, n) => ({
      name: `shroud-sealed-${n}`,
      mountPath: `/var/run/shroud/sealed/${cm}`,
      readOnly: true,
    })),
  ]);
  assert.deepEqual(init.resources, INIT_RESOURCES);
  const sc = init.securityContext as Obj;
  assert.equal(sc.runAsNonRoot, true);
  assert.equal(sc.readOnlyRootFilesystem, true);
  assert.equal(sc.allowPrivilegeEscalation, false);
  assert.deepEqual(sc.capabilities, { drop: ['ALL'] });
  assert.deepEqual(sc.seccompProfile, { type: 'RuntimeDefault' });
  assert.ok(Number.isInteger(sc.runAsUser) && (sc.runAsUser as number) > 0, 'never root');

  // Every other container, init container and native sidecar: one read-only mount, nothing else changed.
  const pairs = [
    ...list(before, 'containers').map((c, i) => [c, list(after, 'containers')[i]!] as const),
    ...list(before, 'initContainers').map((c, i) => [c, inits[i + 1]!] as const),
  ];
  for (const [was, is] of pairs) {
    const mounts = (is.volumeMounts as Obj[]).filter((m) => m.name === 'shroud-secrets');
    assert.deepEqual(mounts, [{ name: 'shroud-secrets', mountPath, readOnly: true }], `mount of ${String(is.name)}`);
    assert.deepEqual(withoutOurMount(is), withoutOurMount(was), `${String(is.name)} is otherwise unchanged`);
  }
  assert.equal(list(after, 'containers').length, list(before, 'containers').length);
  // Nothing outside spec.volumes, spec.initContainers and the mounts changed.
  const { volumes: _v, initContainers: _i, containers: _c, ...restAfter } = spec(after);
  const { volumes: _v2, initContainers: _i2, containers: _c2, ...restBefore } = spec(before);
  assert.deepEqual(restAfter, restBefore);
  assert.deepEqual(after.metadata, before.metadata);
}

describe('injection patches applied with a JSON Patch library', () => {
  for (const shape of POD_SHAPES) {
    test(shape.name, () => {
      const before = structuredClone(shape.pod);
      const patch = patchOf(planInjection(shape.pod, SETTINGS, 'shop'));
      assert.deepEqual(shape.pod, before, 'the planner does not touch its input');
      const after = applyPatch(shape.pod, patch);
      assertInjected(before, after);
      // Reinvoked (reinvocationPolicy: IfNeeded) on the injected pod: nothing more to do.
      const again = planInjection(after, SETTINGS, 'shop');
      assert.equal(again.action, 'none', again.action === 'deny' ? again.message : 'no second patch');
    });
  }

  test('absent lists are created with an add of the whole list; present ones are appended to', () => {
    const absent = patchOf(planInjection(pod({ containers: [app()] }), SETTINGS));
    assert.deepEqual(
      absent.map((op) => [op.op, op.path]),
      [
        ['add', '/spec/volumes'],
        ['add', '/spec/containers/0/volumeMounts'],
        ['add', '/spec/initContainers'],
      ],
    );
    const present = patchOf(
      planInjection(
        pod({
          containers: [app({ volumeMounts: [] })],
          initContainers: [{ name: 'setup', image: 'busybox' }],
          volumes: [],
        }),
        SETTINGS,
      ),
    );
    assert.deepEqual(
      present.map((op) => [op.op, op.path]),
      [
        ['add', '/spec/volumes/-'],
        ['add', '/spec/volumes/-'],
        ['add', '/spec/volumes/-'],
        ['add', '/spec/containers/0/volumeMounts/-'],
        ['add', '/spec/initContainers/0/volumeMounts'],
        ['add', '/spec/initContainers/0'],
      ],
    );
  });

  test('the sizeLimit and image come from the settings', () => {
    const settings = { ...SETTINGS, sizeLimit: '256Ki', image: 'registry.internal/shroud:9' };
    const after = applyPatch(
      pod({ containers: [app()] }),
      patchOf(planInjection(pod({ containers: [app()] }), settings)),
    );
    assert.deepEqual(list(after, 'volumes')[0], {
      name: 'shroud-secrets',
      emptyDir: { medium: 'Memory', sizeLimit: '256Ki' },
    });
    assert.equal(list(after, 'initContainers')[0]!.image, 'registry.internal/shroud:9');
  });
});

describe('JSON Pointer tokens (RFC 6901)', () => {
  const cases = [
    { name: 'plain', token: 'containers', want: 'containers' },
    { name: 'a slash', token: 'a/b', want: 'a~1b' },
    { name: 'a tilde', token: 'a~b', want: 'a~0b' },
    { name: 'tilde before slash', token: '~/', want: '~0~1' },
    { name: 'a literal "~1" is not a slash', token: '~1', want: '~01' },
    { name: 'an index', token: 3, want: '3' },
    { name: 'the end of a list', token: '-', want: '-' },
  ];
  for (const c of cases) {
    test(c.name, () => {
      assert.equal(escapeToken(c.token), c.want);
    });
  }
  test('a pointer built from tokens resolves to the member it names', () => {
    const doc = { metadata: { annotations: { 'shroud.dev/sealed': 'a', 'x~y': 'b' } } };
    for (const [key, value] of Object.entries(doc.metadata.annotations)) {
      assert.equal(jsonpatch.getValueByPointer(doc, pointer('metadata', 'annotations', key)), value);
    }
  });
});

describe('reinvocation and containers added since', () => {
  const first = pod({ containers: [app()], initContainers: [{ name: 'setup', image: 'busybox' }] });
  const injected = applyPatch(first, patchOf(planInjection(first, SETTINGS)));

  test('a container added by another webhook gets only its mount', () => {
    const later = structuredClone(injected);
    list(later, 'containers').push({ name: 'envoy', image: 'envoyproxy/envoy:v1.31' });
    const patch = patchOf(planInjection(later, SETTINGS));
    assert.deepEqual(patch, [
      {
        op: 'add',
        path: '/spec/containers/1/volumeMounts',
        value: [{ name: 'shroud-secrets', mountPath: DEFAULT_MOUNT_PATH, readOnly: true }],
      },
    ]);
    const after = applyPatch(later, patch);
    assert.deepEqual(list(after, 'containers')[1]!.volumeMounts, [
      { name: 'shroud-secrets', mountPath: DEFAULT_MOUNT_PATH, readOnly: true },
    ]);
    assert.equal(planInjection(after, SETTINGS).action, 'none');
  });

  test('an init container put before ours since gets its mount, and ours moves first again', () => {
    const later = structuredClone(injected);
    list(later, 'initContainers').unshift({ name: 'istio-init', image: 'docker.io/istio/proxyv2:1.24.0' });
    const patch = patchOf(planInjection(later, SETTINGS));
    assert.deepEqual(
      patch.map((op) => op.op),
      ['add', 'move'],
    );
    const after = applyPatch(later, patch);
    assert.deepEqual(
      list(after, 'initContainers').map((c) => c.name),
      ['shroud-unseal', 'istio-init', 'setup'],
    );
    assert.equal(planInjection(after, SETTINGS).action, 'none');
  });

  test('defaults the API server added since the first pass do not make our parts foreign', () => {
    const defaulted = structuredClone(injected);
    for (const v of list(defaulted, 'volumes')) {
      if (v.configMap !== undefined) (v.configMap as Obj).defaultMode = 420;
      if (v.projected !== undefined) (v.projected as Obj).defaultMode = 420;
    }
    Object.assign(list(defaulted, 'initContainers')[0]!, {
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
    });
    assert.equal(planInjection(defaulted, SETTINGS).action, 'none');
  });
});

describe('collisions are denials that name the container and path', () => {
  const cases: { name: string; pod: Obj; message: RegExp }[] = [
    {
      name: 'a foreign volume named shroud-secrets',
      pod: pod({ containers: [app()], volumes: [{ name: 'shroud-secrets', secret: { secretName: 'x' } }] }),
      message: /volume named "shroud-secrets" \(spec\.volumes\[0\]\) that is not Shroud's; rename it/,
    },
    {
      name: 'a foreign volume named shroud-token',
      pod: pod({
        containers: [app()],
        volumes: [
          { name: 'c', emptyDir: {} },
          { name: 'shroud-token', emptyDir: {} },
        ],
      }),
      message: /volume named "shroud-token" \(spec\.volumes\[1\]\)/,
    },
    {
      name: 'shroud-sealed-0 of another ConfigMap',
      pod: pod({ containers: [app()], volumes: [{ name: 'shroud-sealed-0', configMap: { name: 'other' } }] }),
      message: /volume named "shroud-sealed-0" \(spec\.volumes\[0\]\)/,
    },
    {
      name: 'a foreign init container named shroud-unseal',
      pod: pod({ containers: [app()], initContainers: [{ name: 'shroud-unseal', image: 'busybox', args: ['sh'] }] }),
      message: /init container named "shroud-unseal" \(spec\.initContainers\[0\]\) that is not Shroud's/,
    },
    {
      name: 'a container named shroud-unseal',
      pod: pod({ containers: [app(), { name: 'shroud-unseal', image: 'busybox' }] }),
      message: /container named "shroud-unseal" \(spec\.containers\[1\]\)/,
    },
    {
      name: 'a mount at the mount path',
      pod: pod({
        containers: [app({ volumeMounts: [{ name: 'mine', mountPath: '/run/secrets/shroud' }] })],
        volumes: [{ name: 'mine', emptyDir: {} }],
      }),
      message:
        /container "app" mounts volume "mine" at \/run\/secrets\/shroud \(spec\.containers\[0\]\.volumeMounts\[0\]\), at the injection mount path/,
    },
    {
      name: 'a mount inside the mount path, in an init container',
      pod: pod({
        containers: [app()],
        initContainers: [
          { name: 'setup', image: 'busybox', volumeMounts: [{ name: 'x', mountPath: '/run/secrets/shroud/db' }] },
        ],
        volumes: [{ name: 'x', emptyDir: {} }],
      }),
      message:
        /container "setup" mounts volume "x" at \/run\/secrets\/shroud\/db \(spec\.initContainers\[0\]\.volumeMounts\[0\]\), inside/,
    },
    {
      name: 'a mount above the mount path, in a native sidecar, written with a trailing slash',
      pod: pod({
        containers: [app()],
        initContainers: [
          {
            name: 'proxy',
            image: 'envoy',
            restartPolicy: 'Always',
            volumeMounts: [{ name: 'x', mountPath: '/run/secrets/' }],
          },
        ],
        volumes: [{ name: 'x', emptyDir: {} }],
      }),
      message:
        /container "proxy" mounts volume "x" at \/run\/secrets\/ \(spec\.initContainers\[0\]\.volumeMounts\[0\]\), above/,
    },
    {
      name: 'a mount above a custom mount path, in the second container',
      pod: pod(
        {
          containers: [app(), { name: 'worker', image: 'w', volumeMounts: [{ name: 'x', mountPath: '/etc' }] }],
          volumes: [{ name: 'x', emptyDir: {} }],
        },
        { annotations: { 'shroud.dev/sealed': 'web-secrets', 'shroud.dev/mount-path': '/etc/secrets' } },
      ),
      message:
        /container "worker" mounts volume "x" at \/etc \(spec\.containers\[1\]\.volumeMounts\[0\]\), above the injection mount path \/etc\/secrets/,
    },
    {
      name: 'our volume mounted somewhere else',
      pod: pod({
        containers: [app({ volumeMounts: [{ name: 'shroud-secrets', mountPath: '/secrets', readOnly: true }] })],
      }),
      message:
        /container "app" mounts volume shroud-secrets at "\/secrets" \(spec\.containers\[0\]\.volumeMounts\[0\]\); Shroud mounts it read-only/,
    },
    {
      name: 'our volume mounted writable at the mount path',
      pod: pod({ containers: [app({ volumeMounts: [{ name: 'shroud-secrets', mountPath: '/run/secrets/shroud' }] })] }),
      message: /mounts volume shroud-secrets at "\/run\/secrets\/shroud" writable/,
    },
    {
      name: 'containers as different users and no fsGroup',
      pod: pod({
        containers: [
          app({ securityContext: { runAsUser: 1000 } }),
          { name: 'sidecar', image: 's', securityContext: { runAsUser: 2000 } },
        ],
      }),
      message:
        /run as different users \("app" as 1000; "sidecar" as 2000\) and the pod sets no securityContext\.fsGroup/,
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const message = messageOf(planInjection(c.pod, SETTINGS));
      assert.match(message, c.message);
      assert.match(message, /^Shroud injection \(label shroud\.dev\/inject: "true"\) cannot proceed:\n- /);
    });
  }
  test('every problem is listed, one line each', () => {
    const message = messageOf(
      planInjection(
        pod({
          containers: [
            app({ volumeMounts: [{ name: 'a', mountPath: '/run' }] }),
            { name: 'shroud-unseal', image: 'x' },
          ],
          volumes: [{ name: 'shroud-secrets', emptyDir: {} }],
        }),
        SETTINGS,
      ),
    );
    assert.equal(message.split('\n- ').length - 1, 3, message);
  });
});

describe("the pod's opt-in", () => {
  const denied: { name: string; annotations: Obj; message: RegExp }[] = [
    {
      name: 'no sealed annotation',
      annotations: {},
      message: /no annotation shroud\.dev\/sealed; add shroud\.dev\/sealed: "<configmap>/,
    },
    {
      name: 'an empty sealed annotation',
      annotations: { 'shroud.dev/sealed': ' ' },
      message: /is empty; name at least one ConfigMap .* namespace shop/,
    },
    {
      name: 'not a ConfigMap name',
      annotations: { 'shroud.dev/sealed': 'Web_Secrets' },
      message: /entry 1 \("Web_Secrets"\) is not a ConfigMap name/,
    },
    {
      name: 'an empty entry',
      annotations: { 'shroud.dev/sealed': 'a,,b' },
      message: /entry 2 \(""\) is not a ConfigMap name/,
    },
    { name: 'a trailing comma', annotations: { 'shroud.dev/sealed': 'a,' }, message: /entry 2 \(""\)/ },
    { name: 'a duplicate', annotations: { 'shroud.dev/sealed': 'a, b, a' }, message: /names ConfigMap "a" twice/ },
    {
      name: 'a long bad entry is not echoed',
      annotations: { 'shroud.dev/sealed': `${'X'.repeat(300)}` },
      message: /entry 1 \(a value of 300 characters\)/,
    },
    {
      name: 'a relative mount path',
      annotations: { 'shroud.dev/sealed': 'a', 'shroud.dev/mount-path': 'secrets' },
      message: /must be an absolute path/,
    },
    {
      name: 'mount path /',
      annotations: { 'shroud.dev/sealed': 'a', 'shroud.dev/mount-path': '/' },
      message: /may not be "\/"/,
    },
    {
      name: 'mount path with ..',
      annotations: { 'shroud.dev/sealed': 'a', 'shroud.dev/mount-path': '/run/../etc' },
      message: /has a "\." or "\.\." segment/,
    },
    {
      name: "mount path over the init container's own folders",
      annotations: { 'shroud.dev/sealed': 'a', 'shroud.dev/mount-path': '/var/run' },
      message: /overlaps \/var\/run\/shroud/,
    },
  ];
  for (const c of denied) {
    test(`denied: ${c.name}`, () => {
      const message = messageOf(
        planInjection(pod({ containers: [app()] }, { annotations: c.annotations }), SETTINGS, 'shop'),
      );
      assert.match(message, c.message);
    });
  }

  test('denied: injection is not configured (no unseal CA)', () => {
    const message = messageOf(planInjection(pod({ containers: [app()] }), { ...SETTINGS, unsealCaPem: undefined }));
    assert.match(message, /not configured on this Shroud webhook \(no --unseal-ca/);
  });

  const skipped: { name: string; labels: Obj; annotations?: Obj; warning?: RegExp }[] = [
    { name: 'no label', labels: { app: 'web' }, annotations: {} },
    {
      name: 'label "false"',
      labels: { 'shroud.dev/inject': 'false' },
      warning: /is "false", not "true": Shroud injected nothing/,
    },
    { name: 'label "True"', labels: { 'shroud.dev/inject': 'True' }, warning: /is "True", not "true"/ },
    {
      name: 'annotated but not labelled',
      labels: {},
      warning: /annotation shroud\.dev\/sealed is set but label .* is not/,
    },
  ];
  for (const c of skipped) {
    test(`not injected: ${c.name}`, () => {
      const plan = planInjection(
        pod({ containers: [app()] }, { labels: c.labels, ...(c.annotations ? { annotations: c.annotations } : {}) }),
        SETTINGS,
      );
      assert.equal(plan.action, 'none');
      const warnings = (plan as { warnings: string[] }).warnings;
      if (c.warning === undefined) assert.deepEqual(warnings, []);
      else {
        assert.equal(warnings.length, 1);
        assert.match(warnings[0]!, c.warning);
      }
    });
  }

  test('a labelled pod whose lists have the wrong shape is denied, not guessed at', () => {
    assert.match(
      messageOf(planInjection(pod({ containers: [app()], volumes: { a: 1 } }), SETTINGS)),
      /spec\.volumes is not a list/,
    );
    assert.match(messageOf(planInjection({ metadata: pod({}).metadata }, SETTINGS)), /the pod has no spec/);
    assert.match(
      messageOf(planInjection(pod({ containers: [app({ volumeMounts: 'x' })] }), SETTINGS)),
      /container "app" \(spec\.containers\[0\]\.volumeMounts\) is not a list/,
    );
  });
});

describe('who shroud-unseal runs as, and the mode of the files', () => {
  const istioInit = {
    name: 'istio-init',
    image: 'proxyv2',
    securityContext: { runAsUser: 0, capabilities: { add: ['NET_ADMIN'], drop: ['ALL'] } },
  };
  const istioProxy = {
    name: 'istio-proxy',
    image: 'proxyv2',
    restartPolicy: 'Always',
    securityContext: { runAsUser: 1337 },
  };
  const cases: { name: string; spec: Obj; user: number; group: number; mode: string; warning?: RegExp }[] = [
    {
      name: 'nothing set: 65532, 0400, and a warning naming the container',
      spec: { containers: [app()] },
      user: 65532,
      group: 65532,
      mode: '0400',
      warning:
        /belong to user 65532 and the pod sets no fsGroup, so container "app" \(no runAsUser\) can read them only as user 65532/,
    },
    {
      name: "the pod's runAsUser and runAsGroup",
      spec: { securityContext: { runAsUser: 1000, runAsGroup: 3000 }, containers: [app()] },
      user: 1000,
      group: 3000,
      mode: '0400',
    },
    {
      name: 'the one user every container runs as',
      spec: {
        containers: [
          app({ securityContext: { runAsUser: 1001, runAsGroup: 5 } }),
          { name: 'b', image: 'b', securityContext: { runAsUser: 1001, runAsGroup: 5 } },
        ],
      },
      user: 1001,
      group: 5,
      mode: '0400',
    },
    {
      name: 'one known user and one unknown: not "every container", so 65532 and a warning naming both',
      spec: { containers: [app({ securityContext: { runAsUser: 1001 } }), { name: 'b', image: 'b' }] },
      user: 65532,
      group: 65532,
      mode: '0400',
      warning: /container "app" \(user 1001\), "b" \(no runAsUser\) can read/,
    },
    {
      name: 'different users with fsGroup: 65532, 0440',
      spec: {
        securityContext: { fsGroup: 2000 },
        containers: [
          app({ securityContext: { runAsUser: 1000 } }),
          { name: 'b', image: 'b', securityContext: { runAsUser: 1001 } },
        ],
      },
      user: 65532,
      group: 65532,
      mode: '0440',
    },
    {
      name: 'a root pod: never root itself; without fsGroup a warning',
      spec: { securityContext: { runAsUser: 0 }, containers: [app()] },
      user: 65532,
      group: 65532,
      mode: '0400',
      warning: /container "app" \(root\) can read them only as user 65532 or with CAP_DAC_OVERRIDE/,
    },
    {
      name: 'a root pod with fsGroup: 0440, no warning',
      spec: { securityContext: { runAsUser: 0, fsGroup: 2000 }, containers: [app()] },
      user: 65532,
      group: 65532,
      mode: '0440',
    },
    {
      name: 'Istio without fsGroup: root istio-init is left out, the proxy and the app run as 1337',
      spec: {
        initContainers: [istioInit, istioProxy],
        containers: [app({ securityContext: { runAsUser: 1337 } })],
      },
      user: 1337,
      group: 65532,
      mode: '0400',
      warning: /container "istio-init" \(root\) can read/,
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const p = pod(c.spec);
      const plan = planInjection(p, SETTINGS);
      const after = applyPatch(p, patchOf(plan));
      const init = list(after, 'initContainers')[0]!;
      const sc = init.securityContext as Obj;
      assert.equal(sc.runAsUser, c.user);
      assert.equal(sc.runAsGroup, c.group);
      assert.equal(envOf(init).SHROUD_FILE_MODE, c.mode);
      const warnings = (plan as { warnings: string[] }).warnings;
      assert.equal(warnings.length, c.warning === undefined ? 0 : 1, warnings.join('\n'));
      if (c.warning !== undefined) assert.match(warnings[0]!, c.warning);
    });
  }

  test('Istio without fsGroup and an app as another user: denied, naming both', () => {
    const p = pod({
      initContainers: [istioInit, istioProxy],
      containers: [app({ securityContext: { runAsUser: 1000 } })],
    });
    assert.match(messageOf(planInjection(p, SETTINGS)), /different users \("app" as 1000; "istio-proxy" as 1337\)/);
  });

  test('containers another webhook adds after injection do not turn the pod into a denied one', () => {
    const first = pod({ containers: [app({ securityContext: { runAsUser: 1000 } })] });
    const injected = applyPatch(first, patchOf(planInjection(first, SETTINGS)));
    list(injected, 'containers').push({ name: 'proxy', image: 'p', securityContext: { runAsUser: 1337 } });
    const patch = patchOf(planInjection(injected, SETTINGS));
    assert.deepEqual(
      patch.map((op) => op.path),
      ['/spec/containers/1/volumeMounts'],
    );
  });
});
