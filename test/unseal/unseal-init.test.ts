/**
 * `shroud unseal-init` as the kubelet runs it: the real bin as a child process, its settings in
 * the environment, a token file and sealed ConfigMaps laid out like configMap volumes (a
 * timestamped folder, a `..data` link to it, one link per key), against an HTTPS stand-in for
 * the unseal service on 127.0.0.1.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type CertBundle, generateCertBundle } from '../../src/tls/index.js';
import { tempDir } from '../helpers/temp-dir.js';
import { configMapVolume, type Script, type StubAnswer, startUnsealStub, type UnsealStub } from './unseal-stub.js';

const BIN = resolve(import.meta.dirname, '..', '..', 'bin', 'shroud.js');

const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.CANARY-TOKEN-5d1f0c2a.c2lnbmF0dXJl';
const SEALED = {
  API_KEY: 'shroud:v1:AAAA-api-key-envelope',
  DB_PASSWORD: 'shroud:v1:BBBB-db-password-envelope',
  TLS_KEY: 'shroud:v1:CCCC-binary-envelope',
  WORKER_TOKEN: 'shroud:v1:DDDD-worker-token-envelope',
} as const;
/** Plaintexts: canaries that must appear only in the files written. */
const PLAIN = new Map<string, Buffer>([
  [SEALED.API_KEY, Buffer.from('CANARY-api-key-91b3e7')],
  [SEALED.DB_PASSWORD, Buffer.from('CANARY-db-password-4c2d88\n')],
  [SEALED.TLS_KEY, Buffer.from([0, 1, 2, 0xff, 0xfe, 10, 13, 0x43, 0x41, 0x4e])],
  [SEALED.WORKER_TOKEN, Buffer.from('CANARY-worker-token-0a9e55')],
  ['shroud:v1:EEEE-rotated-api-key', Buffer.from('CANARY-rotated-api-key-33e1c0')],
]);
const CANARIES = [
  'CANARY-api-key-91b3e7',
  'CANARY-db-password-4c2d88',
  'CANARY-worker-token-0a9e55',
  TOKEN,
  'CANARY-TOKEN',
];

let trusted: CertBundle;
let otherCa: CertBundle;
let wrongName: CertBundle;
before(() => {
  trusted = generateCertBundle({ names: ['127.0.0.1', 'localhost'], days: 1 });
  otherCa = generateCertBundle({ names: ['127.0.0.1', 'localhost'], days: 1 });
  wrongName = generateCertBundle({ names: ['shroud-unseal.shroud.svc'], days: 1 });
});

const stubs: UnsealStub[] = [];
after(async () => {
  for (const s of stubs) await s.close();
});

async function stub(script?: Script, tls: () => CertBundle = () => trusted): Promise<UnsealStub> {
  const s = await startUnsealStub({ tls: tls(), plaintexts: PLAIN, ...(script ? { script } : {}) });
  stubs.push(s);
  return s;
}

interface Pod {
  dir: string;
  env: Record<string, string>;
  out: string;
}

/** A pod's view: token, two sealed ConfigMaps (one with a plain value), an empty output volume. */
function pod(url: string, extra: Record<string, string> = {}): Pod {
  const dir = tempDir('shroud-unseal-init-');
  mkdirSync(join(dir, 'token'));
  writeFileSync(join(dir, 'token', 'token'), `${TOKEN}\n`);
  const sealed = join(dir, 'sealed');
  mkdirSync(sealed);
  configMapVolume(sealed, 'web-secrets', {
    API_KEY: SEALED.API_KEY,
    DB_PASSWORD: `${SEALED.DB_PASSWORD}\n`,
    LOG_LEVEL: 'debug',
    TLS_KEY: SEALED.TLS_KEY,
  });
  configMapVolume(sealed, 'worker.secrets', { WORKER_TOKEN: SEALED.WORKER_TOKEN });
  const out = join(dir, 'out');
  mkdirSync(out);
  return {
    dir,
    out,
    env: {
      SHROUD_UNSEAL_URL: url,
      SHROUD_UNSEAL_CA_PEM: trusted.caCert,
      SHROUD_TOKEN_FILE: join(dir, 'token', 'token'),
      SHROUD_SEALED_DIR: sealed,
      SHROUD_OUTPUT_DIR: out,
      SHROUD_FILE_MODE: '0400',
      SHROUD_DEADLINE_SECONDS: '20',
      ...extra,
    },
  };
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real `shroud unseal-init` with only the pod's variables (and PATH) in its environment. */
function unsealInit(env: Record<string, string>, args: string[] = []): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, 'unseal-init', ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const guard = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.once('error', fail);
    child.once('close', (code) => {
      clearTimeout(guard);
      done({ code, stdout, stderr });
    });
  });
}

/** What every run must hold: no plaintext, no token, on either stream. */
function assertNoSecrets(run: Run): void {
  for (const canary of CANARIES) {
    assert.ok(!run.stdout.includes(canary), `stdout holds ${canary}`);
    assert.ok(!run.stderr.includes(canary), `stderr holds ${canary}`);
  }
  assert.ok(!run.stderr.includes('shroud:v1:'), 'stderr holds a sealed value');
}

/** A failed run: exit 3, and the failure is the last line, alone, naming the code. */
function assertFailure(run: Run, code: string): string {
  assert.equal(run.code, 3, run.stderr);
  const lines = run.stderr.trimEnd().split('\n');
  const last = lines[lines.length - 1]!;
  assert.match(last, new RegExp(`^shroud-unseal: ${code}: `));
  assert.equal(lines.filter((l) => l.includes(code)).length, 1, run.stderr);
  assert.equal(run.stdout, '');
  assertNoSecrets(run);
  return last;
}

/** Every file and folder under `dir` (names only; `..` entries included). */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, prefix: string): void => {
    for (const name of readdirSync(d).sort()) {
      out.push(`${prefix}${name}`);
      if (lstatSync(join(d, name)).isDirectory()) walk(join(d, name), `${prefix}${name}/`);
    }
  };
  walk(dir, '');
  return out;
}

describe('shroud unseal-init (real process)', () => {
  for (const c of [
    { name: 'mode 0400 (no fsGroup)', mode: '0400', file: 0o400, folder: 0o500 },
    { name: 'mode 0440 (fsGroup)', mode: '0440', file: 0o440, folder: 0o550 },
  ]) {
    test(`writes every sealed value as a file, atomically, ${c.name}`, async () => {
      const s = await stub();
      const p = pod(s.url, { SHROUD_FILE_MODE: c.mode });
      const run = await unsealInit(p.env);
      assert.equal(run.code, 0, run.stderr);
      assertNoSecrets(run);
      // Only sealed values were sent, by name, with the pod's token.
      assert.equal(s.requests.length, 1);
      const [req] = s.requests;
      assert.equal(req!.method, 'POST');
      assert.equal(req!.path, '/v1/unseal');
      assert.equal(req!.authorization, `Bearer ${TOKEN}`);
      assert.equal(req!.contentType, 'application/json');
      assert.deepEqual(req!.body, {
        items: [
          { configMap: 'web-secrets', key: 'API_KEY', value: SEALED.API_KEY },
          { configMap: 'web-secrets', key: 'DB_PASSWORD', value: SEALED.DB_PASSWORD },
          { configMap: 'web-secrets', key: 'TLS_KEY', value: SEALED.TLS_KEY },
          { configMap: 'worker.secrets', key: 'WORKER_TOKEN', value: SEALED.WORKER_TOKEN },
        ],
      });
      // The files, their bytes and modes; the folders' modes; nothing else (no temp files, no plain value).
      assert.deepEqual(tree(p.out), [
        'web-secrets',
        'web-secrets/API_KEY',
        'web-secrets/DB_PASSWORD',
        'web-secrets/TLS_KEY',
        'worker.secrets',
        'worker.secrets/WORKER_TOKEN',
      ]);
      for (const [cm, key, sealed] of [
        ['web-secrets', 'API_KEY', SEALED.API_KEY],
        ['web-secrets', 'DB_PASSWORD', SEALED.DB_PASSWORD],
        ['web-secrets', 'TLS_KEY', SEALED.TLS_KEY],
        ['worker.secrets', 'WORKER_TOKEN', SEALED.WORKER_TOKEN],
      ] as const) {
        const path = join(p.out, cm, key);
        assert.deepEqual(readFileSync(path), PLAIN.get(sealed), path);
        assert.equal(statSync(path).mode & 0o7777, c.file, `mode of ${path}`);
      }
      for (const cm of ['web-secrets', 'worker.secrets'])
        assert.equal(statSync(join(p.out, cm)).mode & 0o7777, c.folder, `mode of ${cm}/`);
      // Counts and names for kubectl logs.
      assert.match(run.stderr, /skipping 1 value\(s\) that are not sealed: web-secrets\/LOG_LEVEL/);
      assert.match(run.stderr, /wrote 4 file\(s\) under .* after 1 attempt\(s\): web-secrets\/API_KEY, /);
    });
  }

  test('a second run in the same pod replaces the files (the folders are re-opened for writing)', async () => {
    const s = await stub();
    const p = pod(s.url);
    assert.equal((await unsealInit(p.env)).code, 0);
    const again = await unsealInit(p.env);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(s.requests.length, 2);
    assert.deepEqual(readFileSync(join(p.out, 'web-secrets', 'API_KEY')), PLAIN.get(SEALED.API_KEY));
    assert.equal(tree(p.out).length, 6);
  });

  test('503 then 200: retried with backoff, then written', async () => {
    const unavailable: StubAnswer = {
      status: 503,
      headers: { 'retry-after': '0' },
      body: { error: { code: 'UNSEAL_UNAVAILABLE', message: 'the KEK provider is unavailable' } },
    };
    const s = await stub((_req, opened, i) => (i < 2 ? unavailable : opened()));
    const p = pod(s.url);
    const run = await unsealInit(p.env);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(s.requests.length, 3);
    assert.match(run.stderr, /attempt 1 failed \(503 UNSEAL_UNAVAILABLE: the KEK provider is unavailable\); retrying/);
    assert.match(run.stderr, /after 3 attempt\(s\)/);
    assert.deepEqual(readFileSync(join(p.out, 'worker.secrets', 'WORKER_TOKEN')), PLAIN.get(SEALED.WORKER_TOKEN));
    assertNoSecrets(run);
  });

  const refusals: Array<{ name: string; answer: StubAnswer; line: RegExp }> = [
    {
      name: '403 naming the item',
      answer: {
        status: 403,
        body: {
          error: { code: 'UNSEAL_FORBIDDEN', message: 'scope mismatch' },
          items: [{ configMap: 'web-secrets', key: 'API_KEY', code: 'CRYPTO_SCOPE_MISMATCH' }],
        },
      },
      line: /refused web-secrets\/API_KEY \(CRYPTO_SCOPE_MISMATCH\): scope mismatch \(403 UNSEAL_FORBIDDEN\); seal the value again .*; nothing was written$/,
    },
    {
      name: '401 for the token',
      answer: { status: 401, body: { error: { code: 'UNSEAL_UNAUTHENTICATED', message: 'no pod binding' } } },
      line: /did not accept the pod's token: no pod binding \(401 UNSEAL_UNAUTHENTICATED\); .*audience shroud; nothing was written$/,
    },
    {
      name: '400 without a JSON body',
      answer: { status: 400, body: 'bad request\nsecond line' },
      line: /rejected the request for 4 value\(s\) of web-secrets, worker.secrets: no reason given \(400\); nothing was written$/,
    },
  ];
  for (const c of refusals) {
    test(`a refusal is not retried and writes nothing: ${c.name}`, async () => {
      const s = await stub(() => c.answer);
      const p = pod(s.url);
      const run = await unsealInit(p.env);
      const line = assertFailure(run, 'UNSEAL_INIT_REFUSED');
      assert.match(line, c.line);
      assert.equal(s.requests.length, 1, 'a 4xx is never retried');
      assert.deepEqual(tree(p.out), []);
    });
  }

  test('always 503: gives up at the deadline, non-zero, nothing written', async () => {
    const s = await stub(() => ({ status: 503, body: { error: { code: 'UNSEAL_UNAVAILABLE', message: 'down' } } }));
    const p = pod(s.url, { SHROUD_DEADLINE_SECONDS: '1' });
    const run = await unsealInit(p.env);
    const line = assertFailure(run, 'UNSEAL_INIT_DEADLINE');
    assert.match(
      line,
      /did not open the values within SHROUD_DEADLINE_SECONDS \(\d+ attempt\(s\) in \d+ s; last: 503 UNSEAL_UNAVAILABLE: down\); nothing was written$/,
    );
    assert.ok(s.requests.length >= 1);
    assert.deepEqual(tree(p.out), []);
  });

  test('a service that never answers: each attempt times out, then the deadline', async () => {
    const s = await stub(() => ({ status: 0, hang: true }));
    const p = pod(s.url, { SHROUD_DEADLINE_SECONDS: '1' });
    const run = await unsealInit(p.env);
    assert.match(assertFailure(run, 'UNSEAL_INIT_DEADLINE'), /last: no answer within/);
    assert.deepEqual(tree(p.out), []);
  });

  test('nothing listening: connection errors are retried until the deadline', async () => {
    const s = await stub();
    await s.close();
    stubs.splice(stubs.indexOf(s), 1);
    const p = pod(s.url, { SHROUD_DEADLINE_SECONDS: '1' });
    const run = await unsealInit(p.env);
    assert.match(assertFailure(run, 'UNSEAL_INIT_DEADLINE'), /last: ECONNREFUSED/);
  });

  const untrusted: Array<{
    name: string;
    tls: () => CertBundle;
    trust: () => string;
    env?: (dir: string) => Record<string, string>;
    reason: RegExp;
  }> = [
    {
      name: 'a certificate from another CA',
      tls: () => otherCa,
      trust: () => trusted.caCert,
      reason: /SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY/,
    },
    {
      name: 'a certificate from another CA, even with NODE_EXTRA_CA_CERTS naming it and NODE_TLS_REJECT_UNAUTHORIZED=0',
      tls: () => otherCa,
      trust: () => trusted.caCert,
      env: (dir: string) => {
        writeFileSync(join(dir, 'extra-ca.pem'), otherCa.caCert);
        return { NODE_EXTRA_CA_CERTS: join(dir, 'extra-ca.pem'), NODE_TLS_REJECT_UNAUTHORIZED: '0' };
      },
      reason: /SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY/,
    },
    {
      name: 'a certificate for another name (from the trusted CA)',
      tls: () => wrongName,
      trust: () => wrongName.caCert,
      reason: /ERR_TLS_CERT_ALTNAME_INVALID/,
    },
  ];
  for (const c of untrusted) {
    test(`${c.name} is refused at once: no request reaches the server, nothing written`, async () => {
      const s = await stub(undefined, c.tls);
      const p = pod(s.url, { SHROUD_UNSEAL_CA_PEM: c.trust() });
      const run = await unsealInit({ ...p.env, ...(c.env?.(p.dir) ?? {}) });
      const line = assertFailure(run, 'UNSEAL_INIT_TLS');
      assert.match(line, c.reason);
      assert.match(line, /nothing was sent and nothing was written$/);
      assert.equal(s.requests.length, 0, 'the stub saw a request');
      assert.equal(s.secureConnections, 0, 'a TLS session was completed');
      assert.deepEqual(tree(p.out), []);
    });
  }

  const badAnswers: Array<{ name: string; items: (asked: Array<Record<string, string>>) => unknown; line: RegExp }> = [
    {
      name: 'a key with ..',
      items: (asked) => [...asked.slice(1), { configMap: 'web-secrets', key: '../../escape', value: 'AAAA' }],
      line: /names the key "\.\.\/\.\.\/escape", which is not a plain file name/,
    },
    {
      name: 'a key with /',
      items: (asked) => [...asked.slice(1), { configMap: 'web-secrets', key: 'a/b', value: 'AAAA' }],
      line: /names the key "a\/b", which is not a plain file name/,
    },
    {
      name: 'a ConfigMap ..',
      items: (asked) => [...asked.slice(1), { configMap: '..', key: 'API_KEY', value: 'AAAA' }],
      line: /names the ConfigMap "\.\.", which is not a plain file name/,
    },
    {
      name: 'a key that was not asked for',
      items: (asked) => [...asked, { configMap: 'web-secrets', key: 'LOG_LEVEL', value: 'AAAA' }],
      line: /answers web-secrets\/LOG_LEVEL, which was not asked for/,
    },
    {
      name: 'an item left out',
      items: (asked) => asked.slice(1),
      line: /leaves out 1 item\(s\): web-secrets\/API_KEY/,
    },
    {
      name: 'a value that is not base64',
      items: (asked) => [{ ...asked[0], value: 'not base64!' }, ...asked.slice(1)],
      line: /value of web-secrets\/API_KEY is not base64/,
    },
  ];
  for (const c of badAnswers) {
    test(`an answer that does not match the request is refused: ${c.name}`, async () => {
      const s = await stub((_req, opened) => {
        const ok = opened();
        const asked = (ok.body as { items: Array<Record<string, string>> }).items;
        return { status: 200, body: { items: c.items(asked) } };
      });
      const p = pod(s.url);
      const run = await unsealInit(p.env);
      const line = assertFailure(run, 'UNSEAL_INIT_ANSWER_INVALID');
      assert.match(line, c.line);
      assert.match(line, /nothing was written$/);
      assert.deepEqual(tree(p.out), []);
      assert.deepEqual(readdirSync(p.dir).sort(), ['out', 'sealed', 'token']);
    });
  }

  test('no sealed value at all: exit 0 without calling the service', async () => {
    const s = await stub();
    const p = pod(s.url);
    const sealed = join(p.dir, 'plain-only');
    configMapVolume(sealed, 'settings', { LOG_LEVEL: 'info' });
    const run = await unsealInit({ ...p.env, SHROUD_SEALED_DIR: sealed });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(s.requests.length, 0);
    assert.match(run.stderr, /no sealed values in 1 ConfigMap\(s\)/);
  });

  const configErrors: Array<{ name: string; env: Record<string, string>; line: RegExp }> = [
    { name: 'no CA', env: { SHROUD_UNSEAL_CA_PEM: '' }, line: /CONFIG_INVALID: SHROUD_UNSEAL_CA_PEM is not set/ },
    {
      name: 'a CA that does not parse',
      env: { SHROUD_UNSEAL_CA_PEM: '-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n' },
      line: /CONFIG_INVALID: SHROUD_UNSEAL_CA_PEM: certificate #1 of the CA bundle does not parse/,
    },
    {
      name: 'an http URL',
      env: { SHROUD_UNSEAL_URL: 'http://127.0.0.1:1' },
      line: /CONFIG_INVALID: SHROUD_UNSEAL_URL must be an https URL/,
    },
    {
      name: 'a mode',
      env: { SHROUD_FILE_MODE: '0644' },
      line: /CONFIG_INVALID: SHROUD_FILE_MODE must be one of 0400, 0440/,
    },
    {
      name: 'a missing token',
      env: { SHROUD_TOKEN_FILE: '/nonexistent/token' },
      line: /UNSEAL_INIT_INPUT: cannot read the token file \/nonexistent\/token \(ENOENT\)/,
    },
  ];
  for (const c of configErrors) {
    test(`a bad setting is one line and exit 3: ${c.name}`, async () => {
      const s = await stub();
      const p = pod(s.url, c.env);
      const run = await unsealInit(p.env);
      assert.equal(run.code, 3, run.stderr);
      const lines = run.stderr.trimEnd().split('\n');
      assert.match(lines[lines.length - 1]!, c.line);
      assert.equal(s.requests.length, 0);
      assertNoSecrets(run);
    });
  }
});

/** Waits (bounded) until `done` holds; the bound is a guard against hanging, not a measurement. */
async function until(what: string, done: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !done(); i++) await sleep(50);
  assert.ok(done(), `gave up waiting for ${what}`);
}

/** What the kubelet does on a ConfigMap update: a new timestamped folder, `..data` swapped to it. */
function updateConfigMapVolume(dir: string, stamp: string, data: Record<string, string>): void {
  const old = lstatSync(join(dir, '..data')).isSymbolicLink()
    ? join(dir, readdirSync(dir).find((n) => n.startsWith('..2'))!)
    : '';
  mkdirSync(join(dir, stamp));
  for (const [key, value] of Object.entries(data)) writeFileSync(join(dir, stamp, key), value);
  symlinkSync(stamp, join(dir, '..data_tmp'));
  renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
  for (const name of readdirSync(dir)) {
    if (name.startsWith('..')) continue;
    if (!(name in data)) unlinkSync(join(dir, name));
  }
  for (const key of Object.keys(data))
    if (!existsSync(join(dir, key))) symlinkSync(join('..data', key), join(dir, key));
  if (old !== '') rmSync(old, { recursive: true });
}

test('--watch: fetches, then again when a sealed ConfigMap changes; a refused refresh keeps the files; SIGTERM stops it', async () => {
  let refuse = false;
  const s = await stub((_req, opened) =>
    refuse ? { status: 403, body: { error: { code: 'UNSEAL_FORBIDDEN', message: 'scope mismatch' } } } : opened(),
  );
  const p = pod(s.url);
  const child = spawn(process.execPath, [BIN, 'unseal-init', '--watch', '--watch-interval-ms', '100'], {
    env: { PATH: process.env.PATH ?? '', ...p.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((done) => child.once('close', done));
  const guard = setTimeout(() => child.kill('SIGKILL'), 90_000);
  try {
    const apiKey = join(p.out, 'web-secrets', 'API_KEY');
    await until('the first files', () => /watching 2 sealed ConfigMap/.test(stderr));
    assert.deepEqual(readFileSync(apiKey), PLAIN.get(SEALED.API_KEY));

    // The ConfigMap is updated: API_KEY sealed anew, DB_PASSWORD gone.
    updateConfigMapVolume(join(p.dir, 'sealed', 'web-secrets'), '..2026_11_30_00_10_00.000000001', {
      API_KEY: 'shroud:v1:EEEE-rotated-api-key',
      TLS_KEY: SEALED.TLS_KEY,
    });
    await until('the refreshed file', () => readFileSync(apiKey).equals(PLAIN.get('shroud:v1:EEEE-rotated-api-key')!));
    await until('the second fetch to finish', () => (stderr.match(/wrote \d+ file/g) ?? []).length === 2);
    assert.equal(s.requests.length, 2);
    assert.deepEqual(
      (s.requests[1]!.body as { items: Array<{ key: string }> }).items.map((i) => i.key),
      ['API_KEY', 'TLS_KEY', 'WORKER_TOKEN'],
    );
    assert.deepEqual(readdirSync(join(p.out, 'web-secrets')).sort(), ['API_KEY', 'TLS_KEY']);
    assert.equal(statSync(apiKey).mode & 0o777, 0o400);
    assert.equal(statSync(join(p.out, 'web-secrets')).mode & 0o777, 0o500);

    // The next update is refused: the process stays up and the files stay as they were.
    refuse = true;
    updateConfigMapVolume(join(p.dir, 'sealed', 'web-secrets'), '..2026_11_30_00_20_00.000000002', {
      API_KEY: SEALED.API_KEY,
    });
    await until('the refusal', () => /UNSEAL_INIT_REFUSED: .*the files stay as they were/.test(stderr));
    assert.equal(child.exitCode, null);
    assert.deepEqual(readFileSync(apiKey), PLAIN.get('shroud:v1:EEEE-rotated-api-key'));
    assert.deepEqual(readdirSync(join(p.out, 'web-secrets')).sort(), ['API_KEY', 'TLS_KEY']);

    child.kill('SIGTERM');
    assert.equal(await exited, 0, stderr);
    assert.match(stderr, /shroud-unseal: stopped\n$/);
    assertNoSecrets({ code: 0, stdout, stderr });
  } finally {
    clearTimeout(guard);
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});
