/**
 * `/mutate` planning cost per pod: decode (JSON.parse of the AdmissionReview body), plan the
 * injection, and encode the answer (the base64 JSON Patch), next to the baseline of JSON.parse of
 * the same body and the no-change mutator (what `/mutate` did before injection), measured in the
 * same run. Cases: a plain pod, a 6-container pod with init containers and a native sidecar, the
 * reinvocation of an injected pod (no patch), and an unlabelled pod (skipped). CPU time per
 * operation is shown beside the wall-clock rate; rounds are interleaved and the fastest kept, as
 * the machine is shared.
 */
import { mutationResponse, noChangeMutator, type AdmissionRequest, type Mutator } from '../src/admission/index.js';
import { createInjectionMutator, type InjectionSettings, planInjection } from '../src/inject/index.js';
import { measure, type Measurement } from './harness.js';

const ROUNDS = 5;
const CA = `-----BEGIN CERTIFICATE-----\n${'MIIDKTCCAhGgAwIBAgIQPMPm+bvwE8mXzGT/H90UTDANBgkqhkiG9w0BAQsFADAt\n'.repeat(18)}-----END CERTIFICATE-----\n`;
const SETTINGS: InjectionSettings = {
  image: 'ghcr.io/shroud-dev/shroud:0.1.0',
  unsealUrl: 'https://shroud-unseal.shroud.svc:8443',
  unsealCaPem: CA,
  sizeLimit: '1Mi',
};

type Obj = Record<string, unknown>;

function container(name: string, extra: Obj = {}): Obj {
  return {
    name,
    image: `registry.example.com/shop/${name}@sha256:${'a'.repeat(64)}`,
    env: Array.from({ length: 12 }, (_, k) => ({ name: `SETTING_${k}`, value: `value-${k}` })),
    resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' } },
    volumeMounts: [
      { name: 'cache', mountPath: '/cache' },
      { name: 'kube-api-access-x7k2q', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true },
    ],
    ...extra,
  };
}

function pod(spec: Obj, labelled = true): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'web-7c9d8-abcde',
      namespace: 'shop',
      labels: labelled ? { app: 'web', 'shroud.dev/inject': 'true' } : { app: 'web' },
      annotations: { 'shroud.dev/sealed': 'web-secrets, db-credentials' },
    },
    spec: {
      serviceAccountName: 'web',
      volumes: [
        { name: 'cache', emptyDir: {} },
        { name: 'kube-api-access-x7k2q', projected: { sources: [{ serviceAccountToken: { path: 'token' } }] } },
      ],
      ...spec,
    },
  };
}

function review(object: Obj): string {
  return JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: 'd9e4c7a1-0000-4000-8000-000000000001',
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      namespace: 'shop',
      operation: 'CREATE',
      userInfo: { username: 'system:serviceaccount:kube-system:replicaset-controller' },
      object,
    },
  });
}

const plain = pod({ containers: [container('app')] });
const large = pod({
  initContainers: [
    container('migrate'),
    container('istio-init'),
    container('log-shipper', { restartPolicy: 'Always' }),
  ],
  containers: [container('app'), container('worker'), container('metrics')],
});
function injected(p: Obj): Obj {
  const plan = planInjection(p, SETTINGS, 'shop');
  if (plan.action !== 'patch') throw new Error('expected a patch');
  const copy = structuredClone(p) as { spec: Obj };
  // Apply by hand the three kinds of operation the planner emits (the bench has no patch library).
  for (const op of plan.patch) {
    if (op.op !== 'add') throw new Error(`unexpected ${op.op}`);
    const tokens = op.path.split('/').slice(1);
    const last = tokens.pop()!;
    let at: unknown = copy;
    for (const t of tokens) at = (at as Record<string, unknown>)[t];
    if (Array.isArray(at)) {
      if (last === '-') at.push(op.value);
      else at.splice(Number(last), 0, op.value);
    } else (at as Obj)[last] = op.value;
  }
  return copy;
}

const mutator = createInjectionMutator(() => SETTINGS);

/** What /mutate does with a body, less HTTP and logging: decode, decide, encode. */
function mutateBody(body: string, m: Mutator): unknown {
  const request = (JSON.parse(body) as { request: AdmissionRequest }).request;
  const result = m.mutate(request);
  if (result instanceof Promise) throw new Error('both mutators answer synchronously');
  return mutationResponse(request.uid, result);
}

interface Row extends Measurement {
  cpuUsPerOp: number;
}

function measureCpu(name: string, fn: () => unknown): Row {
  const cpu0 = process.cpuUsage();
  const m = measure(name, fn, { timeMs: 150, warmupMs: 30 });
  const cpu = process.cpuUsage(cpu0);
  // The warm-up's CPU is in the sample too; its operations are not counted, so this errs high.
  return { ...m, cpuUsPerOp: (cpu.user + cpu.system) / m.ops };
}

function bestOf(cases: { name: string; fn: () => unknown }[]): Row[] {
  const best = new Map<string, Row>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const c of cases) {
      const m = measureCpu(c.name, c.fn);
      const prev = best.get(c.name);
      if (prev === undefined || m.usPerOp < prev.usPerOp) best.set(c.name, m);
    }
  }
  return cases.map((c) => best.get(c.name)!);
}

function print(title: string, rows: Row[], baseline: string): void {
  const base = rows.find((r) => r.name === baseline)!;
  const width = Math.max(...rows.map((r) => r.name.length));
  console.log(`\n${title}`);
  console.log(
    `  ${'case'.padEnd(width)}  ${'ops/s'.padStart(10)}  ${'µs/op'.padStart(8)}  ${'CPU µs/op'.padStart(10)}  ${`x ${baseline}`.padStart(14)}`,
  );
  for (const r of rows) {
    console.log(
      `  ${r.name.padEnd(width)}  ${Math.round(r.opsPerSec).toLocaleString('en-US').padStart(10)}  ${r.usPerOp.toFixed(2).padStart(8)}  ${r.cpuUsPerOp.toFixed(2).padStart(10)}  ${(r.usPerOp / base.usPerOp).toFixed(2).padStart(14)}`,
    );
  }
}

export function run(): void {
  const shapes = [
    { name: 'plain pod', body: review(plain) },
    { name: '6-container pod', body: review(large) },
    { name: 'reinvoked (injected)', body: review(injected(large)) },
    { name: 'unlabelled', body: review(pod({ containers: [container('app')] }, false)) },
  ];
  for (const shape of shapes) {
    const baseline = 'JSON.parse';
    const rows = bestOf([
      { name: baseline, fn: () => JSON.parse(shape.body) },
      { name: 'no-change mutator', fn: () => mutateBody(shape.body, noChangeMutator) },
      { name: 'injection mutator', fn: () => mutateBody(shape.body, mutator) },
    ]);
    print(`/mutate, ${shape.name} (review ${shape.body.length} B)`, rows, baseline);
  }
}
