/**
 * Injection end to end, as a cluster would run it, on loopback: `shroud encrypt` seals a
 * ConfigMap; a labelled Pod goes through `/mutate` of a real `shroud serve` process; the patch is
 * applied with a JSON Patch library; the pod's volumes are laid out in a temp folder the way the
 * kubelet mounts them; and `shroud unseal-init` runs as a real process with the environment the
 * patch gave its init container, against the unseal service of the same `serve`, which asks a
 * fake kube-apiserver (through a kubeconfig) who each token belongs to. Then every way of asking
 * wrongly is refused: no file written, one audit line. Canaries appear only in the files.
 */
import { strict as assert } from 'node:assert';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import jsonpatch, { type Operation } from 'fast-json-patch';
import { parse as parseYaml } from 'yaml';
import { type FakeApiServer, jwtLike, legacyToken, podToken, startFakeApiServer } from '../helpers/fake-apiserver.js';
import { runCli } from '../helpers/cli.js';
import { loadKeyring, publicKeyFingerprint, publicKeyOf } from '../../src/crypto/index.js';
import { generateCertBundle } from '../../src/tls/index.js';
import { httpsCall } from '../helpers/https.js';
import { admissionReview } from '../helpers/reviews.js';
import { tempDir } from '../helpers/temp-dir.js';

const BIN = new URL('../../bin/shroud.js', import.meta.url).pathname;
const CANARIES = { API_KEY: 'canary-e2e-api-4b1f9e', DB_PASSWORD: 'canary-e2e-db-77c2a0' };
const NS = 'shop';
const SA = 'web';
const CM = 'web-secrets';
/** `shroud encrypt` for the pod's identity: its namespace, service account and ConfigMap. */
const ENCRYPT = ['encrypt', '--namespace', NS, '--service-account', SA, '--name', CM];

interface Container {
  name: string;
  env?: { name: string; value: string }[];
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}
interface Pod {
  spec: { initContainers: Container[]; containers: Container[]; volumes: Record<string, unknown>[] };
}

let api: FakeApiServer;
let cwd: string;
let server: ChildProcess;
let serverOut = '';
let port = 0;
let ca = '';
let sealedData: Record<string, string> = {};
let initEnv: Record<string, string> = {};

/** The audit lines the unseal service wrote so far. */
function auditLines(): Record<string, unknown>[] {
  return serverOut
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l.msg === 'unseal');
}

before(async () => {
  cwd = tempDir('shroud-e2e-');
  api = await startFakeApiServer(tempDir('shroud-e2e-api-'));
  // A keyring at the default path, then a sealed ConfigMap for the pod's identity.
  assert.equal((await runCli(['keys', 'init'], { cwd })).code, 0);
  const literals = Object.entries(CANARIES).flatMap(([k, v]) => ['--from-literal', `${k}=${v}`]);
  const sealed = await runCli([...ENCRYPT, '--keyring', '.shroud/keyring.json', ...literals], { cwd });
  assert.equal(sealed.code, 0, sealed.stderr);
  sealedData = (parseYaml(sealed.stdout) as { data: Record<string, string> }).data;

  server = spawn(process.execPath, [BIN, 'serve', '--listen', '127.0.0.1:0'], {
    cwd,
    env: {
      PATH: process.env.PATH ?? '',
      SHROUD_KUBECONFIG: api.kubeconfig,
      SHROUD_SHUTDOWN_DELAY_MS: '0',
      SHROUD_LOG_LEVEL: 'info',
      SHROUD_METRICS_LISTEN: '127.0.0.1:0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stdout!.setEncoding('utf8').on('data', (c: string) => (serverOut += c));
  server.stderr!.setEncoding('utf8').on('data', (c: string) => (serverOut += c));
  for (let i = 0; i < 600 && port === 0; i++) {
    port = Number(/listening on https:\/\/127\.0\.0\.1:(\d+)/.exec(serverOut)?.[1] ?? 0);
    if (port === 0) await sleep(50);
  }
  assert.ok(port > 0, `serve did not start:\n${serverOut}`);
  ca = readFileSync(join(cwd, 'certs', 'ca.crt'), 'utf8');
});

after(async () => {
  if (server.exitCode === null) {
    const exited = new Promise((done) => server.once('exit', done));
    server.kill('SIGTERM');
    await exited;
  }
  await api.close();
  // No canary in anything the server printed: logs, audit lines, errors.
  for (const canary of Object.values(CANARIES))
    assert.ok(!serverOut.includes(canary), 'a plaintext reached the server log');
});

function labelledPod(): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'web-7d9f8-abcde',
      namespace: NS,
      labels: { app: 'web', 'shroud.dev/inject': 'true' },
      annotations: { 'shroud.dev/sealed': CM },
    },
    spec: {
      serviceAccountName: SA,
      securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000 },
      containers: [{ name: 'app', image: 'registry.example/web:1.0' }],
    },
  };
}

test('a labelled pod goes through /mutate: the patch applies and puts shroud-unseal first with the unseal CA', async () => {
  const pod = labelledPod();
  const res = await httpsCall(port, ca, '/mutate', { body: admissionReview(pod, { namespace: NS }) });
  assert.equal(res.status, 200, res.body);
  const response = (JSON.parse(res.body) as { response: { allowed: boolean; patch?: string; patchType?: string } })
    .response;
  assert.equal(response.allowed, true);
  assert.equal(response.patchType, 'JSONPatch');
  const patch = JSON.parse(Buffer.from(response.patch!, 'base64').toString('utf8')) as Operation[];
  const patched = jsonpatch.applyPatch(structuredClone(pod), patch, true, false).newDocument as unknown as Pod;
  const init = patched.spec.initContainers[0]!;
  assert.equal(init.name, 'shroud-unseal');
  initEnv = Object.fromEntries((init.env ?? []).map((e) => [e.name, e.value]));
  assert.equal(
    initEnv.SHROUD_UNSEAL_CA_PEM?.trim(),
    ca.replace(/\r\n/g, '\n').trim(),
    'the init container trusts the CA that signs the service',
  );
  const appMount = patched.spec.containers[0]!.volumeMounts?.find((m) => m.name === 'shroud-secrets');
  assert.deepEqual(appMount, { name: 'shroud-secrets', mountPath: initEnv.SHROUD_OUTPUT_DIR, readOnly: true });
  assert.ok(patched.spec.volumes.some((v) => v.name === 'shroud-token'));
});

/** The pod's volumes as the kubelet lays them out: a token file, a configMap volume, an empty output folder. */
function podVolumes(token: string, data: Record<string, string>): { root: string; env: Record<string, string> } {
  const root = tempDir('shroud-e2e-pod-');
  writeFileSync(join(root, 'token'), token, { mode: 0o600 });
  const volume = join(root, 'sealed', CM);
  const generation = join(volume, '..2026_11_30_00_00_00.000000001');
  mkdirSync(generation, { recursive: true });
  for (const [key, value] of Object.entries(data)) {
    writeFileSync(join(generation, key), value);
    symlinkSync(join('..data', key), join(volume, key));
  }
  symlinkSync('..2026_11_30_00_00_00.000000001', join(volume, '..data'));
  mkdirSync(join(root, 'out'));
  return {
    root,
    env: {
      ...initEnv,
      PATH: process.env.PATH ?? '',
      // The pod's paths, here in a temp folder, and the service on loopback (its dev certificate names 127.0.0.1).
      SHROUD_TOKEN_FILE: join(root, 'token'),
      SHROUD_SEALED_DIR: join(root, 'sealed'),
      SHROUD_OUTPUT_DIR: join(root, 'out'),
      SHROUD_UNSEAL_URL: `https://127.0.0.1:${port}`,
      SHROUD_DEADLINE_SECONDS: '5',
    },
  };
}

function unsealInit(env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((done, reject) => {
    const child = spawn(process.execPath, [BIN, 'unseal-init'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 60_000,
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.on('error', reject);
    child.on('close', (code) => done({ code, out }));
  });
}

test('shroud unseal-init writes each value as a file of mode 0400 for the pod it was sealed for', async () => {
  assert.ok(initEnv.SHROUD_UNSEAL_CA_PEM, 'the /mutate test ran first');
  const token = jwtLike(600);
  api.tokens.set(token, podToken({ namespace: NS, serviceAccount: SA, pod: 'web-7d9f8-abcde' }));
  const { root, env } = podVolumes(token, sealedData);
  const before = auditLines().length;
  const run = await unsealInit(env);
  assert.equal(run.code, 0, run.out);
  for (const [key, value] of Object.entries(CANARIES)) {
    const file = join(root, 'out', CM, key);
    assert.equal(readFileSync(file, 'utf8'), value);
    assert.equal(statSync(file).mode & 0o777, 0o400);
    assert.ok(!run.out.includes(value), 'unseal-init printed a value');
  }
  assert.ok(!run.out.includes(token), 'unseal-init printed the token');
  const audit = auditLines().slice(before);
  assert.equal(audit.length, 1);
  assert.equal(audit[0]!.namespace, NS);
  assert.equal(audit[0]!.serviceAccount, SA);
});

const tamper = (value: string) => {
  const i = Math.floor(value.length / 2);
  return `${value.slice(0, i)}${value[i] === 'A' ? 'B' : 'A'}${value.slice(i + 1)}`;
};

const refusals: {
  name: string;
  token: () => [string, ReturnType<typeof podToken> | undefined];
  data?: () => Record<string, string>;
}[] = [
  {
    name: 'a token of another service account',
    token: () => [jwtLike(600), podToken({ namespace: NS, serviceAccount: 'worker' })],
  },
  {
    name: 'a token of another namespace',
    token: () => [jwtLike(600), podToken({ namespace: 'dev', serviceAccount: SA })],
  },
  { name: 'an unbound (legacy Secret) token', token: () => [jwtLike(600), legacyToken(NS, SA)] },
  {
    name: 'a token without the shroud audience',
    token: () => [
      jwtLike(600),
      podToken({ namespace: NS, serviceAccount: SA, audiences: ['https://kubernetes.default.svc'] }),
    ],
  },
  { name: 'an expired token', token: () => [jwtLike(-60), { authenticated: false, error: 'token has expired' }] },
  { name: 'a token the API server does not know', token: () => [jwtLike(600), undefined] },
  {
    name: 'a tampered value',
    token: () => [jwtLike(600), podToken({ namespace: NS, serviceAccount: SA })],
    data: () => ({ ...sealedData, API_KEY: tamper(sealedData.API_KEY!) }),
  },
  {
    name: 'a value copied to another key',
    token: () => [jwtLike(600), podToken({ namespace: NS, serviceAccount: SA })],
    data: () => ({ OTHER_KEY: sealedData.API_KEY! }),
  },
];

for (const r of refusals) {
  test(`refused, nothing written, one audit line: ${r.name}`, async () => {
    const [token, status] = r.token();
    if (status !== undefined) api.tokens.set(token, status);
    const { root, env } = podVolumes(token, r.data?.() ?? sealedData);
    const before = auditLines().length;
    const run = await unsealInit(env);
    assert.equal(run.code, 3, run.out);
    assert.match(run.out, /UNSEAL_INIT_REFUSED/);
    assert.match(run.out, /nothing was written/);
    assert.deepEqual(readdirSync(join(root, 'out')), [], 'no file or folder written');
    for (const value of Object.values(CANARIES)) assert.ok(!run.out.includes(value));
    assert.ok(!run.out.includes(token));
    // The audit line is written as the answer goes out; give the log a moment to flush.
    for (let i = 0; i < 40 && auditLines().length === before; i++) await sleep(25);
    const audit = auditLines().slice(before);
    assert.equal(audit.length, 1, `one audit line for ${r.name}`);
    assert.notEqual(audit[0]!.result, 'ok');
    assert.ok(!existsSync(join(root, 'out', CM)));
  });
}

test('encrypt fetches the public key from the unseal service over verified TLS; the fetched key seals values that unseal-init opens', async () => {
  assert.ok(initEnv.SHROUD_UNSEAL_CA_PEM, 'the /mutate test ran first');
  const keyring = await loadKeyring(join(cwd, '.shroud', 'keyring.json'));
  const fingerprint = publicKeyFingerprint(publicKeyOf(keyring).publicKey);
  const url = `https://127.0.0.1:${port}`;
  const args = [...ENCRYPT, '--from-literal', `API_KEY=${CANARIES.API_KEY}`];
  const sealed = await runCli(
    [...args, '--public-key', url, '--public-key-ca', 'certs/ca.crt', '--fingerprint', fingerprint],
    {
      cwd,
    },
  );
  assert.equal(sealed.code, 0, sealed.stderr);
  assert.ok(!sealed.stdout.includes(CANARIES.API_KEY) && !sealed.stderr.includes(CANARIES.API_KEY));
  const data = (parseYaml(sealed.stdout) as { data: Record<string, string> }).data;
  const token = jwtLike(600);
  api.tokens.set(token, podToken({ namespace: NS, serviceAccount: SA }));
  const { root, env } = podVolumes(token, data);
  const run = await unsealInit(env);
  assert.equal(run.code, 0, run.out);
  assert.equal(readFileSync(join(root, 'out', CM, 'API_KEY'), 'utf8'), CANARIES.API_KEY);

  // Another CA, and another pinned key: refused, nothing sealed.
  const otherCa = join(cwd, 'other-ca.pem');
  writeFileSync(otherCa, generateCertBundle({ names: ['127.0.0.1'], days: 1 }).caCert);
  const untrustedTls = await runCli(
    [...args, '--public-key', url, '--public-key-ca', otherCa, '--fingerprint', fingerprint],
    {
      cwd,
    },
  );
  assert.equal(untrustedTls.code, 3);
  assert.match(untrustedTls.stderr, /CRYPTO_PUBLIC_KEY_FETCH_FAILED/);
  assert.equal(untrustedTls.stdout, '');
  const otherPin = await runCli(
    [...args, '--public-key', url, '--public-key-ca', 'certs/ca.crt', '--fingerprint', `sha256:${'0'.repeat(32)}`],
    {
      cwd,
    },
  );
  assert.equal(otherPin.code, 3);
  assert.match(otherPin.stderr, /CRYPTO_PUBLIC_KEY_UNTRUSTED/);
  assert.equal(otherPin.stdout, '');
});
