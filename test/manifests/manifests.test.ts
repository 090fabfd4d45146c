/**
 * manifests/: both kustomizations render (with kubectl where it is installed, and always with
 * test/manifests/render.ts, checked against kubectl), every object is valid against the
 * Kubernetes (and cert-manager) schemas, the objects agree with one another and with Shroud's
 * settings, and Shroud's own policies pass them.
 */
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { parseDocument, stringify } from 'yaml';
import { SERVE_COMMAND_LINE } from '../../src/cli/commands/serve.js';
import { readCommandLine } from '../../src/cli/command-line.js';
import { toServeConfig } from '../../src/config/index.js';
import { DEFAULT_INJECT_IMAGE, SETTINGS } from '../../src/config/settings.js';
import { loadKeyring } from '../../src/crypto/keyring-file.js';
import { SCAN_TARGETS } from '../../src/kube/list.js';
import { POD_TEMPLATE_PATHS } from '../../src/policy/pod-templates.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp-dir.js';
import { type KObject, kubectlKustomize, objectKey, renderKustomization } from './render.js';

const repo = resolve(import.meta.dirname, '..', '..');
const TREES = [
  { name: 'base (shroud certs)', dir: join(repo, 'manifests') },
  { name: 'cert-manager overlay', dir: join(repo, 'manifests', 'overlays', 'cert-manager') },
];
const [BASE, OVERLAY] = TREES.map((t) => t.dir) as [string, string];
/** The i-th element, which the test requires to exist. */
function at<T>(xs: readonly T[] | undefined, i = 0): T {
  const x = xs?.[i];
  assert.ok(x !== undefined, `element ${i} exists`);
  return x;
}
const byKey = (a: KObject, b: KObject) => objectKey(a).localeCompare(objectKey(b));
const render = (dir: string) => renderKustomization(dir).sort(byKey);

type Container = {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  env?: Array<{ name: string; value?: string }>;
  ports?: Array<{ name?: string; containerPort: number }>;
  volumeMounts?: Array<{ name: string; mountPath: string; readOnly?: boolean }>;
  livenessProbe?: { httpGet?: { path: string; port: string | number; scheme?: string } };
  readinessProbe?: { httpGet?: { path: string; port: string | number; scheme?: string } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: Record<string, unknown>;
};
type Volume = {
  name: string;
  secret?: { secretName: string; items?: Array<{ key: string }> };
  configMap?: { name: string };
  emptyDir?: unknown;
};
type PodSpec = {
  containers: Container[];
  initContainers?: Container[];
  volumes?: Volume[];
  securityContext?: Record<string, unknown>;
  automountServiceAccountToken?: boolean;
  serviceAccountName?: string;
  affinity?: {
    podAntiAffinity?: {
      preferredDuringSchedulingIgnoredDuringExecution?: Array<{
        podAffinityTerm: { labelSelector: { matchLabels: Record<string, string> } };
      }>;
    };
  };
};
type Deployment = KObject & {
  spec: {
    replicas: number;
    selector: { matchLabels: Record<string, string> };
    template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
  };
};
type Service = KObject & {
  spec: { selector: Record<string, string>; ports: Array<{ port: number; targetPort: string | number }> };
};
type Webhook = {
  name: string;
  clientConfig: { service: { name: string; namespace: string; path: string; port: number } };
  namespaceSelector: { matchExpressions: Array<{ key: string; operator: string; values: string[] }> };
  objectSelector?: { matchLabels: Record<string, string> };
  rules: Array<{ apiGroups: string[]; resources: string[]; operations: string[] }>;
  failurePolicy: string;
  sideEffects: string;
  timeoutSeconds: number;
  admissionReviewVersions: string[];
  reinvocationPolicy?: string;
};

function find<T extends KObject>(objs: KObject[], kind: string, name: string): T {
  const o = objs.find((x) => x.kind === kind && x.metadata.name === name);
  assert.ok(o, `${kind} ${name} is in the manifests`);
  return o as T;
}
const matches = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

/** The serve configuration a Deployment's container gets, through Shroud's own command line. */
function serveConfigOf(c: Container) {
  assert.equal(c.args?.[0], 'serve');
  const env = Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value]));
  const known = new Set(Object.values(SETTINGS).map((s) => (s as { env?: string }).env));
  for (const name of Object.keys(env)) assert.ok(known.has(name), `${name} is a variable of the settings table`);
  let out = '';
  const cl = readCommandLine(SERVE_COMMAND_LINE, c.args.slice(1), {
    env,
    stdout: { write: (s: string) => (out += s) },
  });
  assert.ok(cl, `serve ${c.args.join(' ')} is a valid command line ${out}`);
  return toServeConfig(cl);
}
function mountOf(spec: PodSpec, c: Container, path: string): Volume {
  const m = (c.volumeMounts ?? []).find((x) => x.mountPath === path);
  assert.ok(m, `${c.name} mounts ${path}`);
  const v = (spec.volumes ?? []).find((x) => x.name === m.name);
  assert.ok(v, `volume ${m.name} exists`);
  return v;
}

test('kubectl kustomize renders each tree exactly as the test renderer does', async (t) => {
  for (const tree of TREES) {
    const mine = render(tree.dir);
    const theirs = await kubectlKustomize(tree.dir);
    if (theirs === undefined) {
      t.diagnostic('kubectl is not installed: checked with test/manifests/render.ts only');
      continue;
    }
    assert.deepEqual(mine, theirs.sort(byKey), tree.name);
  }
});

test('every object is valid against the Kubernetes 1.3x and cert-manager schemas', async () => {
  const checked = new Set<string>();
  for (const tree of TREES) {
    for (const o of render(tree.dir)) {
      const [group, version] = o.apiVersion.includes('/') ? o.apiVersion.split('/') : ['', o.apiVersion];
      const module =
        group === 'cert-manager.io'
          ? `@kubernetes-models/cert-manager/cert-manager.io/${version}/${o.kind}`
          : `kubernetes-models/${group === '' ? '' : `${group}/`}${version}/${o.kind}`;
      const Model = ((await import(module)) as Record<string, new (d: unknown) => { validate(): void }>)[o.kind];
      assert.ok(Model, `${module} has ${o.kind}`);
      assert.doesNotThrow(() => new Model(o).validate(), `${tree.name}: ${objectKey(o)}`);
      checked.add(o.kind);
    }
  }
  // The validators do fail: a wrong type in a Deployment is caught.
  const { Deployment } = await import('kubernetes-models/apps/v1/Deployment');
  const bad = structuredClone(find<Deployment>(render(BASE), 'Deployment', 'shroud-webhook'));
  (bad.spec as Record<string, unknown>).replicas = 'two';
  assert.throws(() => new Deployment(bad as never).validate(), /replicas must be integer/);
  assert.ok(
    checked.has('MutatingWebhookConfiguration') && checked.has('Certificate') && checked.has('PodDisruptionBudget'),
  );
});

test('Services, webhook configurations and Deployments agree', () => {
  const objs = render(BASE);
  const ns = find(objs, 'Namespace', 'shroud').metadata.name;
  const cases = [
    { kind: 'ValidatingWebhookConfiguration', path: '/validate' },
    { kind: 'MutatingWebhookConfiguration', path: '/mutate' },
  ];
  for (const c of cases) {
    const cfg = find<KObject & { webhooks: Webhook[] }>(objs, c.kind, 'shroud');
    for (const w of cfg.webhooks) {
      assert.equal(w.clientConfig.service.path, c.path, `${c.kind} ${w.name} path`);
      assert.deepEqual([w.admissionReviewVersions, w.sideEffects, w.failurePolicy], [['v1'], 'None', 'Fail']);
      assert.ok(w.timeoutSeconds >= 1 && w.timeoutSeconds <= 5, 'timeout well under 10 s');
      const notIn = w.namespaceSelector.matchExpressions.find((e) => e.key === 'kubernetes.io/metadata.name');
      assert.equal(notIn?.operator, 'NotIn');
      assert.deepEqual([...(notIn?.values ?? [])].sort(), ['kube-system', ns].sort());
      // The Service and its port lead to the webhook's https container port and --listen port.
      const svc = find<Service>(objs, 'Service', w.clientConfig.service.name);
      assert.equal(svc.metadata.namespace, w.clientConfig.service.namespace);
      const port = svc.spec.ports.find((p) => p.port === w.clientConfig.service.port);
      assert.ok(port, `Service ${svc.metadata.name} has port ${w.clientConfig.service.port}`);
      const dep = find<Deployment>(objs, 'Deployment', 'shroud-webhook');
      assert.ok(matches(svc.spec.selector, dep.spec.template.metadata.labels));
      const container = at(dep.spec.template.spec.containers);
      const cport = container.ports?.find((p) => p.name === port.targetPort);
      assert.equal(cport?.containerPort, serveConfigOf(container).port);
    }
  }
  const mutate = at(find<KObject & { webhooks: Webhook[] }>(objs, 'MutatingWebhookConfiguration', 'shroud').webhooks);
  assert.deepEqual(mutate.objectSelector?.matchLabels, { 'shroud.dev/inject': 'true' });
  assert.equal(mutate.reinvocationPolicy, 'IfNeeded');
  assert.deepEqual(
    mutate.rules.map((r) => [r.resources, r.operations]),
    [[['pods'], ['CREATE']]],
  );
});

test('the validating webhook is sent every kind a policy or workload kind names', async () => {
  const objs = render(BASE);
  const rules = at(
    find<KObject & { webhooks: Webhook[] }>(objs, 'ValidatingWebhookConfiguration', 'shroud').webhooks,
  ).rules;
  const sent = new Set(rules.flatMap((r) => r.apiGroups.flatMap((g) => r.resources.map((res) => `${g}/${res}`))));
  const { readFileSync } = await import('node:fs');
  const workloadKinds = (
    parseDocument(readFileSync(join(repo, 'policies', 'workload-kinds.yaml'), 'utf8')).toJS() as {
      spec: { kinds: Array<{ kind: string }> };
    }
  ).spec.kinds;
  const builtinGroups: Record<string, string> = {
    Deployment: 'apps',
    ReplicaSet: 'apps',
    StatefulSet: 'apps',
    DaemonSet: 'apps',
    Job: 'batch',
    CronJob: 'batch',
    ReplicationController: '',
    PodTemplate: '',
  };
  const plural = (kind: string) => `${kind.toLowerCase()}s`;
  const expected = [
    '/pods',
    '/configmaps',
    '/persistentvolumes',
    ...['roles', 'clusterroles', 'rolebindings', 'clusterrolebindings'].map((r) => `rbac.authorization.k8s.io/${r}`),
    ...Object.keys(POD_TEMPLATE_PATHS).map((k) => `${builtinGroups[k]}/${plural(k)}`),
    ...workloadKinds.map((w) => {
      const [g, k] = w.kind.split('/');
      return `${g}/${plural(k ?? '')}`;
    }),
  ];
  for (const e of expected) assert.ok(sent.has(e), `${e} is sent to /validate`);
  for (const r of rules) assert.deepEqual(r.operations, ['CREATE', 'UPDATE']);
});

test('labels, selectors, PDBs, probes and pod security', () => {
  const objs = render(BASE);
  for (const name of ['shroud-webhook', 'shroud-unseal']) {
    const dep = find<Deployment>(objs, 'Deployment', name);
    const labels = dep.spec.template.metadata.labels;
    assert.ok(matches(dep.spec.selector.matchLabels, labels), `${name} selects its pods`);
    assert.equal(dep.spec.replicas, 2);
    const anti = dep.spec.template.spec.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.[0];
    assert.ok(anti && matches(anti.podAffinityTerm.labelSelector.matchLabels, labels), `${name} spreads its own pods`);
    const pdb = find<KObject & { spec: { minAvailable: number; selector: { matchLabels: Record<string, string> } } }>(
      objs,
      'PodDisruptionBudget',
      name,
    );
    assert.deepEqual(pdb.spec.selector.matchLabels, dep.spec.selector.matchLabels);
    assert.ok(pdb.spec.minAvailable < dep.spec.replicas, 'a node can still be drained');
    const others = objs.filter((o): o is Deployment => o.kind === 'Deployment' && o.metadata.name !== name);
    for (const o of others)
      assert.ok(
        !matches(dep.spec.selector.matchLabels, o.spec.template.metadata.labels),
        `${name} selects only its own pods`,
      );
    const svc = find<Service>(objs, 'Service', name);
    assert.ok(matches(svc.spec.selector, labels));
    const spec = dep.spec.template.spec;
    assert.equal(spec.securityContext?.runAsNonRoot, true);
    assert.deepEqual(spec.securityContext?.seccompProfile, { type: 'RuntimeDefault' });
    for (const c of [...spec.containers, ...(spec.initContainers ?? [])]) {
      assert.deepEqual(
        c.securityContext,
        {
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          runAsNonRoot: true,
          capabilities: { drop: ['ALL'] },
        },
        `${name}/${c.name}`,
      );
      assert.ok(
        c.resources?.requests?.cpu && c.resources.requests.memory && c.resources.limits?.memory,
        `${name}/${c.name} resources`,
      );
      assert.equal(c.image, DEFAULT_INJECT_IMAGE, 'the image of this release');
    }
    const c = at(spec.containers);
    assert.deepEqual(c.livenessProbe?.httpGet, { path: '/healthz', port: 'https', scheme: 'HTTPS' });
    assert.deepEqual(c.readinessProbe?.httpGet, { path: '/readyz', port: 'https', scheme: 'HTTPS' });
    assert.deepEqual(
      c.ports?.map((p) => [p.name, p.containerPort]),
      [
        ['https', 8443],
        ['metrics', 9090],
      ],
    );
  }
});

test('each role gets its flags, mounts and secrets, and nothing else', () => {
  const objs = render(BASE);
  const webhook = find<Deployment>(objs, 'Deployment', 'shroud-webhook').spec.template.spec;
  const unseal = find<Deployment>(objs, 'Deployment', 'shroud-unseal').spec.template.spec;
  const w = serveConfigOf(at(webhook.containers));
  const u = serveConfigOf(at(unseal.containers));
  const cases = [
    {
      name: 'webhook role',
      got: [w.role, w.devCerts, w.devKeyring, w.certDirExplicit],
      want: ['webhook', false, false, true],
    },
    {
      name: 'unseal role',
      got: [u.role, u.devCerts, u.devKeyring, u.certDirExplicit, u.keyringPathExplicit],
      want: ['unseal', false, false, true, true],
    },
    { name: 'inject image', got: [w.injection.image], want: [DEFAULT_INJECT_IMAGE] },
  ];
  for (const c of cases) assert.deepEqual(c.got, c.want, c.name);
  // --cert-dir: each role's own serving Secret.
  assert.equal(mountOf(webhook, at(webhook.containers), w.certDir).secret?.secretName, 'shroud-webhook-tls');
  assert.equal(mountOf(unseal, at(unseal.containers), u.certDir).secret?.secretName, 'shroud-unseal-tls');
  // --policies: the generated ConfigMap.
  const wcl = readCommandLine(SERVE_COMMAND_LINE, at(webhook.containers).args?.slice(1) ?? [], {
    env: {},
    stdout: { write: () => true },
  });
  const policiesDir = wcl?.values.policiesDir;
  assert.ok(policiesDir);
  const cm = mountOf(webhook, at(webhook.containers), policiesDir).configMap?.name;
  assert.ok(cm && find(objs, 'ConfigMap', cm));
  // --unseal-url: the unseal Service; --unseal-ca: only ca.crt of the unseal Service's Secret.
  const url = new URL(w.injection.unsealUrl);
  const unsealSvc = find<Service>(objs, 'Service', url.hostname.split('.')[0] ?? '');
  assert.equal(url.hostname, `${unsealSvc.metadata.name}.${unsealSvc.metadata.namespace}.svc`);
  assert.ok(unsealSvc.spec.ports.some((p) => p.port === Number(url.port)));
  const caFile = w.injection.unsealCaFile;
  assert.ok(caFile);
  const caVolume = mountOf(webhook, at(webhook.containers), dirname(caFile)).secret;
  assert.deepEqual([caVolume?.secretName, caVolume?.items?.map((i) => i.key)], ['shroud-unseal-tls', ['ca.crt']]);
  // The keyring: only in the unseal pod, and no role gets a token it does not use.
  assert.ok(!JSON.stringify(webhook.volumes).includes('shroud-keyring'), 'the webhook never mounts the keyring');
  assert.ok(JSON.stringify(unseal.volumes).includes('shroud-keyring'));
  assert.equal(mountOf(unseal, at(unseal.containers), dirname(u.keyringPath)).emptyDir !== undefined, true);
  assert.equal(webhook.automountServiceAccountToken, false);
  assert.equal(unseal.automountServiceAccountToken, true);
});

test('RBAC: unseal may create TokenReviews only; shroud-scan reads and is not bound', () => {
  const objs = render(BASE);
  type Role = KObject & { rules: Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }> };
  type Binding = KObject & { roleRef: { name: string }; subjects: Array<{ name: string; namespace?: string }> };
  const bindings = objs.filter((o): o is Binding => o.kind.endsWith('RoleBinding'));
  assert.deepEqual(
    bindings.map((b) => [b.roleRef.name, b.subjects.map((s) => `${s.namespace}/${s.name}`)]),
    [['shroud-unseal-tokenreview', ['shroud/shroud-unseal']]],
  );
  assert.deepEqual(find<Role>(objs, 'ClusterRole', 'shroud-unseal-tokenreview').rules, [
    { apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] },
  ]);
  const scan = find<Role>(objs, 'ClusterRole', 'shroud-scan');
  for (const r of scan.rules) {
    assert.deepEqual(r.verbs, ['get', 'list']);
    assert.ok(!r.resources.includes('secrets'), 'scan never reads Secrets');
  }
  const read = new Set(scan.rules.flatMap((r) => r.apiGroups.flatMap((g) => r.resources.map((x) => `${g}/${x}`))));
  const sent = find<KObject & { webhooks: Webhook[] }>(
    objs,
    'ValidatingWebhookConfiguration',
    'shroud',
  ).webhooks[0]?.rules.flatMap((r) => r.apiGroups.flatMap((g) => r.resources.map((x) => `${g}/${x}`)));
  for (const s of sent ?? []) assert.ok(read.has(s), `shroud-scan reads ${s}, which the webhook checks`);
});

test('the cert-manager overlay: Certificates for both Services, CA injected into both configurations', () => {
  const objs = render(OVERLAY);
  type Cert = KObject & { spec: { secretName: string; dnsNames: string[]; issuerRef: { name: string } } };
  for (const [svc, secret] of [
    ['shroud-webhook', 'shroud-webhook-tls'],
    ['shroud-unseal', 'shroud-unseal-tls'],
  ]) {
    const cert = objs.find((o): o is Cert => o.kind === 'Certificate' && (o as Cert).spec.secretName === secret);
    assert.ok(cert, `a Certificate writes ${secret}`);
    assert.ok(cert.spec.dnsNames.includes(`${svc}.shroud.svc`));
    assert.ok(find(objs, 'Issuer', cert.spec.issuerRef.name));
  }
  for (const kind of ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']) {
    const ann = find(objs, kind, 'shroud').metadata.annotations?.['cert-manager.io/inject-ca-from'];
    const [ns, name] = (ann ?? '').split('/');
    const cert = find<Cert>(objs, 'Certificate', name ?? '');
    assert.equal(cert.metadata.namespace, ns);
    assert.equal(cert.spec.secretName, 'shroud-webhook-tls');
  }
});

test("Shroud's own policies pass every manifest, with the shroud namespace not excluded", async () => {
  const dir = { path: tempDir('shroud-manifests-') };
  // Replaces the shipped exclusions (which skip the shroud namespace) with one that matches nothing.
  mkdirSync(join(dir.path, 'policies'));
  copyFileSync(join(repo, 'manifests', 'base', 'policies', 'team.yaml'), join(dir.path, 'policies', 'team.yaml'));
  writeFileSync(
    join(dir.path, 'policies', 'exclusions.yaml'),
    stringify({
      apiVersion: 'policy.shroud.dev/v1',
      kind: 'PolicyExclusions',
      metadata: { name: 'system-exclusions' },
      spec: {
        exclusions: [{ name: 'none', reason: 'judge everything in this test', namespaces: ['no-such-namespace'] }],
      },
    }),
  );
  const cases = TREES.map((t) => ({ name: t.name, objects: render(t.dir) }));
  for (const c of cases) {
    const file = join(dir.path, 'rendered.yaml');
    writeFileSync(file, c.objects.map((o) => stringify(o)).join('---\n'));
    const r = await runCli(['check', '--output', 'json', '--policies', join(dir.path, 'policies'), file]);
    const report = JSON.parse(r.stdout) as {
      results: Array<{ kind: string; violations: unknown[]; exceptions: unknown[] }>;
      summary: Record<string, number>;
    };
    assert.equal(r.code, 0, `${c.name}: ${r.stdout}${r.stderr}`);
    assert.equal(report.results.length, c.objects.length);
    for (const res of report.results) assert.deepEqual([res.kind, res.violations, res.exceptions], [res.kind, [], []]);
  }
  // The check bites: the same folder denies a Secret in an env var in the webhook's Deployment.
  const bad = structuredClone(find<Deployment>(render(BASE), 'Deployment', 'shroud-webhook'));
  at(bad.spec.template.spec.containers).env?.push({
    name: 'TOKEN',
    valueFrom: { secretKeyRef: { name: 's', key: 'k' } },
  } as never);
  writeFileSync(join(dir.path, 'bad.yaml'), stringify(bad));
  assert.equal((await runCli(['check', '--policies', join(dir.path, 'policies'), join(dir.path, 'bad.yaml')])).code, 1);
});

test('the keyring init container leaves a 0600 copy that Shroud loads', async () => {
  const unseal = find<Deployment>(render(BASE), 'Deployment', 'shroud-unseal').spec.template.spec;
  const init = unseal.initContainers?.find((c) => c.name === 'keyring');
  assert.ok(init?.command);
  const [node, flag, script] = init.command;
  assert.deepEqual([node, flag], ['node', '-e']);
  const dir = { path: tempDir('shroud-keyring-copy-') };
  const secretDir = join(dir.path, 'secret');
  const outDir = join(dir.path, 'out');
  mkdirSync(secretDir);
  mkdirSync(outDir);
  const keyring = join(dir.path, 'made', 'keyring.json');
  const made = await runCli(['keys', 'init', '--keyring', keyring]);
  assert.equal(made.code, 0, made.stderr);
  // As the kubelet leaves it with fsGroup: group-readable, which Shroud refuses to load.
  copyFileSync(keyring, join(secretDir, 'keyring.json'));
  chmodSync(join(secretDir, 'keyring.json'), 0o440);
  await assert.rejects(loadKeyring(join(secretDir, 'keyring.json')), { code: 'CRYPTO_KEYRING_PERMISSIONS' });
  const secretMount = init.volumeMounts?.find((m) => m.name === 'keyring-secret')?.mountPath ?? '';
  const outMount = init.volumeMounts?.find((m) => m.name === 'keyring')?.mountPath ?? '';
  assert.ok(script?.includes(secretMount) && script.includes(outMount));
  const local = (script ?? '').replaceAll(secretMount, secretDir).replaceAll(outMount, outDir);
  for (const round of ['first start', 'a restart over an existing copy']) {
    await promisify(execFile)(process.execPath, ['-e', local], { timeout: 30_000 });
    assert.equal(statSync(join(outDir, 'keyring.json')).mode & 0o777, 0o600, round);
  }
  const main = at(unseal.containers);
  assert.equal(serveConfigOf(main).keyringPath, join(outMount, 'keyring.json'));
  assert.ok((await loadKeyring(join(outDir, 'keyring.json'))).versions.length > 0);
});

test('the shroud-scan ClusterRole lets shroud scan list everything it lists, and nothing more than get and list', () => {
  const role = find<KObject & { rules: Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }> }>(
    render(BASE),
    'ClusterRole',
    'shroud-scan',
  );
  const granted = new Set(
    role.rules.flatMap((r) => r.apiGroups.flatMap((g) => r.resources.map((res) => `${g}/${res}`))),
  );
  for (const t of SCAN_TARGETS)
    assert.ok(granted.has(`${t.group}/${t.resource}`), `${t.group}/${t.resource} is listable`);
  for (const r of role.rules) assert.deepEqual([...r.verbs].sort(), ['get', 'list']);
  assert.ok(!granted.has('/secrets'), 'scan never reads Secrets');
});
