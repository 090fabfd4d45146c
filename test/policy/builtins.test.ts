import { generateKeyPairSync } from 'node:crypto';
import { strict as assert } from 'node:assert';
import { readFile, readdir } from 'node:fs/promises';
import { test } from 'node:test';
import { evaluateObject, parsePolicyFiles, type PolicySet } from '../../src/policy/index.js';

async function builtins(replace?: [string, string]): Promise<PolicySet> {
  const files = [];
  for (const name of (await readdir('policies')).filter((f) => f.endsWith('.yaml')).sort()) {
    let text = await readFile(`policies/${name}`, 'utf8');
    if (replace !== undefined) text = text.replace(replace[0], replace[1]);
    files.push({ file: name, text });
  }
  const r = parsePolicyFiles(files);
  assert.deepEqual(r.issues, []);
  return r.value;
}

const SET = await builtins();
const NOW = new Date('2026-11-23T10:00:00Z');

/** `[policy/rule] path` of every violation, sorted, for whole-list comparisons. */
function hits(set: PolicySet, kind: string, object: unknown, operation = 'CREATE'): string[] {
  return evaluateObject(set, { object, kind, operation }, { now: NOW })
    .violations.map((v) => `${v.enforcement} [${v.policy}/${v.rule}] ${v.path}`)
    .sort();
}

/** Wraps a pod spec the way each kind stores it; returns the object and the path prefix. */
function wrap(kind: string, spec: Record<string, unknown>): { object: unknown; prefix: string } {
  const template = { metadata: { labels: { app: 'x' } }, spec };
  const meta = { name: 'app', namespace: 'team-a' };
  switch (kind) {
    case 'Pod':
      return { object: { apiVersion: 'v1', kind, metadata: meta, spec }, prefix: '' };
    case 'CronJob':
      return {
        object: { kind, metadata: meta, spec: { schedule: '@daily', jobTemplate: { spec: { template } } } },
        prefix: 'spec.jobTemplate.spec.template.',
      };
    case 'PodTemplate':
      return { object: { kind, metadata: meta, template }, prefix: 'template.' };
    default:
      return { object: { kind, metadata: meta, spec: { replicas: 1, template } }, prefix: 'spec.template.' };
  }
}

const KINDS = [
  'Pod',
  'Deployment',
  'ReplicaSet',
  'StatefulSet',
  'DaemonSet',
  'Job',
  'CronJob',
  'ReplicationController',
  'PodTemplate',
];

const secretRef = (name: string, key: string) => ({ valueFrom: { secretKeyRef: { name, key } } });

const violatingSpec = {
  initContainers: [
    {
      name: 'init',
      env: [
        { name: 'A', value: 'a' },
        { name: 'B', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'DB', ...secretRef('db', 'password') },
      ],
    },
  ],
  containers: [
    {
      name: 'app',
      envFrom: [{ configMapRef: { name: 'cfg' } }, { secretRef: { name: 'all' } }],
      volumeMounts: [{ name: 'host', mountPath: '/h' }],
    },
    { name: 'side', env: [{ name: 'T', ...secretRef('tok', 'token') }] },
  ],
  ephemeralContainers: [
    { name: 'debug', env: [{ name: 'E', ...secretRef('e', 'k') }], envFrom: [{ secretRef: { name: 'e' } }] },
  ],
  volumes: [
    { name: 'host', hostPath: { path: '/var/lib/kubelet' } },
    { name: 'ok', emptyDir: {} },
  ],
};

const cleanSpec = {
  containers: [
    {
      name: 'app',
      env: [
        { name: 'LITERAL', value: 'x' },
        { name: 'CM', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'k' } } },
        { name: 'FIELD', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
        { name: 'RES', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
      ],
      envFrom: [{ configMapRef: { name: 'cfg' } }],
      volumeMounts: [{ name: 'creds', mountPath: '/run/creds', readOnly: true }],
    },
  ],
  volumes: [{ name: 'creds', secret: { secretName: 'db' } }],
};

for (const kind of KINDS) {
  test(`built-ins: ${kind} with secrets in env and a hostPath volume is denied at every place, on the real object's paths`, () => {
    const { object, prefix } = wrap(kind, violatingSpec);
    const p = `${prefix}spec.`;
    assert.deepEqual(
      hits(SET, kind, object),
      [
        `deny [disallow-host-path/host-path-volume] ${p}volumes[0]`,
        `deny [disallow-secret-env/secret-env-from] ${p}containers[0].envFrom[1]`,
        `deny [disallow-secret-env/secret-env-from] ${p}ephemeralContainers[0].envFrom[0]`,
        `deny [disallow-secret-env/secret-env-var] ${p}containers[1].env[0]`,
        `deny [disallow-secret-env/secret-env-var] ${p}ephemeralContainers[0].env[0]`,
        `deny [disallow-secret-env/secret-env-var] ${p}initContainers[0].env[2]`,
      ].sort(),
    );
  });

  test(`built-ins: ${kind} with configMapKeyRef, fieldRef, resourceFieldRef, literals and a Secret volume passes`, () => {
    const { object } = wrap(kind, cleanSpec);
    assert.deepEqual(hits(SET, kind, object), []);
  });
}

test('built-ins: the env message says what, where, why and how to fix', () => {
  const { object } = wrap('CronJob', violatingSpec);
  const v = evaluateObject(SET, { object, kind: 'CronJob', operation: 'CREATE' }, { now: NOW }).violations.find(
    (x) => x.path === 'spec.jobTemplate.spec.template.spec.initContainers[0].env[2]',
  );
  assert.equal(
    v?.message,
    'container "init" reads key "password" of Secret "db" into env var DB; env vars leak through crash dumps, /proc and debug output. Mount the Secret read-only as a file (a secret volume with readOnly: true) or use Shroud injection (label shroud.dev/inject: "true").',
  );
});

test('built-ins: hostPath on a PersistentVolume is denied; a Deployment without a template is skipped, not an error', () => {
  assert.deepEqual(
    hits(SET, 'PersistentVolume', {
      kind: 'PersistentVolume',
      metadata: { name: 'pv' },
      spec: { hostPath: { path: '/data' } },
    }),
    ['deny [disallow-host-path/host-path-persistent-volume] spec.hostPath'],
  );
  const r = evaluateObject(
    SET,
    { object: { kind: 'Deployment', metadata: { name: 'd' }, spec: {} }, kind: 'Deployment', operation: 'CREATE' },
    { now: NOW },
  );
  assert.deepEqual([...new Set(r.results.map((x) => `${x.status}: ${x.reason}`))], ['skip: no pod template']);
});

const ALLOWED = await builtins([
  'notUnder: &allowed-host-paths []',
  'notUnder: &allowed-host-paths [/var/log, /etc/ssl/certs/]',
]);

function hostPathPod(path: string, mounts: Record<string, boolean | undefined>): unknown {
  const mount = (readOnly: boolean | undefined) => ({
    name: 'h',
    mountPath: '/h',
    ...(readOnly === undefined ? {} : { readOnly }),
  });
  const spec: Record<string, unknown> = {
    containers: [{ name: 'app', volumeMounts: [mount(true)] }],
    volumes: [{ name: 'h', hostPath: { path } }],
  };
  for (const [list, readOnly] of Object.entries(mounts)) {
    if (list === 'containers') spec.containers = [{ name: 'app', volumeMounts: [mount(readOnly)] }];
    else spec[list] = [{ name: list, volumeMounts: [mount(readOnly)] }];
  }
  return { kind: 'Pod', metadata: { name: 'p' }, spec };
}

const hostPathCases: Array<{
  name: string;
  path: string;
  mounts: Record<string, boolean | undefined>;
  expected: string[];
}> = [
  {
    name: 'allow-listed prefix, every mount read-only',
    path: '/var/log/app',
    mounts: { initContainers: true, ephemeralContainers: true },
    expected: [],
  },
  { name: 'the prefix itself', path: '/var/log', mounts: {}, expected: [] },
  { name: 'a prefix given with a trailing slash', path: '/etc/ssl/certs', mounts: {}, expected: [] },
  {
    name: 'same letters but another segment',
    path: '/var/logs',
    mounts: {},
    expected: ['deny [disallow-host-path/host-path-volume] spec.volumes[0]'],
  },
  {
    name: 'a parent of the prefix',
    path: '/var',
    mounts: {},
    expected: ['deny [disallow-host-path/host-path-volume] spec.volumes[0]'],
  },
  {
    name: 'a back-step out of the prefix',
    path: '/var/log/../../etc',
    mounts: {},
    expected: ['deny [disallow-host-path/host-path-volume] spec.volumes[0]'],
  },
  {
    name: 'allowed path, writable container mount',
    path: '/var/log',
    mounts: { containers: false },
    expected: ['deny [disallow-host-path/host-path-writable-mount] spec.volumes[0]'],
  },
  {
    name: 'allowed path, init container mount without readOnly',
    path: '/var/log',
    mounts: { initContainers: undefined },
    expected: ['deny [disallow-host-path/host-path-writable-mount] spec.volumes[0]'],
  },
  {
    name: 'allowed path, writable ephemeral container mount',
    path: '/var/log',
    mounts: { ephemeralContainers: false },
    expected: ['deny [disallow-host-path/host-path-writable-mount] spec.volumes[0]'],
  },
];
for (const c of hostPathCases) {
  test(`built-ins: hostPath allow-list: ${c.name}`, () => {
    assert.deepEqual(hits(ALLOWED, 'Pod', hostPathPod(c.path, c.mounts)), c.expected);
  });
}

test('built-ins: the shipped hostPath allow-list is empty', () => {
  assert.deepEqual(hits(SET, 'Pod', hostPathPod('/var/log', {})), [
    'deny [disallow-host-path/host-path-volume] spec.volumes[0]',
  ]);
});

const rbacCases: Array<{ name: string; rule: Record<string, unknown>; expected: string[] }> = [
  {
    name: 'list on secrets',
    rule: { apiGroups: [''], resources: ['secrets'], verbs: ['list'] },
    expected: ['deny [restrict-secret-rbac/list-or-watch-secrets] rules[0]'],
  },
  {
    name: 'watch on every resource',
    rule: { apiGroups: [''], resources: ['*'], verbs: ['watch'] },
    expected: ['deny [restrict-secret-rbac/list-or-watch-secrets] rules[0]'],
  },
  {
    name: 'every verb in every group',
    rule: { apiGroups: ['*'], resources: ['secrets'], verbs: ['*'] },
    expected: ['deny [restrict-secret-rbac/list-or-watch-secrets] rules[0]'],
  },
  {
    name: 'get and list: denied once, not also warned',
    rule: { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list'] },
    expected: ['deny [restrict-secret-rbac/list-or-watch-secrets] rules[0]'],
  },
  {
    name: 'empty resourceNames means all secrets',
    rule: { apiGroups: [''], resources: ['secrets'], verbs: ['list'], resourceNames: [] },
    expected: ['deny [restrict-secret-rbac/list-or-watch-secrets] rules[0]'],
  },
  {
    name: 'verbs are case-sensitive as in RBAC',
    rule: { apiGroups: [''], resources: ['secrets'], verbs: ['LIST', 'Watch'] },
    expected: [],
  },
  { name: 'another API group', rule: { apiGroups: ['apps'], resources: ['*'], verbs: ['list'] }, expected: [] },
  {
    name: 'list on configmaps',
    rule: { apiGroups: [''], resources: ['configmaps'], verbs: ['list', 'watch'] },
    expected: [],
  },
  {
    name: 'list limited by resourceNames warns',
    rule: { apiGroups: [''], resources: ['secrets'], verbs: ['list'], resourceNames: ['a'] },
    expected: ['warn [restrict-secret-rbac/list-or-watch-named-secrets] rules[0]'],
  },
  {
    name: 'get on all secrets warns',
    rule: { apiGroups: [''], resources: ['secrets'], verbs: ['get'] },
    expected: ['warn [restrict-secret-rbac/get-all-secrets] rules[0]'],
  },
  {
    name: 'get on named secrets is fine',
    rule: { apiGroups: [''], resources: ['secrets'], verbs: ['get'], resourceNames: ['db'] },
    expected: [],
  },
  // RBAC compares each resourceNames entry with the request's name, and a list or watch of a
  // collection has the empty name: "" (or null, decoded as "") grants list and watch on every Secret.
  {
    name: 'list with only an empty name in resourceNames lists every secret',
    rule: { apiGroups: [''], resources: ['secrets'], verbs: ['list'], resourceNames: [''] },
    expected: ['deny [restrict-secret-rbac/list-or-watch-secrets-empty-name] rules[0]'],
  },
  {
    name: 'watch with an empty name beside a real one watches every secret',
    rule: { apiGroups: [''], resources: ['secrets'], verbs: ['watch'], resourceNames: ['', 'db'] },
    expected: ['deny [restrict-secret-rbac/list-or-watch-secrets-empty-name] rules[0]'],
  },
  {
    name: 'every verb with an empty name in resourceNames',
    rule: { apiGroups: ['*'], resources: ['*'], verbs: ['*'], resourceNames: ['db', ''] },
    expected: ['deny [restrict-secret-rbac/list-or-watch-secrets-empty-name] rules[0]'],
  },
  {
    name: 'get and list with an empty name: denied once, not also warned',
    rule: { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list'], resourceNames: [''] },
    expected: ['deny [restrict-secret-rbac/list-or-watch-secrets-empty-name] rules[0]'],
  },
  {
    name: 'a null name beside a real one is an empty name',
    rule: { apiGroups: [''], resources: ['secrets'], verbs: ['list'], resourceNames: [null, 'db'] },
    expected: ['deny [restrict-secret-rbac/list-or-watch-secrets-empty-name] rules[0]'],
  },
  {
    name: 'only null names are no limit at all',
    rule: { apiGroups: [''], resources: ['secrets'], verbs: ['watch'], resourceNames: [null] },
    expected: ['deny [restrict-secret-rbac/list-or-watch-secrets] rules[0]'],
  },
  {
    name: 'list limited by several real names warns',
    rule: { apiGroups: [''], resources: ['secrets'], verbs: ['list', 'watch'], resourceNames: ['db', 'api'] },
    expected: ['warn [restrict-secret-rbac/list-or-watch-named-secrets] rules[0]'],
  },
  {
    name: 'get with only an empty name grants no get at all',
    rule: { apiGroups: [''], resources: ['secrets'], verbs: ['get'], resourceNames: [''] },
    expected: [],
  },
  {
    name: 'get with an empty and a real name grants get on the real one only',
    rule: { apiGroups: [''], resources: ['secrets'], verbs: ['get'], resourceNames: ['', 'db'] },
    expected: [],
  },
  {
    name: 'get with only a null name grants no get at all',
    rule: { apiGroups: [''], resources: ['secrets'], verbs: ['get'], resourceNames: [null] },
    expected: [],
  },
  {
    name: 'get with an empty resourceNames list is get on all secrets',
    rule: { apiGroups: [''], resources: ['secrets'], verbs: ['get'], resourceNames: [] },
    expected: ['warn [restrict-secret-rbac/get-all-secrets] rules[0]'],
  },
];
for (const c of rbacCases) {
  for (const kind of ['Role', 'ClusterRole']) {
    test(`built-ins: ${kind} ${c.name}`, () => {
      assert.deepEqual(hits(SET, kind, { kind, metadata: { name: 'r', namespace: 'x' }, rules: [c.rule] }), c.expected);
    });
  }
}

test('built-ins: the empty-name message says why an empty name is no limit', () => {
  const object = {
    kind: 'Role',
    metadata: { name: 'reader', namespace: 'x' },
    rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['list'], resourceNames: [''] }],
  };
  const [v] = evaluateObject(SET, { object, kind: 'Role', operation: 'CREATE' }, { now: NOW }).violations;
  assert.equal(
    v?.message,
    'Role reader grants list on secrets with an empty name in resourceNames; the API server matches it against the empty name of every list and watch request, so it returns the data of every Secret in scope. Remove the empty name and grant get on the named Secrets the workload needs instead.',
  );
});

// A freshly generated key: the detector wants real key material, not just the PEM markers.
const PRIVATE_KEY = generateKeyPairSync('ed25519')
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString()
  .trim();
const configMapCases: Array<{
  name: string;
  data?: Record<string, string>;
  binaryData?: Record<string, string>;
  expected: string[];
}> = [
  {
    name: 'a PEM private key',
    data: { id_ed25519: PRIVATE_KEY },
    expected: ['deny [disallow-secrets-in-configmaps/secret-value] data.id_ed25519'],
  },
  {
    name: 'a private key inside a larger file',
    data: { 'app.conf': `listen 443\nkey = """\n${PRIVATE_KEY}\n"""\n` },
    expected: ['deny [disallow-secrets-in-configmaps/secret-value] data["app.conf"]'],
  },
  {
    name: 'a secret-named key with a real-looking value',
    data: { DB_PASSWORD: 'Tr0ub4dor&3xyz' },
    expected: ['deny [disallow-secrets-in-configmaps/secret-value] data.DB_PASSWORD'],
  },
  {
    name: 'numbered and plural secret-named keys',
    data: {
      DB_PASSWORD2: 'Tr0ub4dor&3xyz',
      token2: 'q7Lm-2Zx9vWp4',
      secret1: 'Qz3r&Vt8kLm2Wp',
      passwords: 'W1nt3r!Is!C0ming',
      apiKeys: 'k3y-8XpQ2-mZr7',
    },
    expected: [
      'deny [disallow-secrets-in-configmaps/secret-value] data.DB_PASSWORD2',
      'deny [disallow-secrets-in-configmaps/secret-value] data.apiKeys',
      'deny [disallow-secrets-in-configmaps/secret-value] data.passwords',
      'deny [disallow-secrets-in-configmaps/secret-value] data.secret1',
      'deny [disallow-secrets-in-configmaps/secret-value] data.token2',
    ],
  },
  {
    name: 'names that only look like secret words, with the same values',
    data: {
      tokenizer: 'Tr0ub4dor&3xyz',
      secretary: 'q7Lm-2Zx9vWp4',
      keyboard: 'Qz3r&Vt8kLm2Wp',
      monkey: 'W1nt3r!Is!C0ming',
      passwordless_login_enabled: 'k3y-8XpQ2-mZr7',
    },
    // The names deny nothing; the values look like generated passwords, so high-entropy warns.
    expected: [
      'warn [disallow-secrets-in-configmaps/high-entropy-value] data.keyboard',
      'warn [disallow-secrets-in-configmaps/high-entropy-value] data.monkey',
      'warn [disallow-secrets-in-configmaps/high-entropy-value] data.passwordless_login_enabled',
      'warn [disallow-secrets-in-configmaps/high-entropy-value] data.secretary',
      'warn [disallow-secrets-in-configmaps/high-entropy-value] data.tokenizer',
    ],
  },
  {
    name: 'a private key in binaryData (base64)',
    binaryData: { 'tls.key': Buffer.from(PRIVATE_KEY).toString('base64') },
    expected: ['deny [disallow-secrets-in-configmaps/secret-value] binaryData["tls.key"]'],
  },
  {
    name: 'binaryData that is not text is not scanned',
    binaryData: { 'blob.bin': Buffer.from([0, 159, 146, 150, 255, 0]).toString('base64') },
    expected: [],
  },
  { name: 'placeholders', data: { password: '${DB_PASSWORD}', token: '<token>', secret: '' }, expected: [] },
  {
    name: 'a Shroud sealed value',
    data: { password: 'shroud:v1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8' },
    expected: [],
  },
  {
    name: 'UUIDs and sha256 digests, even under secret-sounding keys',
    data: { token: '123e4567-e89b-12d3-a456-426614174000', secret_digest: `sha256:${'a'.repeat(64)}` },
    expected: [],
  },
  {
    name: 'a public certificate',
    data: { 'ca.crt': '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----' },
    expected: [],
  },
  { name: 'ordinary settings', data: { LOG_LEVEL: 'debug', 'nginx.conf': 'worker_processes 2;' }, expected: [] },
];
for (const c of configMapCases) {
  test(`built-ins: ConfigMap ${c.name}`, () => {
    const object = {
      kind: 'ConfigMap',
      metadata: { name: 'cfg' },
      ...(c.data ? { data: c.data } : {}),
      ...(c.binaryData ? { binaryData: c.binaryData } : {}),
    };
    assert.deepEqual(hits(SET, 'ConfigMap', object), c.expected);
  });
}

test('built-ins: ConfigMap messages name the key and the detector', () => {
  const r = evaluateObject(
    SET,
    {
      object: { kind: 'ConfigMap', metadata: { name: 'c' }, data: { id_rsa: PRIVATE_KEY } },
      kind: 'ConfigMap',
      operation: 'CREATE',
    },
    { now: NOW },
  );
  assert.match(
    r.violations[0]!.message,
    /^key "id_rsa" \(line 1 of the value\) looks like a secret \(.*; detector private-key\)/,
  );
  assert.deepEqual(
    r.violations[0]!.findings?.map((f) => [f.detector, f.line]),
    [['private-key', 1]],
  );
});

test('built-ins: ConfigMap messages name the line inside a multi-line value', () => {
  const r = evaluateObject(
    SET,
    {
      object: {
        kind: 'ConfigMap',
        metadata: { name: 'c' },
        data: { 'app.env': `LOG_LEVEL=info\nPORT=8080\nDB_PASSWORD=Kq7vR2x9Lm!Wp4\n\nmore: ${PRIVATE_KEY}` },
      },
      kind: 'ConfigMap',
      operation: 'CREATE',
    },
    { now: NOW },
  );
  assert.match(r.violations[0]!.message, /^key "app\.env" \(lines 3, 5 of the value\) looks like a secret/);
  assert.deepEqual(
    r.violations[0]!.findings?.map((f) => [f.detector, f.line]),
    [
      ['private-key', 5],
      ['config-file-secret', 3],
    ],
  );
});

test('built-ins: a kind no policy matches yields no results at all', () => {
  const r = evaluateObject(
    SET,
    { object: { kind: 'Service', metadata: { name: 's' } }, kind: 'Service', operation: 'CREATE' },
    { now: NOW },
  );
  assert.deepEqual(r, { results: [], violations: [], omitted: [], notices: [] });
});

const binding = (
  kind: 'RoleBinding' | 'ClusterRoleBinding',
  roleRef: { kind: string; name: string },
  subjects: Array<Record<string, string>>,
  namespace = 'team-a',
) => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind,
  metadata: kind === 'RoleBinding' ? { name: 'grant', namespace } : { name: 'grant' },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', ...roleRef },
  subjects,
});

const bindingCases: Array<{ name: string; object: ReturnType<typeof binding>; expected: string[] }> = [
  {
    name: 'edit to a user: warned, naming the user',
    object: binding('RoleBinding', { kind: 'ClusterRole', name: 'edit' }, [{ kind: 'User', name: 'alice' }]),
    expected: [
      'warn [restrict-secret-bindings/user-or-group-reads-secrets] subjects[0] RoleBinding grant gives User alice',
    ],
  },
  {
    name: 'admin to a group: warned',
    object: binding('RoleBinding', { kind: 'ClusterRole', name: 'admin' }, [{ kind: 'Group', name: 'devs' }]),
    expected: [
      'warn [restrict-secret-bindings/user-or-group-reads-secrets] subjects[0] RoleBinding grant gives Group devs',
    ],
  },
  {
    name: 'cluster-admin to a service account elsewhere: warned as namespace/name',
    object: binding('ClusterRoleBinding', { kind: 'ClusterRole', name: 'cluster-admin' }, [
      { kind: 'ServiceAccount', name: 'ci', namespace: 'tools' },
    ]),
    expected: [
      'warn [restrict-secret-bindings/service-account-reads-secrets] subjects[0] ClusterRoleBinding grant gives ServiceAccount tools/ci',
    ],
  },
  {
    name: "a service account without a namespace is the RoleBinding's own",
    object: binding('RoleBinding', { kind: 'ClusterRole', name: 'edit' }, [{ kind: 'ServiceAccount', name: 'app' }]),
    expected: [
      'warn [restrict-secret-bindings/local-service-account-reads-secrets] subjects[0] RoleBinding grant gives ServiceAccount team-a/app',
    ],
  },
  {
    name: 'cluster-admin to system:masters: nothing',
    object: binding('ClusterRoleBinding', { kind: 'ClusterRole', name: 'cluster-admin' }, [
      { kind: 'Group', name: 'system:masters' },
    ]),
    expected: [],
  },
  {
    name: 'edit to a kube-system service account: nothing',
    object: binding('ClusterRoleBinding', { kind: 'ClusterRole', name: 'edit' }, [
      { kind: 'ServiceAccount', name: 'generic-garbage-collector', namespace: 'kube-system' },
    ]),
    expected: [],
  },
  {
    name: 'edit to a service account without a namespace in a kube-system RoleBinding: nothing',
    object: binding(
      'RoleBinding',
      { kind: 'ClusterRole', name: 'edit' },
      [{ kind: 'ServiceAccount', name: 'x' }],
      'kube-system',
    ),
    expected: [],
  },
  {
    name: 'a custom ClusterRole: nothing',
    object: binding('RoleBinding', { kind: 'ClusterRole', name: 'app-reader' }, [{ kind: 'User', name: 'alice' }]),
    expected: [],
  },
  {
    name: 'a namespaced Role that happens to be called edit: nothing',
    object: binding('RoleBinding', { kind: 'Role', name: 'edit' }, [{ kind: 'User', name: 'alice' }]),
    expected: [],
  },
  {
    name: 'two subjects, one system and one not: one warning, for the second',
    object: binding('ClusterRoleBinding', { kind: 'ClusterRole', name: 'admin' }, [
      { kind: 'User', name: 'system:kube-scheduler' },
      { kind: 'User', name: 'bob' },
    ]),
    expected: [
      'warn [restrict-secret-bindings/user-or-group-reads-secrets] subjects[1] ClusterRoleBinding grant gives User bob',
    ],
  },
  {
    name: 'a user whose name only contains system: is not a system component',
    object: binding('RoleBinding', { kind: 'ClusterRole', name: 'edit' }, [{ kind: 'User', name: 'ops-system:x' }]),
    expected: [
      'warn [restrict-secret-bindings/user-or-group-reads-secrets] subjects[0] RoleBinding grant gives User ops-system:x',
    ],
  },
];
for (const c of bindingCases) {
  test(`built-ins: bindings: ${c.name}`, () => {
    const found = evaluateObject(SET, { object: c.object, kind: c.object.kind, operation: 'CREATE' }, { now: NOW })
      .violations.map(
        (v) => `${v.enforcement} [${v.policy}/${v.rule}] ${v.path} ${v.message.split(' a ClusterRole')[0]}`,
      )
      .sort();
    assert.deepEqual(found, c.expected);
  });
}
