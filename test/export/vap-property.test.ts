/**
 * Property: on generated objects (pods and every workload kind with random containers, env,
 * envFrom, mounts and volumes; Roles and ClusterRoles with random rules; bindings with random
 * subjects; PersistentVolumes; odd shapes such as nulls and wrong types included), every exported
 * rule gives the engine's verdict, for CREATE and for UPDATE from a related or unrelated old object.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { exportVap } from '../../src/export/index.js';
import { compare, engineViolations, loadSet, MODES, requestFor } from './harness.js';

type Json = Record<string, unknown>;

const NOW = new Date('2026-11-30T00:00:00Z');

const EXTRA = `
apiVersion: policy.shroud.dev/v1
kind: PolicyException
metadata: {name: legacy}
spec:
  policies:
    - name: disallow-secret-env
      rules: [secret-env-from]
  match:
    namespaces: [legacy-*]
    kinds: [Deployment, Pod, CronJob]
    names: ["web*"]
  reason: generated requests exercise exceptions
---
apiVersion: policy.shroud.dev/v1
kind: Policy
metadata:
  name: team-secret-env
spec:
  enforcement: audit
  match:
    kinds: [Pod]
    namespaces:
      include: [team-*, default]
      exclude: [kube-*]
    objectSelector:
      matchLabels: {app: web}
      matchExpressions:
        - {key: tier, operator: NotIn, values: [db]}
    excludeUsers: ["system:serviceaccount:*"]
    excludeGroups: [ops]
  rules:
    - name: named-secret
      select: "$.spec.containers[*].env[?(@.valueFrom.secretKeyRef.name === 'db')]"
      message: container "{{container}}" reads {{item.name}} at {{path}}
`;

/** Sometimes a field is missing, null, or of the wrong type: the apiserver prunes these; `shroud check` sees them. */
function odd<T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | null | string | undefined> {
  return fc.oneof(
    { weight: 12, arbitrary: arb },
    { weight: 1, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: fc.constant('text') },
    { weight: 2, arbitrary: fc.constant(undefined) },
  );
}

/** A record without the keys whose value came out undefined. */
function compact(o: Record<string, unknown>): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out;
}

const name = fc.constantFrom('app', 'side', 'init', 'DB_PASSWORD', 'TOKEN', 'x');
const envVar = fc
  .record({
    name: odd(name),
    value: fc.option(fc.constantFrom('plain', ''), { nil: undefined }),
    valueFrom: odd(
      fc.oneof(
        fc.record({
          secretKeyRef: odd(
            fc.record({ name: fc.constantFrom('db', 'api'), key: fc.constantFrom('password', 'token') }),
          ),
        }),
        fc.record({ configMapKeyRef: fc.record({ name: fc.constant('cfg'), key: fc.constant('k') }) }),
        fc.constant({}),
      ),
    ),
  })
  .map(compact);
const envFrom = fc
  .oneof(
    fc.record({ secretRef: odd(fc.record({ name: fc.constantFrom('db', 'api') })) }),
    fc.record({ configMapRef: fc.record({ name: fc.constant('cfg') }) }),
    fc.record({ prefix: fc.constant('P_') }),
  )
  .map(compact);
const volumeName = fc.constantFrom('logs', 'etc', 'data', 'root');
const mount = fc
  .record({ name: odd(volumeName), readOnly: odd(fc.boolean()), mountPath: fc.constant('/m') })
  .map(compact);
const container = fc
  .record({
    name: odd(name),
    image: fc.constant('img:1'),
    env: odd(fc.array(envVar, { maxLength: 3 })),
    envFrom: odd(fc.array(envFrom, { maxLength: 2 })),
    volumeMounts: odd(fc.array(mount, { maxLength: 2 })),
  })
  .map(compact);
const hostPath = fc.constantFrom(
  '/var/log',
  '/var/log/app',
  '/etc',
  '/',
  '/var/logs',
  '/var/log/../etc',
  '',
  'relative',
);
const volume = fc
  .record({
    name: odd(volumeName),
    hostPath: odd(fc.record({ path: odd(hostPath) }).map(compact)),
    emptyDir: fc.option(fc.constant({}), { nil: undefined }),
  })
  .map(compact);
const podSpec = fc
  .record({
    containers: odd(fc.array(container, { maxLength: 3 })),
    initContainers: odd(fc.array(container, { maxLength: 2 })),
    ephemeralContainers: odd(fc.array(container, { maxLength: 1 })),
    volumes: odd(fc.array(volume, { maxLength: 3 })),
  })
  .map(compact);

const namespace = fc.constantFrom('default', 'team-a', 'team-b', 'kube-system', 'shroud', 'legacy-billing');
const ownerReferences = fc.array(
  fc
    .record({
      kind: fc.constantFrom('ReplicaSet', 'Job', 'Deployment', 'StatefulSet', ''),
      name: fc.constantFrom('web-7d4b9', 'web-28901', 'api-7d4b9', 'web', '-28901', 'x'),
      controller: odd(fc.boolean()),
    })
    .map(compact),
  { maxLength: 2 },
);
const metadata = (kindName: string) =>
  fc
    .record({
      name: fc.constantFrom(`${kindName}-a`, `${kindName}-b`, 'web', 'web-1'),
      namespace: fc.option(namespace, { nil: undefined }),
      labels: fc.option(
        fc.dictionary(
          fc.constantFrom('app', 'kubernetes.io/bootstrapping', 'tier', 'pod-template-hash'),
          fc.constantFrom('web', 'rbac-defaults', 'db', '7d4b9'),
          { maxKeys: 3 },
        ),
        { nil: undefined },
      ),
      ownerReferences: fc.option(ownerReferences, { nil: undefined }),
    })
    .map(compact);

/** [apiVersion, kind, path of the pod template ([] = the object is the pod)]. */
const WORKLOADS: Array<[string, string, string[]]> = [
  ['v1', 'Pod', []],
  ['apps/v1', 'Deployment', ['spec', 'template']],
  ['apps/v1', 'DaemonSet', ['spec', 'template']],
  ['extensions/v1beta1', 'Deployment', ['spec', 'template']],
  ['batch/v1', 'CronJob', ['spec', 'jobTemplate', 'spec', 'template']],
  ['v1', 'PodTemplate', ['template']],
  ['argoproj.io/v1alpha1', 'Rollout', ['spec', 'template']],
  ['keda.sh/v1alpha1', 'ScaledJob', ['spec', 'jobTargetRef', 'template']],
  ['example.com/v1', 'Rollout', ['spec', 'template']],
];

function setAt(target: Json, path: string[], value: unknown): Json {
  if (path.length === 0) return { ...target, ...(value as Json) };
  let cur = target;
  for (const k of path.slice(0, -1)) {
    cur[k] = {};
    cur = cur[k] as Json;
  }
  cur[path[path.length - 1]!] = value;
  return target;
}

const workload = fc
  .tuple(fc.constantFrom(...WORKLOADS), podSpec, metadata('w'))
  .map(([[apiVersion, kind, path], spec, meta]) =>
    setAt({ apiVersion, kind, metadata: meta }, path, path.length === 0 ? { spec } : { metadata: {}, spec }),
  );

const rbacRule = fc
  .record({
    verbs: odd(fc.subarray(['get', 'list', 'watch', '*', 'LIST', 'create'])),
    resources: odd(fc.subarray(['secrets', '*', 'pods', 'configmaps'])),
    apiGroups: odd(fc.subarray(['', '*', 'apps'])),
    resourceNames: fc.option(fc.subarray(['', 'a', 'b', null] as Array<string | null>), { nil: undefined }),
  })
  .map(compact);
const role = fc
  .tuple(fc.constantFrom('Role', 'ClusterRole'), fc.array(rbacRule, { maxLength: 4 }), metadata('r'))
  .map(([kind, rules, meta]) => ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind, metadata: meta, rules }));

const subject = fc
  .record({
    kind: fc.constantFrom('User', 'Group', 'ServiceAccount'),
    name: odd(fc.constantFrom('alice', 'system:masters', 'system:nodes', 'ci', 'dev-team')),
    namespace: fc.option(fc.constantFrom('kube-system', 'team-a', ''), { nil: undefined }),
  })
  .map(compact);
const binding = fc
  .tuple(
    fc.constantFrom('RoleBinding', 'ClusterRoleBinding'),
    fc.record({
      kind: odd(fc.constantFrom('ClusterRole', 'Role')),
      name: odd(fc.constantFrom('cluster-admin', 'admin', 'edit', 'view')),
    }),
    odd(fc.array(subject, { maxLength: 3 })),
    metadata('b'),
  )
  .map(([kind, roleRef, subjects, meta]) =>
    compact({ apiVersion: 'rbac.authorization.k8s.io/v1', kind, metadata: meta, roleRef: compact(roleRef), subjects }),
  );

const persistentVolume = fc
  .tuple(odd(fc.record({ path: odd(hostPath) }).map(compact)), metadata('pv'))
  .map(([hp, meta]) => ({
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name: meta.name },
    spec: compact({ hostPath: hp }),
  }));

// Through JSON, as a request body arrives (a field set to undefined is no field).
const anyObject = fc
  .oneof(workload, workload, role, role, binding, persistentVolume)
  .map((o) => JSON.parse(JSON.stringify(o)) as Json);

/** An old object for an UPDATE of `object`: itself, a generated one of the same kind, or one with parts removed or changed. */
function oldFor(object: Json, other: Json, choice: number): Json {
  const old = structuredClone(object);
  switch (choice % 5) {
    case 0:
      return old;
    case 1: {
      // Another object of the same kind and name.
      const o = structuredClone(other);
      o.apiVersion = object.apiVersion;
      o.kind = object.kind;
      o.metadata = { ...((o.metadata ?? {}) as Json), name: (object.metadata as Json).name };
      return o;
    }
    default: {
      // Every list cut down (the update adds what the cut removed), or reversed (moved elements).
      const cut = (v: unknown): unknown => {
        if (Array.isArray(v))
          return (
            choice % 5 === 2 ? v.slice(0, Math.floor(v.length / 2)) : choice % 5 === 3 ? [...v].reverse() : v
          ).map(cut);
        if (v !== null && typeof v === 'object')
          return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, cut(x)]));
        return v;
      };
      return cut(old) as Json;
    }
  }
}

describe('exported ValidatingAdmissionPolicies agree with the engine on generated objects', async () => {
  // The built-ins with an allow-list of host paths (so the read-only rule can break), plus a
  // policy and an exception that exercise namespaces, objectSelector, excluded users and groups,
  // and exceptions matched through derived owners.
  const set = await loadSet([{ file: 'test-extra.yaml', text: EXTRA }], (text) =>
    text.replace('&allowed-host-paths []', '&allowed-host-paths ["/var/log", "/etc/ssl/"]'),
  );
  const { rules } = exportVap(set, { now: NOW });
  // Not vacuous: the generated requests break rules, and the same rules pass on others.
  const seen = new Map<string, number>();
  const count = (request: ReturnType<typeof requestFor>): void => {
    for (const r of engineViolations(set, request, NOW).violated) seen.set(r, (seen.get(r) ?? 0) + 1);
  };

  it('CREATE', () => {
    fc.assert(
      fc.property(
        anyObject,
        fc.constantFrom('alice', 'system:serviceaccount:kube-system:x'),
        fc.subarray(['dev', 'ops']),
        fc.constantFrom(...MODES),
        (object, username, groups, mode) => {
          const request = requestFor(object, { username, groups });
          count(request);
          const d = compare(set, rules, request, NOW, mode);
          assert.deepEqual(d, [], JSON.stringify(object));
        },
      ),
      { numRuns: Number(process.env.RUNS ?? 1000), seed: Number(process.env.SEED ?? 20) },
    );
  });

  it('UPDATE', () => {
    fc.assert(
      fc.property(anyObject, anyObject, fc.nat(), (object, other, choice) => {
        const oldObject = oldFor(object, other, choice);
        const request = requestFor(object, { operation: 'UPDATE', oldObject });
        count(request);
        // As the apiserver runs a policy, with variables read eagerly, and with the validation alone.
        const d = compare(set, rules, request, NOW, MODES[choice % MODES.length]);
        assert.deepEqual(d, [], `new ${JSON.stringify(object)} old ${JSON.stringify(oldObject)}`);
      }),
      { numRuns: Number(process.env.RUNS ?? 1000), seed: Number(process.env.SEED ?? 20) + 1 },
    );
  });

  it('the generated requests break every exported rule at least once', () => {
    for (const r of rules)
      assert.ok((seen.get(`${r.policy}/${r.rule}`) ?? 0) > 0, `${r.policy}/${r.rule} never broken`);
  });
});
