/**
 * The pkcs11 provider end to end through the command line, against a real SoftHSM2 token:
 * `shroud keys init --provider pkcs11`, `encrypt`, `decrypt`, `keys rotate|rewrap|retire|shred|status`,
 * and `serve --role unseal --kek-provider pkcs11` (a real process from the built dist/) opening a
 * value for a pod (TokenReviews from a fake kube-apiserver), its /readyz reporting the token. The
 * PIN never appears in any output or log line; the value never in a log line.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse as parseYaml } from 'yaml';
import { parseEnvelope } from '../../src/crypto/index.js';
import { runCli } from '../helpers/cli.js';
import { type FakeApiServer, jwtLike, podToken, startFakeApiServer } from '../helpers/fake-apiserver.js';
import { httpsCall } from '../helpers/https.js';
import { requireSoftHsm, type SoftHsm, softHsmTestOptions } from '../helpers/softhsm.js';
import { tempDir } from '../helpers/temp-dir.js';
import { unsealCall } from '../helpers/unseal-client.js';

const BIN = new URL('../../bin/shroud.js', import.meta.url).pathname;
const PIN = 'canary-cli-pin-71ac2e';
const CANARY = 'canary-pkcs11-cli-value-0b9d';
const TOKEN = jwtLike(600);
const options = softHsmTestOptions();

let hsm: SoftHsm;
let api: FakeApiServer | undefined;
let cwd = '';
let pkcs11: string[] = [];
/** Everything the commands printed, for the canary check. */
const outputs: string[] = [];

before(() => {
  if (options.skip !== undefined) return;
  hsm = requireSoftHsm();
  hsm.initToken('cli-token', PIN);
  cwd = tempDir('shroud-pkcs11-cli-');
  writeFileSync(join(cwd, 'pin'), `${PIN}\n`, { mode: 0o600 });
  pkcs11 = ['--pkcs11-module', hsm.module, '--pkcs11-token', 'cli-token', '--pkcs11-pin-file', 'pin'];
});
after(() => api?.close());

async function shroud(argv: string[], env: Record<string, string> = {}) {
  const r = await runCli(argv, { cwd, env });
  outputs.push(r.stdout, r.stderr);
  return r;
}

const ENCRYPT = ['encrypt', '--namespace', 'web', '--service-account', 'api', '--name', 'web-secrets'];

test('keys init --provider pkcs11 creates the key in the token; status lists it', options, async () => {
  const init = await shroud(['keys', 'init', '--provider', 'pkcs11', ...pkcs11]);
  assert.equal(init.code, 0, init.stderr);
  assert.match(
    init.stdout,
    /Created pkcs11 key shroud-kek .* version 1 \(object shroud-kek\.v1, key tag [0-9a-f]{32}\), primary/,
  );
  const again = await shroud(['keys', 'init', '--provider', 'pkcs11', ...pkcs11]);
  assert.equal(again.code, 3);
  assert.match(again.stderr, /HSM_KEY_EXISTS/);
  const status = await shroud(['keys', 'status', '--kek-provider', 'pkcs11', ...pkcs11, '-o', 'json']);
  assert.equal(status.code, 0, status.stderr);
  const json = JSON.parse(status.stdout) as { provider: string; versions: { version: number; state: string }[] };
  assert.equal(json.provider, 'pkcs11');
  assert.deepEqual(
    json.versions.map((v) => [v.version, v.state]),
    [[1, 'primary']],
  );
});

test(
  'settings: a missing module, token or PIN is CONFIG_INVALID; the PIN may come from SHROUD_PKCS11_PIN',
  options,
  async () => {
    const cases = [
      {
        name: 'no module',
        argv: ['--pkcs11-token', 'cli-token', '--pkcs11-pin-file', 'pin'],
        want: /--pkcs11-module FILE/,
      },
      {
        name: 'no token',
        argv: ['--pkcs11-module', hsm.module, '--pkcs11-pin-file', 'pin'],
        want: /--pkcs11-token LABEL/,
      },
      {
        name: 'no PIN',
        argv: ['--pkcs11-module', hsm.module, '--pkcs11-token', 'cli-token'],
        want: /SHROUD_PKCS11_PIN/,
      },
    ];
    for (const c of cases) {
      const r = await shroud(['keys', 'status', '--kek-provider', 'pkcs11', ...c.argv]);
      assert.equal(r.code, 3, c.name);
      assert.match(r.stderr, /CONFIG_INVALID/, c.name);
      assert.match(r.stderr, c.want, c.name);
    }
    const fromEnv = await shroud(['keys', 'status', '--kek-provider', 'pkcs11', '--pkcs11-module', hsm.module], {
      SHROUD_PKCS11_TOKEN: 'cli-token',
      SHROUD_PKCS11_PIN: PIN,
    });
    assert.equal(fromEnv.code, 0, fromEnv.stderr);
    assert.match(fromEnv.stdout, /shroud-kek\.v1/);
    const exportPublic = await shroud(['keys', 'export-public', '--kek-provider', 'pkcs11', ...pkcs11]);
    assert.equal(exportPublic.code, 2);
    assert.match(exportPublic.stderr, /no public sealing key/);
  },
);

let manifest = '';

test('encrypt and decrypt with --kek-provider pkcs11', options, async () => {
  const sealed = await shroud([
    ...ENCRYPT,
    '--kek-provider',
    'pkcs11',
    ...pkcs11,
    '--from-literal',
    `API_KEY=${CANARY}`,
  ]);
  assert.equal(sealed.code, 0, sealed.stderr);
  manifest = sealed.stdout;
  const value = (parseYaml(manifest) as { data: { API_KEY: string } }).data.API_KEY;
  assert.deepEqual(
    {
      provider: parseEnvelope(value).key.provider,
      keyId: parseEnvelope(value).key.keyId,
      version: parseEnvelope(value).key.version,
    },
    { provider: 'pkcs11', keyId: 'shroud-kek', version: 1 },
  );
  writeFileSync(join(cwd, 'sealed.yaml'), manifest);
  const opened = await runCli(['decrypt', '--kek-provider', 'pkcs11', ...pkcs11, 'sealed.yaml'], { cwd });
  assert.equal(opened.code, 0, opened.stderr);
  assert.match(opened.stdout, new RegExp(`API_KEY: ${CANARY}`));
  // The local keyring cannot open it: another provider.
  await shroud(['keys', 'init']);
  const local = await shroud(['decrypt', 'sealed.yaml']);
  assert.equal(local.code, 3);
  assert.match(local.stderr, /CRYPTO_UNKNOWN_KEY: .*sealed with KEK provider "pkcs11"/);
});

test('rotate, rewrap, retire and shred through the command line', options, async () => {
  const rotate = await shroud(['keys', 'rotate', '--provider', 'pkcs11', ...pkcs11]);
  assert.equal(rotate.code, 0, rotate.stderr);
  assert.match(rotate.stdout, /Version 2 of pkcs11 key shroud-kek .* is now primary/);
  writeFileSync(join(cwd, 'rewrapped.yaml'), manifest);
  const rewrap = await shroud(['keys', 'rewrap', '--provider', 'pkcs11', ...pkcs11, 'rewrapped.yaml']);
  assert.equal(rewrap.code, 0, rewrap.stderr);
  const value = (parseYaml(readFileSync(join(cwd, 'rewrapped.yaml'), 'utf8')) as { data: { API_KEY: string } }).data
    .API_KEY;
  assert.equal(parseEnvelope(value).key.version, 2);
  assert.equal((await shroud(['keys', 'retire', '--provider', 'pkcs11', ...pkcs11, '--version', '1'])).code, 0);
  const dry = await shroud(['keys', 'shred', '--provider', 'pkcs11', ...pkcs11, '--version', '1', 'sealed.yaml']);
  assert.equal(dry.code, 2);
  assert.match(dry.stderr, /1 value\(s\) would become unreadable:\n {2}sealed\.yaml:\d+ API_KEY/);
  const shred = await shroud(['keys', 'shred', '--provider', 'pkcs11', ...pkcs11, '--version', '1', '--yes']);
  assert.equal(shred.code, 0, shred.stderr);
  const status = await shroud(['keys', 'status', '--provider', 'pkcs11', ...pkcs11]);
  assert.match(status.stdout, /\n\s+1 {2}destroyed .*\(destroyed\)\n\s+2 {2}primary /);
  const old = await shroud(['decrypt', '--kek-provider', 'pkcs11', ...pkcs11, 'sealed.yaml']);
  assert.equal(old.code, 3);
  assert.match(old.stderr, /CRYPTO_KEY_DESTROYED/);
  const fresh = await runCli(['decrypt', '--kek-provider', 'pkcs11', ...pkcs11, 'rewrapped.yaml'], { cwd });
  assert.equal(fresh.code, 0, fresh.stderr);
  assert.match(fresh.stdout, new RegExp(CANARY));
});

test(
  'serve --role unseal --kek-provider pkcs11 (a real process) opens a value for its pod; /readyz reports the token',
  options,
  async () => {
    api = await startFakeApiServer(tempDir('shroud-pkcs11-api-'));
    api.tokens.set(TOKEN, podToken({ namespace: 'web', serviceAccount: 'api' }));
    const value = (parseYaml(readFileSync(join(cwd, 'rewrapped.yaml'), 'utf8')) as { data: { API_KEY: string } }).data
      .API_KEY;
    const dir = tempDir('shroud-pkcs11-serve-');
    const server = spawn(process.execPath, [BIN, 'serve', '--listen', '127.0.0.1:0', '--role', 'unseal'], {
      cwd: dir,
      env: {
        PATH: process.env.PATH ?? '',
        ...hsm.env,
        SHROUD_KUBECONFIG: api.kubeconfig,
        SHROUD_SHUTDOWN_DELAY_MS: '0',
        SHROUD_POLL_INTERVAL_MS: '200',
        SHROUD_LOG_LEVEL: 'debug',
        SHROUD_METRICS_LISTEN: '127.0.0.1:0',
        SHROUD_KEK_PROVIDER: 'pkcs11',
        SHROUD_PKCS11_MODULE: hsm.module,
        SHROUD_PKCS11_TOKEN: 'cli-token',
        SHROUD_PKCS11_PIN_FILE: join(cwd, 'pin'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    server.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
    server.stderr!.setEncoding('utf8').on('data', (c: string) => (out += c));
    const exited = new Promise((done) => server.once('exit', done));
    try {
      let port = 0;
      for (let i = 0; i < 600 && port === 0 && server.exitCode === null; i++) {
        port = Number(/listening on https:\/\/127\.0\.0\.1:(\d+)/.exec(out)?.[1] ?? 0);
        if (port === 0) await sleep(50);
      }
      assert.ok(port > 0, `serve did not start:\n${out}`);
      const ca = readFileSync(join(dir, 'certs', 'ca.crt'), 'utf8');
      const ready = await httpsCall(port, ca, '/readyz');
      assert.equal(ready.status, 200, ready.body);
      const kek = (JSON.parse(ready.body) as { checks: Record<string, Record<string, unknown>> }).checks.kek!;
      assert.deepEqual(
        { ok: kek.ok, provider: kek.provider, token: kek.token, primaryVersion: kek.primaryVersion },
        { ok: true, provider: 'pkcs11', token: 'cli-token', primaryVersion: 2 },
      );
      const r = await unsealCall(port, ca, TOKEN, { items: [{ configMap: 'web-secrets', key: 'API_KEY', value }] });
      assert.equal(r.status, 200, r.body);
      assert.equal(Buffer.from(r.json.items![0]!.value!, 'base64').toString(), CANARY);
      const destroyed = (parseYaml(manifest) as { data: { API_KEY: string } }).data.API_KEY;
      const gone = await unsealCall(port, ca, TOKEN, {
        items: [{ configMap: 'web-secrets', key: 'API_KEY', value: destroyed }],
      });
      assert.equal(gone.status, 403);
      assert.equal(gone.json.items?.[0]?.code, 'CRYPTO_KEY_DESTROYED');
    } finally {
      if (server.exitCode === null) server.kill('SIGTERM');
      await exited;
      outputs.push(out);
    }
    assert.match(out, /"msg":"KEK provider ready"/, 'the log says which provider');
    assert.ok(!out.includes(CANARY), 'the value is not in the log');
  },
);

test('serve --role unseal with a wrong PIN does not start: HSM_LOGIN_FAILED, PIN not shown', options, async () => {
  writeFileSync(join(cwd, 'bad-pin'), 'canary-wrong-pin-55\n');
  const dir = tempDir('shroud-pkcs11-badpin-');
  const r = await runCli(['serve', '--listen', '127.0.0.1:0', '--role', 'unseal'], {
    cwd: dir,
    env: {
      SHROUD_LOG_LEVEL: 'silent',
      SHROUD_KUBECONFIG: api!.kubeconfig,
      SHROUD_KEK_PROVIDER: 'pkcs11',
      SHROUD_PKCS11_MODULE: hsm.module,
      SHROUD_PKCS11_TOKEN: 'cli-token',
      SHROUD_PKCS11_PIN_FILE: join(cwd, 'bad-pin'),
    },
  });
  outputs.push(r.stdout, r.stderr);
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /HSM_LOGIN_FAILED/);
  assert.ok(!r.stderr.includes('canary-wrong-pin-55'));
});

test('canary: the PIN appears in no output, log or error', options, () => {
  assert.ok(outputs.length > 10);
  for (const text of outputs) assert.ok(!text.includes(PIN), 'the PIN is never printed');
});
