/**
 * Policy engine cost: all built-ins on a Pod, an ~8 KB Deployment, a 200-key ConfigMap and a
 * ClusterRole, each next to JSON.parse of the same AdmissionReview body; growth with the number
 * of policies (4, 20, 100); and which selectors run compiled vs through jsonpath-plus.
 */
import { readFile, readdir } from 'node:fs/promises';
import { JSONPath } from 'jsonpath-plus';
import {
  createPolicyReviewer,
  evaluateObject,
  parsePolicyFiles,
  selectorReport,
  type PolicyFile,
  type PolicySet,
} from '../src/policy/index.js';
import type { AdmissionRequest } from '../src/admission/types.js';
import { listDetectors, scanEntry } from '../src/detect/index.js';
import { measure, printTable, type Measurement } from './harness.js';

const NOW = new Date('2026-11-23T00:00:00Z');

async function builtinFiles(): Promise<PolicyFile[]> {
  const names = (await readdir('policies')).filter((f) => f.endsWith('.yaml')).sort();
  return Promise.all(
    names.map(async (f) => ({ file: `policies/${f}`, text: await readFile(`policies/${f}`, 'utf8') })),
  );
}

/** `copies` renamed copies of every built-in (4 x copies policies). */
function copiesOf(files: PolicyFile[], copies: number): PolicySet {
  const all: PolicyFile[] = [];
  for (let c = 0; c < copies; c++) {
    for (const f of files)
      all.push({ file: `${f.file}#${c}`, text: f.text.replace(/^(metadata:\n {2}name: )(\S+)/m, `$1$2-c${c}`) });
  }
  const r = parsePolicyFiles(all);
  if (r.issues.length > 0) throw new Error(`policy copies do not load: ${r.issues[0]!.message}`);
  return r.value;
}

function container(i: number, secretEnv: boolean): Record<string, unknown> {
  const env: unknown[] = Array.from({ length: 18 }, (_, k) => ({
    name: `SETTING_${i}_${k}`,
    value: `value-${k}-${'x'.repeat(12)}`,
  }));
  env.push({ name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } });
  env.push(
    secretEnv
      ? { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } }
      : { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'settings', key: 'mode' } } },
  );
  return {
    name: `app-${i}`,
    image: `registry.example.com/team/app-${i}@sha256:${'a'.repeat(64)}`,
    ports: [{ containerPort: 8080 + i, name: `http-${i}` }],
    env,
    envFrom: [{ configMapRef: { name: 'common' } }],
    resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '1', memory: '512Mi' } },
    volumeMounts: [
      { name: 'cache', mountPath: '/cache' },
      { name: 'creds', mountPath: '/run/creds', readOnly: true },
    ],
    readinessProbe: { httpGet: { path: '/ready', port: 8080 + i }, periodSeconds: 5 },
  };
}

function deployment(secretEnv: boolean): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'shop', labels: { app: 'web', team: 'shop', tier: 'frontend' } },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web', team: 'shop' } },
        spec: {
          serviceAccountName: 'web',
          initContainers: [container(9, false)],
          containers: [container(0, secretEnv), container(1, false), container(2, false)],
          volumes: [
            { name: 'cache', emptyDir: {} },
            { name: 'creds', secret: { secretName: 'db' } },
          ],
        },
      },
    },
  };
}

const pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web-1', namespace: 'shop' },
  spec: {
    containers: [{ name: 'app', image: 'app:1', env: [{ name: 'A', value: 'b' }] }],
    volumes: [{ name: 'tmp', emptyDir: {} }],
  },
};

const configMap = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'settings', namespace: 'shop' },
  data: Object.fromEntries(
    Array.from({ length: 200 }, (_, i) => [`setting_${i}`, `value for setting ${i}: enabled=true; limit=${i * 10}`]),
  ),
};

const clusterRole = {
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'ClusterRole',
  metadata: { name: 'operator' },
  rules: [
    { apiGroups: [''], resources: ['pods', 'services', 'endpoints'], verbs: ['get', 'list', 'watch'] },
    { apiGroups: ['apps'], resources: ['deployments', 'statefulsets'], verbs: ['get', 'list', 'watch', 'update'] },
    { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch', 'create', 'update'] },
    { apiGroups: [''], resources: ['secrets'], resourceNames: ['operator-token'], verbs: ['get'] },
    { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
  ],
};

function reviewBody(object: Record<string, unknown>): string {
  const kind = String(object.kind);
  const request: AdmissionRequest = {
    uid: '705ab4f5-6393-11e8-b7cc-42010a800002',
    kind: { group: '', version: 'v1', kind },
    resource: { group: '', version: 'v1', resource: `${kind.toLowerCase()}s` },
    operation: 'CREATE',
    userInfo: { username: 'dev@example.com', groups: ['system:authenticated'] },
    object,
  };
  return JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request });
}

/** Runs the benchmark and prints its tables. */
export async function run(): Promise<void> {
  const files = await builtinFiles();
  const set = copiesOf(files, 1);
  const reviewer = createPolicyReviewer(() => set, { now: () => NOW });

  const objects: Array<[string, Record<string, unknown>]> = [
    ['Pod', pod],
    ['Deployment', deployment(false)],
    ['Deployment (1 violation)', deployment(true)],
    ['ConfigMap 200 keys', configMap],
    ['ClusterRole', clusterRole],
  ];
  const engineRows: Array<{
    name: string;
    engine: Measurement;
    review: Measurement;
    parse: Measurement;
    bytes: number;
  }> = [];
  for (const [name, object] of objects) {
    const body = reviewBody(object);
    const request = (JSON.parse(body) as { request: AdmissionRequest }).request;
    const input = {
      object: request.object,
      operation: 'CREATE',
      kind: request.kind.kind,
      namespace: 'shop',
      name: 'x',
      userInfo: request.userInfo,
    };
    const parse = measure(`${name}: JSON.parse`, () => JSON.parse(body));
    const engine = measure(`${name}: evaluateObject`, () => evaluateObject(set, input, { now: NOW }));
    const review = measure(`${name}: reviewer.review`, () => reviewer.review(request));
    engineRows.push({ name, engine, review, parse, bytes: Buffer.byteLength(body) });
    printTable(`${name} (review body ${Buffer.byteLength(body)} bytes)`, [parse, engine, review], parse.name);
  }

  // Context for the ConfigMap row: how much of it is the detectors themselves (src/detect),
  // called as the built-in's `detector: high` condition calls them.
  const entries = Object.entries(configMap.data);
  const high = listDetectors()
    .filter((d) => d.confidence === 'high')
    .map((d) => d.name);
  const detectors = measure('ConfigMap 200 keys: scanEntry(high) alone', () => {
    let n = 0;
    for (const [k, v] of entries) n += scanEntry(k, v, high).length;
    return n;
  });
  printTable('Detectors over the same 200 values, without the engine', [detectors]);

  console.log('\nSummary: engine time per review, as a multiple of JSON.parse of the same body');
  for (const r of engineRows) {
    console.log(
      `  ${r.name.padEnd(26)} ${r.engine.usPerOp.toFixed(2).padStart(8)} µs  (${(r.engine.usPerOp / r.parse.usPerOp).toFixed(2)}x JSON.parse, body ${r.bytes} B)`,
    );
  }

  const dep = deployment(false);
  const depInput = { object: dep, operation: 'CREATE', kind: 'Deployment', namespace: 'shop', name: 'web' };
  const growth: Measurement[] = [];
  for (const copies of [1, 5, 25]) {
    const s = copiesOf(files, copies);
    growth.push(measure(`${s.policies.length} policies`, () => evaluateObject(s, depInput, { now: NOW })));
  }
  printTable('Deployment: cost vs number of policies (copies of the built-ins)', growth, growth[0]!.name);
  for (const g of growth) {
    const n = Number(g.name.split(' ')[0]);
    console.log(`  ${g.name.padEnd(14)} ${(g.usPerOp / n).toFixed(3)} µs per policy`);
  }

  const noPolicy = measure('Service (no policy for the kind)', () =>
    evaluateObject(set, { object: { kind: 'Service' }, operation: 'CREATE', kind: 'Service' }, { now: NOW }),
  );
  printTable('A kind no policy matches', [noPolicy]);

  const rows = selectorReport(set);
  const fallback = rows.filter((r) => !r.compiled);
  console.log(
    `\nSelectors of the built-ins: ${rows.length - fallback.length} compiled, ${fallback.length} through jsonpath-plus (eval "safe")`,
  );
  for (const r of rows)
    console.log(`  ${r.compiled ? 'compiled ' : 'fallback '} ${r.policy}/${r.rule} ${r.where}: ${r.source}`);

  // The same select expressions on the Deployment's template, hand-compiled vs jsonpath-plus.
  const template = (dep.spec as { template: unknown }).template;
  const selects = set.policies.flatMap((p) => (p.match.kinds.has('Pod') ? p.rules.flatMap((r) => r.select) : []));
  const compiled = measure(`${selects.length} selects, compiled`, () => {
    let n = 0;
    for (const s of selects) s.visit(template, [], () => n++);
    return n;
  });
  const viaLibrary = measure(`${selects.length} selects, jsonpath-plus`, () => {
    let n = 0;
    for (const s of selects)
      n += (
        JSONPath({
          path: s.source,
          json: template as object,
          eval: 'safe',
          ignoreEvalErrors: true,
          wrap: true,
        }) as unknown[]
      ).length;
    return n;
  });
  printTable(
    'Pod-template selectors on the Deployment: compiled traversal vs jsonpath-plus',
    [compiled, viaLibrary],
    compiled.name,
  );
}
