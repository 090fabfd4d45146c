/**
 * Inputs for fuzzing the admission endpoints, shared by test/webhook/fuzz.property.test.ts and
 * bench/soak.ts: realistic AdmissionReviews (Pod, Deployment, CronJob, Role, ClusterRole,
 * RoleBinding, ConfigMap, Secret, PersistentVolume, UPDATE, DELETE, subresources) with secret
 * values planted wherever a secret could sit, structure-aware mutations of them, random JSON,
 * and odd HTTP framing (content types, encodings, bytes that are not UTF-8 or not JSON).
 *
 * Each generated case carries a short label (family, seed, what was mutated where) that
 * fast-check prints as the counterexample, instead of a body that may be megabytes long.
 */
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { DEFAULT_BODY_LIMIT } from '../../src/webhook/index.js';
import { deploymentReview } from '../../bench/support/deployment-review.js';

/** Planted in every secret-bearing position; must never appear in a response or a log line. */
export const FUZZ_CANARY = 'CANARY-fz-4b7e19d2';

const AWS_KEY_ID = 'AKIAQX7ZP3N4M2LKRT5W';
const GITHUB_TOKEN = 'ghp_R8kT2mQ9vL4xW7nB3cZ6yH1pF5sD0gJ8aE2u';
const KEY_MATERIAL = 'MIIEpQIBAAKCAQEAzFuzzCanaryKeyMaterial0123456789abcdefghijklmnopq';
const b64url = (s: string): string => Buffer.from(s, 'utf8').toString('base64url');
const JWT = `${b64url('{"alg":"HS256","typ":"JWT"}')}.${b64url(`{"sub":"${FUZZ_CANARY}","iat":1700000000}`)}.Hq3vX9dK2mN7pL4rT8wY1zB6cF0gJ5sA3eU2iO9kQ7M`;
const BINARY_SECRET = Buffer.from(`${FUZZ_CANARY}\u0000\u00ff keystore`, 'latin1').toString('base64');

/**
 * Every planted secret value. None may come back in a response or be logged, whatever the
 * mutation: mutations only ever add generated values, they never move a planted one.
 */
export const SECRET_VALUES: readonly string[] = [
  FUZZ_CANARY,
  AWS_KEY_ID,
  GITHUB_TOKEN,
  KEY_MATERIAL,
  JWT,
  BINARY_SECRET,
];

/** Text emitted verbatim into the JSON body: numbers JSON.stringify cannot write, deep nesting. */
export class RawJson {
  constructor(
    readonly text: string,
    readonly label: string,
  ) {}
}

/** An object written with these entries in order, duplicate keys and `__proto__` included. */
export class JsonEntries {
  constructor(readonly entries: ReadonlyArray<readonly [string, unknown]>) {}
}

/** Writes a tree as JSON text; RawJson and JsonEntries are written as they say. */
export function renderJson(value: unknown): string {
  if (value instanceof RawJson) return value.text;
  if (value instanceof JsonEntries)
    return `{${value.entries.map(([k, v]) => `${JSON.stringify(k)}:${renderJson(v)}`).join(',')}}`;
  if (Array.isArray(value)) return `[${value.map((v) => renderJson(v)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    // Object.keys includes an own `__proto__` property set with defineProperty.
    // Keys holding undefined are left out, as JSON.stringify does.
    const obj = value as Record<string, unknown>;
    return `{${Object.keys(obj)
      .filter((k) => obj[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${renderJson(obj[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** A deep copy that keeps RawJson, JsonEntries and own `__proto__` keys. */
function clone(value: unknown): unknown {
  if (value instanceof RawJson || value instanceof JsonEntries) return value;
  if (Array.isArray(value)) return value.map(clone);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value)) setOwn(out, k, clone((value as Record<string, unknown>)[k]));
    return out;
  }
  return value;
}

/** Sets an own property, even `__proto__` (plain assignment would change the prototype). */
function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

// ---------------------------------------------------------------------------------------------
// Seeds: realistic reviews

type Review = Record<string, unknown>;

function review(
  object: Review | null,
  kind: { group: string; version: string; kind: string },
  resource: string,
  extra: Record<string, unknown> = {},
): Review {
  const metadata = (object?.metadata ?? {}) as { name?: string; namespace?: string };
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: `fuzz-${kind.kind.toLowerCase()}-7c1e2a90`,
      kind: { ...kind },
      resource: { group: kind.group, version: kind.version, resource },
      requestKind: { ...kind },
      requestResource: { group: kind.group, version: kind.version, resource },
      name: metadata.name,
      namespace: metadata.namespace,
      operation: 'CREATE',
      userInfo: {
        username: 'jane@example.com',
        uid: '5e1b',
        groups: ['system:authenticated', 'developers'],
        extra: { 'authentication.kubernetes.io/pod-name': ['cli-7f9'] },
      },
      object,
      oldObject: null,
      dryRun: false,
      options: { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1', fieldManager: 'kubectl-client-side-apply' },
      ...extra,
    },
  };
}

const lastApplied = (kind: string): Record<string, string> => ({
  'kubectl.kubernetes.io/last-applied-configuration': `{"kind":"${kind}","data":{"password":"${FUZZ_CANARY}"}}`,
});

function podSpec(): Review {
  return {
    serviceAccountName: 'web',
    initContainers: [{ name: 'init', image: 'busybox:1.36', command: ['sh', '-c', `echo ${FUZZ_CANARY} > /x`] }],
    containers: [
      {
        name: 'web',
        image: 'nginx:1.27',
        args: [`--api-key=${FUZZ_CANARY}`],
        env: [
          { name: 'DB_PASSWORD', value: FUZZ_CANARY },
          { name: 'GITHUB_TOKEN', value: GITHUB_TOKEN },
          { name: 'API_TOKEN', valueFrom: { secretKeyRef: { name: 'api', key: 'token' } } },
          { name: 'LOG_LEVEL', valueFrom: { configMapKeyRef: { name: 'web', key: 'log-level' } } },
        ],
        envFrom: [{ secretRef: { name: 'db' } }, { configMapRef: { name: 'web' } }],
        volumeMounts: [
          { name: 'docker', mountPath: '/var/run/docker.sock' },
          { name: 'creds', mountPath: '/run/secrets', readOnly: true },
        ],
      },
      { name: 'sidecar', image: 'envoy:1.30', env: [{ name: 'AWS_ACCESS_KEY_ID', value: AWS_KEY_ID }] },
    ],
    volumes: [
      { name: 'docker', hostPath: { path: '/var/run/docker.sock', type: 'Socket' } },
      { name: 'creds', secret: { secretName: 'creds' } },
      { name: 'tmp', emptyDir: {} },
    ],
  };
}

function pod(): Review {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'shop', labels: { app: 'web' }, annotations: lastApplied('Pod') },
    spec: podSpec(),
  };
}

const POD = { group: '', version: 'v1', kind: 'Pod' };

/** The seeds by name. Each call builds fresh objects. */
export const SEEDS: Readonly<Record<string, () => Review>> = {
  pod: () => review(pod(), POD, 'pods'),
  'pod-v1beta1': () => ({ ...review(pod(), POD, 'pods'), apiVersion: 'admission.k8s.io/v1beta1' }),
  'pod-update': () => {
    const old = pod();
    (old.spec as Review).volumes = [];
    return review(pod(), POD, 'pods', { operation: 'UPDATE', oldObject: old });
  },
  'pod-delete': () =>
    review(null, POD, 'pods', { operation: 'DELETE', name: 'web', namespace: 'shop', oldObject: pod() }),
  'pod-ephemeral': () =>
    review(pod(), POD, 'pods', {
      operation: 'UPDATE',
      subResource: 'ephemeralcontainers',
      requestSubResource: 'ephemeralcontainers',
      oldObject: pod(),
    }),
  'pod-status': () => review(pod(), POD, 'pods', { operation: 'UPDATE', subResource: 'status', oldObject: pod() }),
  deployment: () => {
    const r = deploymentReview();
    const req = r.request as Review;
    const spec = (((req.object as Review).spec as Review).template as Review).spec as Review;
    const web = (spec.containers as Review[])[0]!;
    (web.env as Review[]).push({ name: 'SESSION_SECRET', value: FUZZ_CANARY });
    return r;
  },
  'deployment-scale': () => {
    const kind = { group: 'autoscaling', version: 'v1', kind: 'Scale' };
    const scale = (replicas: number) => ({
      apiVersion: 'autoscaling/v1',
      kind: 'Scale',
      metadata: { name: 'web', namespace: 'shop' },
      spec: { replicas },
    });
    return review(scale(5), kind, 'deployments', { operation: 'UPDATE', subResource: 'scale', oldObject: scale(3) });
  },
  cronjob: () =>
    review(
      {
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        metadata: { name: 'nightly', namespace: 'shop', annotations: lastApplied('CronJob') },
        spec: {
          schedule: '0 3 * * *',
          jobTemplate: { spec: { template: { metadata: { labels: { job: 'nightly' } }, spec: podSpec() } } },
        },
      },
      { group: 'batch', version: 'v1', kind: 'CronJob' },
      'cronjobs',
    ),
  role: () =>
    review(
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'reader', namespace: 'shop', annotations: lastApplied('Role') },
        rules: [
          { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'watch'] },
          { apiGroups: [''], resources: ['secrets'], resourceNames: ['db'], verbs: ['list'] },
          { apiGroups: [''], resources: ['configmaps', 'secrets'], verbs: ['get'] },
        ],
      },
      { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'Role' },
      'roles',
    ),
  clusterrole: () =>
    review(
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: 'everything', annotations: lastApplied('ClusterRole') },
        rules: [
          { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
          { nonResourceURLs: ['/metrics'], verbs: ['get'] },
        ],
        aggregationRule: { clusterRoleSelectors: [{ matchLabels: { 'rbac.example.com/aggregate': 'true' } }] },
      },
      { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'ClusterRole' },
      'clusterroles',
    ),
  rolebinding: () =>
    review(
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'reader', namespace: 'shop', annotations: lastApplied('RoleBinding') },
        subjects: [{ kind: 'ServiceAccount', name: 'web', namespace: 'shop' }],
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'reader' },
      },
      { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'RoleBinding' },
      'rolebindings',
    ),
  configmap: () =>
    review(
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'web', namespace: 'shop', annotations: lastApplied('ConfigMap') },
        data: {
          'log-level': 'info',
          DB_PASSWORD: FUZZ_CANARY,
          'database-url': `postgres://shop:${FUZZ_CANARY}@db.shop.svc:5432/shop`,
          'application.properties': `server.port=8080\nspring.datasource.password=${FUZZ_CANARY}\n`,
          'aws.env': `export AWS_ACCESS_KEY_ID=${AWS_KEY_ID}\n`,
          'session.jwt': JWT,
          'tls.key': `-----BEGIN RSA PRIVATE KEY-----\n${KEY_MATERIAL}\n-----END RSA PRIVATE KEY-----\n`,
          'config.json': `{"github":{"token":"${GITHUB_TOKEN}"},"retries":3}`,
        },
        binaryData: { 'keystore.p12': BINARY_SECRET },
      },
      { group: '', version: 'v1', kind: 'ConfigMap' },
      'configmaps',
    ),
  secret: () =>
    review(
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'db', namespace: 'shop', annotations: lastApplied('Secret') },
        type: 'Opaque',
        data: { password: Buffer.from(FUZZ_CANARY).toString('base64'), key: BINARY_SECRET },
        stringData: { token: FUZZ_CANARY, jwt: JWT },
      },
      { group: '', version: 'v1', kind: 'Secret' },
      'secrets',
    ),
  persistentvolume: () =>
    review(
      {
        apiVersion: 'v1',
        kind: 'PersistentVolume',
        metadata: { name: 'data', annotations: lastApplied('PersistentVolume') },
        spec: { capacity: { storage: '10Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: '/mnt/data' } },
      },
      { group: '', version: 'v1', kind: 'PersistentVolume' },
      'persistentvolumes',
    ),
};

export const SEED_NAMES = Object.keys(SEEDS);

// ---------------------------------------------------------------------------------------------
// Mutations

type Path = Array<string | number>;

/** One change to a review, as data so a counterexample can say what it was. */
export type Op =
  | { op: 'drop' }
  | { op: 'set'; value: unknown }
  | { op: 'raw'; raw: RawJson }
  | { op: 'huge'; length: number; unit: string }
  | { op: 'deep'; depth: number; shape: 'array' | 'object' }
  | { op: 'wrap-array' }
  | { op: 'array-to-object' }
  | { op: 'odd-keys'; keys: string[]; value: unknown }
  | { op: 'proto'; key: '__proto__' | 'constructor' | 'prototype' }
  | { op: 'dup-key'; value: unknown }
  | { op: 'repeat'; count: number }
  | { op: 'as-update'; old: 'same' | 'null' | 'absent' | 'pod' | 'string' | 'array' };

/** Where a mutation applies: a random path (index into the tree's paths) or a named field. */
export type Target = { at: number } | { field: Path };

export interface Mutation {
  target: Target;
  op: Op;
}

const IDENTIFIERS = [
  '',
  'CREATE',
  'UPDATE',
  'DELETE',
  'CONNECT',
  'PATCH',
  'create',
  'Pod',
  'ConfigMap',
  'CronJob',
  'Deployment',
  'Job',
  'StatefulSet',
  'PodTemplate',
  'Role',
  'ClusterRole',
  'RoleBinding',
  'PersistentVolume',
  'Secret',
  'AdmissionReview',
  'admission.k8s.io/v1',
  'admission.k8s.io/v1beta1',
  'admission.k8s.io/v2',
  'v1',
  'status',
  'ephemeralcontainers',
  'scale',
  'exec',
  'secrets',
  '*',
  'list',
  'watch',
  'get',
  'system:masters',
  '/',
  '/var/run/docker.sock',
  '..',
  '$',
  '$..*',
  '@',
  '[?(@)]',
  '{{name}}',
  '{{item.name}}',
  'constructor',
  '__proto__',
  'toString',
  'hasOwnProperty',
];

const ODD_STRINGS = [
  '\u0000',
  '\u202e\u2066evil',
  '😀👩‍👩‍👧',
  '\ud800',
  '\udfff\ud800',
  'e\u0301\u0301\u0301',
  '\u2028\u2029',
  'ﬁİı',
  '\u200b\ufeff',
  ' \t\r\n',
  '\\u0000',
  '%s%n%x',
  '<script>',
  '"\'`',
  'a'.repeat(300),
];

const EDGE_NUMBERS = [
  '-0',
  '1e309',
  '-1e309',
  '1e-400',
  '5e-324',
  '1.7976931348623157e308',
  '9007199254740993',
  '-9223372036854775808',
  '18446744073709551616',
  '123456789012345678901234567890',
  '0.1e1',
  '1E2',
  '-1',
  '2147483648',
];

const ODD_KEYS = [
  '',
  ' ',
  'constructor',
  'prototype',
  'toString',
  'valueOf',
  'hasOwnProperty',
  '__defineGetter__',
  'a.b',
  'a/b',
  '$',
  '$.spec',
  '@',
  '*',
  '[0]',
  '..',
  '{{item}}',
  'spec\u0000',
  '😀',
  '\ud800',
  'İ',
  'k'.repeat(1000),
];

const CURATED: unknown[] = [
  ...IDENTIFIERS,
  ...ODD_STRINGS,
  0,
  -1,
  1,
  1.5,
  true,
  false,
  null,
  [],
  {},
  [null],
  [[]],
  { '': '' },
  ['system:masters'],
  [1, 2, 3],
  { kind: 'Pod' },
  { group: '', version: 'v1', kind: 'Pod' },
  { group: '', version: 'v1', resource: 'pods' },
];

/** Fields of the review every decoder and reviewer reads, targeted by name. */
const FIELDS: Path[] = [
  ['apiVersion'],
  ['kind'],
  ['request'],
  ['request', 'uid'],
  ['request', 'kind'],
  ['request', 'kind', 'kind'],
  ['request', 'kind', 'group'],
  ['request', 'resource'],
  ['request', 'resource', 'resource'],
  ['request', 'subResource'],
  ['request', 'requestKind'],
  ['request', 'operation'],
  ['request', 'name'],
  ['request', 'namespace'],
  ['request', 'userInfo'],
  ['request', 'userInfo', 'username'],
  ['request', 'userInfo', 'groups'],
  ['request', 'userInfo', 'extra'],
  ['request', 'object'],
  ['request', 'object', 'kind'],
  ['request', 'object', 'apiVersion'],
  ['request', 'object', 'metadata'],
  ['request', 'object', 'metadata', 'name'],
  ['request', 'object', 'metadata', 'annotations'],
  ['request', 'object', 'spec'],
  ['request', 'object', 'data'],
  ['request', 'object', 'rules'],
  ['request', 'oldObject'],
  ['request', 'options'],
  ['request', 'dryRun'],
];

export interface FuzzOptions {
  /** Largest huge string, in characters (default 256 KiB; the soak and long runs go higher). */
  maxHuge?: number;
  /** Deepest nesting (default 10,000 levels; the long run goes to 1,000,000). */
  maxDepth?: number;
}

function opArb(options: FuzzOptions): fc.Arbitrary<Op> {
  const maxHuge = options.maxHuge ?? 256 * 1024;
  const maxDepth = options.maxDepth ?? 10_000;
  const hugeSizes = [1024, 16 * 1024, 64 * 1024, 256 * 1024, 1024 * 1024, 2 * 1024 * 1024].filter((n) => n <= maxHuge);
  const depths = [64, 1000, 10_000, 100_000, 1_000_000].filter((n) => n <= maxDepth);
  const json = fc.jsonValue({ maxDepth: 3 });
  return fc.oneof(
    { arbitrary: fc.constant<Op>({ op: 'drop' }), weight: 3 },
    { arbitrary: fc.constant<Op>({ op: 'set', value: null }), weight: 3 },
    { arbitrary: fc.constantFrom(...CURATED).map((value): Op => ({ op: 'set', value })), weight: 4 },
    { arbitrary: json.map((value): Op => ({ op: 'set', value })), weight: 3 },
    {
      arbitrary: fc
        .oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 40 }))
        .map((value): Op => ({ op: 'set', value })),
      weight: 2,
    },
    {
      arbitrary: fc.constantFrom(...EDGE_NUMBERS).map((text): Op => ({ op: 'raw', raw: new RawJson(text, text) })),
      weight: 2,
    },
    {
      arbitrary: fc
        .record({
          length: fc.constantFrom(...hugeSizes),
          unit: fc.constantFrom('a', 'ab', 'password=', 'é', '😀', ' '),
        })
        .map((r): Op => ({ op: 'huge', ...r })),
      weight: 1,
    },
    {
      arbitrary: fc
        .record({ depth: fc.constantFrom(...depths), shape: fc.constantFrom<'array' | 'object'>('array', 'object') })
        .map((r): Op => ({ op: 'deep', ...r })),
      weight: 1,
    },
    { arbitrary: fc.constant<Op>({ op: 'wrap-array' }), weight: 2 },
    { arbitrary: fc.constant<Op>({ op: 'array-to-object' }), weight: 2 },
    {
      arbitrary: fc
        .record({ keys: fc.subarray(ODD_KEYS, { minLength: 1, maxLength: 4 }), value: json })
        .map((r): Op => ({ op: 'odd-keys', ...r })),
      weight: 2,
    },
    {
      arbitrary: fc
        .constantFrom<'__proto__' | 'constructor' | 'prototype'>('__proto__', 'constructor', 'prototype')
        .map((key): Op => ({ op: 'proto', key })),
      weight: 2,
    },
    { arbitrary: json.map((value): Op => ({ op: 'dup-key', value })), weight: 2 },
    { arbitrary: fc.constantFrom(10, 100, 1000).map((count): Op => ({ op: 'repeat', count })), weight: 1 },
    {
      arbitrary: fc
        .constantFrom<'same' | 'null' | 'absent' | 'pod' | 'string' | 'array'>(
          'same',
          'null',
          'absent',
          'pod',
          'string',
          'array',
        )
        .map((old): Op => ({ op: 'as-update', old })),
      weight: 2,
    },
  );
}

function targetArb(): fc.Arbitrary<Target> {
  return fc.oneof(
    { arbitrary: fc.nat().map((at): Target => ({ at })), weight: 3 },
    { arbitrary: fc.constantFrom(...FIELDS).map((field): Target => ({ field })), weight: 2 },
  );
}

/** Every path below the root, not descending into RawJson or JsonEntries. */
function pathsOf(value: unknown, prefix: Path = [], out: Path[] = []): Path[] {
  if (value instanceof RawJson || value instanceof JsonEntries) return out;
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      out.push([...prefix, i]);
      pathsOf(v, [...prefix, i], out);
    });
  } else if (value !== null && typeof value === 'object') {
    for (const k of Object.keys(value)) {
      out.push([...prefix, k]);
      pathsOf((value as Record<string, unknown>)[k], [...prefix, k], out);
    }
  }
  return out;
}

/** The container of `path` (created as objects where missing) and the last key. */
function parentOf(
  root: Review,
  path: Path,
): { parent: Record<string | number, unknown> | unknown[]; key: string | number } | undefined {
  let cur: unknown = root;
  for (const k of path.slice(0, -1)) {
    if (cur === null || typeof cur !== 'object' || cur instanceof RawJson || cur instanceof JsonEntries)
      return undefined;
    const c = cur as Record<string | number, unknown>;
    // Own properties only: `__proto__` read through the prototype chain would hand back
    // Object.prototype, and the mutation would land on this process's own prototype.
    if (!Object.hasOwn(c, k)) setOwn(c as Record<string, unknown>, String(k), {});
    cur = c[k];
  }
  if (cur === null || typeof cur !== 'object' || cur instanceof RawJson || cur instanceof JsonEntries) return undefined;
  return { parent: cur as Record<string | number, unknown>, key: path[path.length - 1]! };
}

function deepText(depth: number, shape: 'array' | 'object'): string {
  return shape === 'array'
    ? `${'['.repeat(depth)}${']'.repeat(depth)}`
    : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

function hugeString(length: number, unit: string): string {
  return unit.repeat(Math.ceil(length / unit.length)).slice(0, length);
}

function describeOp(op: Op): string {
  switch (op.op) {
    case 'set': {
      const s = JSON.stringify(op.value) ?? String(op.value);
      return `set ${s.length > 60 ? `${s.slice(0, 60)}…` : s}`;
    }
    case 'raw':
      return `raw ${op.raw.label}`;
    case 'huge':
      return `huge ${op.length} x ${JSON.stringify(op.unit)}`;
    case 'deep':
      return `deep ${op.shape} ${op.depth}`;
    case 'odd-keys':
      return `odd-keys ${JSON.stringify(op.keys.map((k) => (k.length > 20 ? `${k.slice(0, 20)}…` : k)))}`;
    case 'proto':
      return `proto ${op.key}`;
    case 'dup-key':
      return 'dup-key';
    case 'repeat':
      return `repeat x${op.count}`;
    case 'as-update':
      return `as-update old=${op.old}`;
    default:
      return op.op;
  }
}

function formatPath(path: Path): string {
  return path.map((k) => (typeof k === 'number' ? `[${k}]` : `.${k.length > 20 ? `${k.slice(0, 20)}…` : k}`)).join('');
}

/** Applies one mutation in place; returns a description for the label (or skips quietly). */
function applyMutation(root: Review, m: Mutation): string | undefined {
  if (m.op.op === 'as-update') {
    const req = root.request;
    if (req === null || typeof req !== 'object' || Array.isArray(req)) return undefined;
    const r = req as Review;
    r.operation = 'UPDATE';
    const olds: Record<typeof m.op.old, unknown> = {
      same: clone(r.object),
      null: null,
      absent: undefined,
      pod: pod(),
      string: 'oldObject',
      array: [],
    };
    if (m.op.old === 'absent') delete r.oldObject;
    else r.oldObject = olds[m.op.old];
    return describeOp(m.op);
  }
  let path: Path;
  if ('at' in m.target) {
    const all = pathsOf(root);
    if (all.length === 0) return undefined;
    path = all[m.target.at % all.length]!;
  } else {
    path = m.target.field;
  }
  const place = parentOf(root, path);
  if (!place) return undefined;
  const { parent, key } = place;
  const current = Object.hasOwn(parent, key) ? (parent as Record<string | number, unknown>)[key] : undefined;
  const put = (v: unknown): void => {
    if (Array.isArray(parent) && typeof key === 'number') parent[key] = v;
    else setOwn(parent as Record<string, unknown>, String(key), v);
  };
  const op = m.op;
  switch (op.op) {
    case 'drop':
      if (Array.isArray(parent) && typeof key === 'number') parent.splice(key, 1);
      else delete (parent as Record<string, unknown>)[key];
      break;
    case 'set':
      put(clone(op.value));
      break;
    case 'raw':
      put(op.raw);
      break;
    case 'huge':
      put(hugeString(op.length, op.unit));
      break;
    case 'deep':
      put(new RawJson(deepText(op.depth, op.shape), `deep ${op.shape} ${op.depth}`));
      break;
    case 'wrap-array':
      put([current]);
      break;
    case 'array-to-object':
      if (Array.isArray(current)) put(Object.fromEntries(current.map((v, i) => [String(i), v])));
      else put(current === undefined ? [] : [current, current]);
      break;
    case 'odd-keys': {
      const target = current !== null && typeof current === 'object' && !Array.isArray(current) ? current : {};
      for (const k of op.keys) setOwn(target as Record<string, unknown>, k, clone(op.value));
      put(target);
      break;
    }
    case 'proto': {
      const payload = op.key === 'constructor' ? { prototype: { polluted: 'yes' } } : { polluted: 'yes', kind: 'Pod' };
      const target = current !== null && typeof current === 'object' && !Array.isArray(current) ? current : {};
      setOwn(target as Record<string, unknown>, op.key, payload);
      put(target);
      break;
    }
    case 'dup-key': {
      if (current === null || typeof current !== 'object' || Array.isArray(current)) return undefined;
      const entries = Object.keys(current).map((k) => [k, (current as Record<string, unknown>)[k]] as const);
      const first = entries[0];
      if (!first) return undefined;
      // The same key twice: JSON.parse keeps the last, so the later value wins on the server too.
      put(new JsonEntries([...entries, [first[0], clone(op.value)]]));
      break;
    }
    case 'repeat': {
      if (Array.isArray(current) && current.length > 0) {
        put(Array.from({ length: op.count }, (_, i) => clone(current[i % current.length])));
      } else if (current !== null && typeof current === 'object') {
        const many: Record<string, unknown> = {};
        for (let i = 0; i < op.count; i++) many[`k${i}`] = `v${i}`;
        put({ ...(current as Record<string, unknown>), ...many });
      } else {
        put(Array.from({ length: op.count }, () => clone(current)));
      }
      break;
    }
  }
  return `${formatPath(path)} ${describeOp(op)}`;
}

// ---------------------------------------------------------------------------------------------
// Cases

/** One request to send, with what a correct server must answer. */
export interface FuzzCase {
  /** Which generator made it. */
  family: string;
  /** A short description: seed, mutations, framing, size. What fast-check prints. */
  label: string;
  endpoint: '/validate' | '/mutate';
  headers: Record<string, string>;
  /** The bytes sent. */
  body: Buffer;
  /** The JSON text the server sees once the framing is undone, when it can be undone. */
  text?: string;
  /** HTTP statuses a correct server may answer with. */
  allowed: readonly number[];
  [fc.toStringMethod]: () => string;
}

/** What a review of `text` must be answered with: the uid, when the body decodes as a review. */
export interface EchoExpectation {
  uid: string;
  apiVersion: string;
}

/** The identity a correct server must echo, read the way the decoder reads it. */
export function expectedEcho(text: string | undefined): EchoExpectation | undefined {
  if (text === undefined) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObject(body) || body.kind !== 'AdmissionReview') return undefined;
  if (body.apiVersion !== 'admission.k8s.io/v1' && body.apiVersion !== 'admission.k8s.io/v1beta1') return undefined;
  if (!isObject(body.request) || typeof body.request.uid !== 'string' || body.request.uid === '') return undefined;
  return { uid: body.request.uid, apiVersion: body.apiVersion };
}

const REVIEW_STATUSES = [200, 400] as const;

function makeCase(
  family: string,
  label: string,
  text: string | undefined,
  body: Buffer,
  options: { endpoint?: '/validate' | '/mutate'; headers?: Record<string, string>; allowed?: readonly number[] } = {},
): FuzzCase {
  const endpoint = options.endpoint ?? '/validate';
  // Past the body limit the only right answer is 413, whatever the body holds.
  const oversize = Buffer.byteLength(text ?? '') > DEFAULT_BODY_LIMIT || body.length > DEFAULT_BODY_LIMIT;
  const full = `${family} ${endpoint}: ${label} (${body.length} bytes)`;
  return {
    family,
    label: full,
    endpoint,
    headers: options.headers ?? { 'content-type': 'application/json' },
    body,
    text,
    allowed: oversize ? [413] : (options.allowed ?? REVIEW_STATUSES),
    [fc.toStringMethod]: () => full,
  };
}

/** Structure-aware mutations of the seeds: 1 to 4 mutations each. */
export function mutatedReviews(options: FuzzOptions = {}): fc.Arbitrary<FuzzCase> {
  const mutation = fc.record({ target: targetArb(), op: opArb(options) });
  return fc
    .record({
      seed: fc.constantFrom(...SEED_NAMES),
      mutations: fc.array(mutation, { minLength: 1, maxLength: 4 }),
      endpoint: fc.constantFrom<'/validate' | '/mutate'>('/validate', '/validate', '/validate', '/mutate'),
    })
    .map(({ seed, mutations, endpoint }) => {
      const root = SEEDS[seed]!();
      const said = mutations.map((m) => applyMutation(root, m)).filter((s) => s !== undefined);
      const text = renderJson(root);
      return makeCase(
        'mutated',
        `seed=${seed}; ${said.join('; ') || 'no applicable mutation'}`,
        text,
        Buffer.from(text),
        {
          endpoint,
        },
      );
    });
}

/** The seeds as they are. */
export function seedReviews(): fc.Arbitrary<FuzzCase> {
  return fc.constantFrom(...SEED_NAMES).map((seed) => {
    const text = renderJson(SEEDS[seed]!());
    return makeCase('seed', `seed=${seed}`, text, Buffer.from(text));
  });
}

/** Random JSON as the whole body, or as the request, object or oldObject of a valid review. */
export function randomJsonBodies(): fc.Arbitrary<FuzzCase> {
  const value = fc.oneof(
    fc.jsonValue({ maxDepth: 4 }),
    fc.jsonValue({ maxDepth: 2, stringUnit: 'binary' }),
    fc.dictionary(fc.constantFrom(...ODD_KEYS, 'kind', 'metadata', 'spec', 'data'), fc.jsonValue({ maxDepth: 2 })),
  );
  return fc
    .record({
      where: fc.constantFrom('body', 'request', 'object', 'oldObject', 'userInfo', 'spec', 'data'),
      seed: fc.constantFrom(...SEED_NAMES),
      value,
    })
    .map(({ where, seed, value }) => {
      let root: unknown = value;
      if (where !== 'body') {
        const r = SEEDS[seed]!();
        const req = r.request as Review;
        if (where === 'request') r.request = value;
        else if (where === 'spec' || where === 'data') {
          const obj = (req.object ?? {}) as Review;
          obj[where] = value;
          req.object = obj;
        } else req[where] = value;
        root = r;
      }
      const text = renderJson(root);
      const summary = JSON.stringify(value) ?? '';
      return makeCase(
        'random-json',
        `${where === 'body' ? 'body' : `seed=${seed}; ${where}`} = ${summary.length > 80 ? `${summary.slice(0, 80)}…` : summary}`,
        text,
        Buffer.from(text),
      );
    });
}

/** Content types a correct server answers 415 to, and ones it must accept. */
const REJECTED_TYPES = ['text/plain', 'application/x-www-form-urlencoded', 'application/yaml', 'multipart/form-data'];
const ACCEPTED_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'Application/JSON',
  'application/json;charset=UTF-8',
  'application/json; charset=latin1',
];

type Encoding =
  | 'identity'
  | 'gzip'
  | 'deflate'
  | 'br'
  | 'gzip-corrupt'
  | 'deflate-corrupt'
  | 'br-corrupt'
  | 'x-unknown';

function encode(body: Buffer, encoding: Encoding): { wire: Buffer; header?: string } {
  switch (encoding) {
    case 'identity':
      return { wire: body };
    case 'gzip':
      return { wire: gzipSync(body), header: 'gzip' };
    case 'deflate':
      return { wire: deflateSync(body), header: 'deflate' };
    case 'br':
      return { wire: brotliCompressSync(body), header: 'br' };
    case 'x-unknown':
      return { wire: body, header: 'x-shroud-unknown' };
    default: {
      // A valid stream cut in half and with its middle flipped: not decodable.
      const base = encoding.replace('-corrupt', '') as 'gzip' | 'deflate' | 'br';
      const wire = Buffer.from(encode(body, base).wire.subarray(0, Math.max(4, body.length >> 1)));
      for (let i = 2; i < wire.length; i += 7) wire[i] = (wire[i] ?? 0) ^ 0x5a;
      return { wire, header: base };
    }
  }
}

type Transform =
  | 'none'
  | 'truncate'
  | 'bom'
  | 'utf16'
  | 'invalid-utf8'
  | 'random-bytes'
  | 'empty'
  | 'whitespace'
  | 'nul';

/** Bodies at the HTTP level: content types, encodings, bytes that are not JSON or not UTF-8. */
export function framingCases(): fc.Arbitrary<FuzzCase> {
  const encodings: Encoding[] = [
    'identity',
    'identity',
    'gzip',
    'deflate',
    'br',
    'x-unknown',
    'gzip-corrupt',
    'deflate-corrupt',
    'br-corrupt',
  ];
  return fc
    .record({
      seed: fc.constantFrom(...SEED_NAMES),
      contentType: fc.oneof(
        { arbitrary: fc.constantFrom(...ACCEPTED_TYPES), weight: 4 },
        { arbitrary: fc.constantFrom(...REJECTED_TYPES, ''), weight: 1 },
      ),
      encoding: fc.constantFrom(...encodings),
      transform: fc.constantFrom<Transform>(
        'none',
        'truncate',
        'bom',
        'utf16',
        'invalid-utf8',
        'random-bytes',
        'empty',
        'whitespace',
        'nul',
      ),
      cut: fc.double({ min: 0, max: 1, noNaN: true }),
      bytes: fc.uint8Array({ maxLength: 256 }),
    })
    .map(({ seed, contentType, encoding, transform, cut, bytes }) => {
      const text = renderJson(SEEDS[seed]!());
      let plain: Buffer;
      let seen: string | undefined = text;
      switch (transform) {
        case 'none':
          plain = Buffer.from(text);
          break;
        case 'truncate':
          seen = text.slice(0, Math.floor(text.length * cut));
          plain = Buffer.from(seen);
          break;
        case 'bom':
          seen = `\ufeff${text}`;
          plain = Buffer.from(seen);
          break;
        case 'utf16':
          plain = Buffer.from(text, 'utf16le');
          seen = undefined;
          break;
        case 'invalid-utf8':
          // A lone continuation byte and an overlong encoding inside a string value.
          plain = Buffer.concat([
            Buffer.from(text.slice(0, -3)),
            Buffer.from([0x80, 0xc0, 0xaf]),
            Buffer.from(text.slice(-3)),
          ]);
          seen = plain.toString('utf8');
          break;
        case 'random-bytes':
          plain = Buffer.from(bytes);
          seen = plain.toString('utf8');
          break;
        case 'empty':
          plain = Buffer.alloc(0);
          seen = '';
          break;
        case 'whitespace':
          seen = ` \n\t${text}\r\n `;
          plain = Buffer.from(seen);
          break;
        case 'nul':
          plain = Buffer.concat([Buffer.from(text), Buffer.from([0])]);
          seen = plain.toString('utf8');
          break;
      }
      const { wire, header } = encode(plain, encoding);
      const headers: Record<string, string> = {};
      if (contentType !== '') headers['content-type'] = contentType;
      if (header) headers['content-encoding'] = header;
      let allowed: readonly number[] = REVIEW_STATUSES;
      if (!ACCEPTED_TYPES.includes(contentType)) allowed = [415];
      // kube-apiserver never compresses; the webhook refuses every Content-Encoding with a 415.
      else if (encoding !== 'identity') allowed = [415];
      return makeCase(
        'framing',
        `seed=${seed}; content-type=${JSON.stringify(contentType)}; encoding=${encoding}; body=${transform}`,
        allowed === REVIEW_STATUSES ? seen : undefined,
        wire,
        { headers, allowed },
      );
    });
}

/** Bodies over the 3 MiB limit: a ConfigMap with one huge value. Must be 413. */
export function oversizeCases(): fc.Arbitrary<FuzzCase> {
  return fc.constantFrom(3 * 1024 * 1024 + 1, 4 * 1024 * 1024).map((size) => {
    const r = SEEDS.configmap!();
    ((r.request as Review).object as Review).data = { blob: 'x'.repeat(size) };
    const text = renderJson(r);
    return makeCase('oversize', `seed=configmap; data.blob ${size} chars`, undefined, Buffer.from(text), {
      allowed: [413],
    });
  });
}

/** Every family, weighted toward structure-aware mutations. */
export function fuzzCases(options: FuzzOptions = {}): fc.Arbitrary<FuzzCase> {
  return fc.oneof(
    { arbitrary: mutatedReviews(options), weight: 60 },
    { arbitrary: seedReviews(), weight: 4 },
    { arbitrary: randomJsonBodies(), weight: 18 },
    { arbitrary: framingCases(), weight: 16 },
    { arbitrary: oversizeCases(), weight: 1 },
  );
}
