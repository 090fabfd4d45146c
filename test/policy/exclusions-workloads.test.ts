import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { AdmissionRequest, KubeObject } from '../../src/admission/types.js';
import { createPolicyReviewer, evaluateObject, loadPolicyDir, parsePolicyFiles } from '../../src/policy/index.js';

const { value: BUILTINS, issues } = await loadPolicyDir('policies');
assert.deepEqual(issues, []);
const NOW = new Date('2026-11-23T10:00:00Z');
const reviewer = createPolicyReviewer(() => BUILTINS, { now: () => NOW });

/** An AdmissionRequest as the apiserver sends it: kind.group taken from the object's apiVersion. */
function request(object: KubeObject, username = 'dev@example.com'): AdmissionRequest {
  const kind = String(object.kind);
  const [group, version] = String(object.apiVersion).includes('/')
    ? String(object.apiVersion).split('/')
    : ['', String(object.apiVersion)];
  const meta = (object.metadata ?? {}) as { name?: string; namespace?: string };
  return {
    uid: '6a1d2c3b-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
    kind: { group: group!, version: version!, kind },
    resource: { group: group!, version: version!, resource: `${kind.toLowerCase()}s` },
    name: meta.name,
    namespace: meta.namespace,
    operation: 'CREATE',
    userInfo: { username, groups: ['system:authenticated'] },
    object,
  };
}

const secretEnv = [{ name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } }];
const podSpec = { containers: [{ name: 'app', image: 'app:1', env: secretEnv }] };

const kubeProxy: KubeObject = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'kube-proxy-x7k2p', namespace: 'kube-system', labels: { 'k8s-app': 'kube-proxy' } },
  spec: {
    containers: [
      {
        name: 'kube-proxy',
        image: 'registry.k8s.io/kube-proxy:v1.31.0',
        volumeMounts: [{ name: 'xtables-lock', mountPath: '/run/xtables.lock' }],
      },
    ],
    volumes: [{ name: 'xtables-lock', hostPath: { path: '/run/xtables.lock', type: 'FileOrCreate' } }],
  },
};

const secretRules = [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'watch'] }];
const clusterRole = (name: string, labels: Record<string, string>): KubeObject => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'ClusterRole',
  metadata: { name, labels },
  rules: secretRules,
});

const cases: Array<{
  name: string;
  object: KubeObject;
  username?: string;
  allowed: boolean;
  /** Every `[policy/rule] path` of the deny message, in order (denials only). */
  denied?: string[];
  /** The exclusion a `request excluded` notice names (allowed requests only). */
  excludedBy?: string;
}> = [
  {
    name: 'kube-proxy in kube-system with a hostPath volume is allowed; the notice names the exclusion',
    object: kubeProxy,
    username: 'system:serviceaccount:kube-system:daemon-set-controller',
    allowed: true,
    excludedBy: 'system-exclusions/kubernetes-system-namespaces',
  },
  {
    name: "a pod in Shroud's own namespace is allowed",
    object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'shroud-0', namespace: 'shroud' }, spec: podSpec },
    allowed: true,
    excludedBy: 'system-exclusions/shroud',
  },
  {
    name: 'the bootstrap ClusterRole edit, which lists Secrets, is allowed',
    object: clusterRole('edit', { 'kubernetes.io/bootstrapping': 'rbac-defaults' }),
    username: 'system:apiserver',
    allowed: true,
    excludedBy: 'system-exclusions/bootstrap-rbac',
  },
  {
    name: 'a ClusterRole without the bootstrap label that lists Secrets is still denied',
    object: clusterRole('secret-reader', { team: 'payments' }),
    allowed: false,
    denied: ['[restrict-secret-rbac/list-or-watch-secrets] rules[0]'],
  },
  {
    name: 'a ClusterRole whose bootstrap label has another value is still denied',
    object: clusterRole('secret-reader', { 'kubernetes.io/bootstrapping': 'mine' }),
    allowed: false,
    denied: ['[restrict-secret-rbac/list-or-watch-secrets] rules[0]'],
  },
  {
    name: 'a pod in default is judged',
    object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'app', namespace: 'default' }, spec: podSpec },
    allowed: false,
    denied: ['[disallow-secret-env/secret-env-var] spec.containers[0].env[0]'],
  },
  {
    name: "a pod the replicaset controller creates in default is judged: controllers' users are not excluded",
    object: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web-7d9f-abcde', namespace: 'default' },
      spec: podSpec,
    },
    username: 'system:serviceaccount:kube-system:replicaset-controller',
    allowed: false,
    denied: ['[disallow-secret-env/secret-env-var] spec.containers[0].env[0]'],
  },
  {
    name: 'an Argo Rollout with a Secret env var is denied at its real path',
    object: {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Rollout',
      metadata: { name: 'web', namespace: 'shop' },
      spec: { strategy: { canary: {} }, template: { spec: podSpec } },
    },
    allowed: false,
    denied: ['[disallow-secret-env/secret-env-var] spec.template.spec.containers[0].env[0]'],
  },
  {
    name: 'a Knative Service with a Secret env var is denied at its real path',
    object: {
      apiVersion: 'serving.knative.dev/v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'shop' },
      spec: { template: { spec: podSpec } },
    },
    allowed: false,
    denied: ['[disallow-secret-env/secret-env-var] spec.template.spec.containers[0].env[0]'],
  },
  {
    name: 'a KEDA ScaledJob with a Secret env var is denied at its real path',
    object: {
      apiVersion: 'keda.sh/v1alpha1',
      kind: 'ScaledJob',
      metadata: { name: 'worker', namespace: 'shop' },
      spec: { jobTargetRef: { template: { spec: podSpec } }, triggers: [] },
    },
    allowed: false,
    denied: ['[disallow-secret-env/secret-env-var] spec.jobTargetRef.template.spec.containers[0].env[0]'],
  },
  {
    name: 'an OpenKruise CloneSet with a Secret env var is denied at its real path',
    object: {
      apiVersion: 'apps.kruise.io/v1alpha1',
      kind: 'CloneSet',
      metadata: { name: 'web', namespace: 'shop' },
      spec: { replicas: 2, template: { spec: podSpec } },
    },
    allowed: false,
    denied: ['[disallow-secret-env/secret-env-var] spec.template.spec.containers[0].env[0]'],
  },
  {
    name: 'a Rollout of another API group is not a workload kind and is allowed',
    object: {
      apiVersion: 'example.com/v1',
      kind: 'Rollout',
      metadata: { name: 'web', namespace: 'shop' },
      spec: { template: { spec: podSpec } },
    },
    allowed: true,
  },
  {
    name: 'a core Service is not the Knative Service and is allowed',
    object: {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'shop' },
      spec: { template: { spec: podSpec } },
    },
    allowed: true,
  },
];

for (const c of cases) {
  test(`exclusions and workload kinds: ${c.name}`, async () => {
    const verdict = await reviewer.review(request(c.object, c.username));
    assert.equal(verdict.allowed, c.allowed, verdict.message);
    if (c.denied !== undefined) {
      const lines = (verdict.message ?? '').split('\n').filter((l) => l.includes('['));
      assert.deepEqual(
        lines.map((l) => /\[[^\]]+\] \S+/.exec(l)?.[0]?.replace(/:$/, '')),
        c.denied,
        verdict.message,
      );
    }
    const excluded = (verdict.notices ?? []).filter((n) => n.message === 'request excluded');
    if (c.excludedBy === undefined) assert.deepEqual(excluded, []);
    else {
      assert.equal(excluded.length, 1);
      assert.equal(excluded[0]!.level, 'debug');
      assert.equal(excluded[0]!.fields?.exclusion, c.excludedBy);
      assert.equal(excluded[0]!.fields?.file, 'policies/system-exclusions.yaml');
    }
  });
}

test('exclusions: every rule of an excluded request is skipped, naming the exclusion', () => {
  const ev = evaluateObject(BUILTINS, { object: kubeProxy, kind: 'Pod', operation: 'CREATE' }, { now: NOW });
  assert.deepEqual(ev.violations, []);
  assert.ok(ev.results.length > 0);
  for (const r of ev.results) {
    assert.equal(r.status, 'skip');
    assert.equal(r.reason, 'excluded by system-exclusions/kubernetes-system-namespaces');
  }
});

const EXCLUSIONS = `apiVersion: policy.shroud.dev/v1
kind: PolicyExclusions
metadata: {name: x}
spec:
  exclusions:
    - {name: ns, reason: r, namespaces: ["team-*"]}
    - {name: kind-and-name, reason: r, kinds: [Pod], names: ["debug-*"]}
`;
const POLICY = `apiVersion: policy.shroud.dev/v1
kind: Policy
metadata: {name: no-pods}
spec:
  enforcement: deny
  match: {kinds: [Pod, PersistentVolume]}
  rules:
    - {name: any, message: no}
`;

test('exclusions: every field given must match; a namespaces entry never matches a cluster-scoped object', () => {
  const { value: set, issues: loadIssues } = parsePolicyFiles([
    { file: 'x.yaml', text: EXCLUSIONS },
    { file: 'p.yaml', text: POLICY },
  ]);
  assert.deepEqual(loadIssues, []);
  const table: Array<{ kind: string; name: string; namespace?: string; excluded: string | undefined }> = [
    { kind: 'Pod', name: 'a', namespace: 'team-a', excluded: 'x/ns' },
    { kind: 'Pod', name: 'a', namespace: 'teams', excluded: undefined },
    { kind: 'Pod', name: 'debug-1', namespace: 'default', excluded: 'x/kind-and-name' },
    { kind: 'PersistentVolume', name: 'debug-1', excluded: undefined },
    { kind: 'PersistentVolume', name: 'team-a', excluded: undefined },
  ];
  for (const t of table) {
    const object = { apiVersion: 'v1', kind: t.kind, metadata: { name: t.name, namespace: t.namespace } };
    const ev = evaluateObject(set, { object, kind: t.kind, operation: 'CREATE' }, { now: NOW });
    const notice = ev.notices.find((n) => n.message === 'request excluded');
    assert.equal(notice?.fields?.exclusion, t.excluded, JSON.stringify(t));
    assert.equal(ev.violations.length, t.excluded === undefined ? 1 : 0, JSON.stringify(t));
  }
});

test('workload kinds: the group comes from input.group when given, else from the apiVersion', () => {
  const object = { apiVersion: 'example.com/v1', kind: 'Rollout', spec: { template: { spec: podSpec } } };
  const hits = (group: string | undefined) =>
    evaluateObject(BUILTINS, { object, kind: 'Rollout', group, operation: 'CREATE' }, { now: NOW }).violations.map(
      (v) => v.path,
    );
  assert.deepEqual(hits(undefined), []);
  assert.deepEqual(hits('argoproj.io'), ['spec.template.spec.containers[0].env[0]']);
});
