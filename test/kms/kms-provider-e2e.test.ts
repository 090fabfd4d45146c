/**
 * The `kms` KEK provider and `shroud kms-plugin` wired end to end, every command a real process
 * (the built dist/):
 * - `kms-plugin` on the local keyring; `encrypt`/`decrypt --kek-provider kms`; `serve --role unseal
 *   --kek-provider kms` opening the value for its pod, /readyz naming the key_id; `keys rotate` on
 *   the plugin's keyring, then `keys status --kek-provider kms` shows the new key_id and `keys
 *   rewrap --kek-provider kms` moves a file to it; the keys subcommands the KMS owns are refused.
 * - with the plugin down: `serve` starts and says not ready, `keys status` says UNHEALTHY (exit 3), `encrypt` fails typed.
 * - `kms-plugin --kek-provider pkcs11` on a SoftHSM token, for an upstream-style client.
 * The sealed value (and the token's PIN) never appear in any process output, except decrypt's stdout.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse as parseYaml } from 'yaml';
import { parseEnvelope } from '../../src/crypto/index.js';
import { type FakeApiServer, jwtLike, podToken, startFakeApiServer } from '../helpers/fake-apiserver.js';
import { httpsCall } from '../helpers/https.js';
import { requireSoftHsm, softHsmTestOptions } from '../helpers/softhsm.js';
import { tempDir } from '../helpers/temp-dir.js';
import { unsealCall } from '../helpers/unseal-client.js';
import { upstreamClient } from './upstream-client.js';

const BIN = new URL('../../bin/shroud.js', import.meta.url).pathname;
const CANARY = 'canary-kms-e2e-value-5d21f0';
const PIN = 'canary-kms-e2e-pin-93be';
const TOKEN = jwtLike(600);
const ENCRYPT = ['encrypt', '--namespace', 'web', '--service-account', 'api', '--name', 'web-secrets'];

/** Every output of every process, for the canary check at the end. */
const outputs: string[] = [];
const apis: FakeApiServer[] = [];
after(() => {
  for (const api of apis) api.close();
});

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `shroud ARGV` as a process to its end (bounded at 30 s). */
function shroud(argv: string[], cwd: string, env: Record<string, string> = {}, keep = true): Promise<Result> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, ...argv], {
      cwd,
      env: { PATH: process.env.PATH ?? '', SHROUD_LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const r: Result = { code: null, stdout: '', stderr: '' };
    child.stdout.setEncoding('utf8').on('data', (c: string) => (r.stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (r.stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('close', (code) => {
      clearTimeout(timer);
      r.code = code;
      if (keep) outputs.push(r.stdout, r.stderr);
      else outputs.push(r.stderr);
      done(r);
    });
  });
}

/** Starts a long-running `shroud ARGV`; resolves once its output matches `ready`. */
async function startProcess(argv: string[], cwd: string, env: Record<string, string>, ready: RegExp) {
  const child = spawn(process.execPath, [BIN, ...argv], {
    cwd,
    env: { PATH: process.env.PATH ?? '', SHROUD_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = { text: '' };
  child.stdout.setEncoding('utf8').on('data', (c: string) => (out.text += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (out.text += c));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  let match: RegExpExecArray | null = null;
  for (let i = 0; i < 600 && match === null && child.exitCode === null; i++) {
    match = ready.exec(out.text);
    if (match === null) await sleep(50);
  }
  if (match === null) {
    child.kill('SIGKILL');
    assert.fail(`${argv.join(' ')} did not start:\n${out.text}`);
  }
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    const code = await exited;
    outputs.push(out.text);
    return code;
  };
  return { match, out, stop };
}

function apiKeyOf(manifest: string): string {
  return (parseYaml(manifest) as { data: { API_KEY: string } }).data.API_KEY;
}

async function readyz(port: number, ca: string) {
  const r = await httpsCall(port, ca, '/readyz');
  return {
    status: r.status,
    kek: (JSON.parse(r.body) as { checks: Record<string, Record<string, unknown>> }).checks.kek!,
  };
}

async function startUnseal(dir: string, socket: string, api: FakeApiServer) {
  const server = await startProcess(
    ['serve', '--listen', '127.0.0.1:0', '--role', 'unseal', '--kek-provider', 'kms', '--kms-socket', socket],
    dir,
    {
      SHROUD_KUBECONFIG: api.kubeconfig,
      SHROUD_SHUTDOWN_DELAY_MS: '0',
      SHROUD_LOG_LEVEL: 'debug',
      SHROUD_METRICS_LISTEN: '127.0.0.1:0',
    },
    /listening on https:\/\/127\.0\.0\.1:(\d+)/,
  );
  return { ...server, port: Number(server.match[1]), ca: readFileSync(join(dir, 'certs', 'ca.crt'), 'utf8') };
}

test('kms provider end to end: kms-plugin on a keyring, encrypt, serve --role unseal, rotate, status, rewrap', async () => {
  const dir = tempDir('shroud-kms-e2e-');
  const keyring = join(dir, 'plugin', 'keyring.json');
  const socket = join(dir, 'kms.sock');
  const kms = ['--kek-provider', 'kms', '--kms-socket', socket];
  const init = await shroud(['keys', 'init', '--keyring', keyring], dir);
  assert.equal(init.code, 0, init.stderr);
  const plugin = await startProcess(
    ['kms-plugin', '--socket', socket, '--keyring', keyring, '--poll-interval-ms', '200'],
    dir,
    {},
    /kms-plugin listening on unix:/,
  );
  const api = await startFakeApiServer(tempDir('shroud-kms-e2e-api-'));
  apis.push(api);
  api.tokens.set(TOKEN, podToken({ namespace: 'web', serviceAccount: 'api' }));
  try {
    const sealed = await shroud([...ENCRYPT, ...kms, '--from-literal', `API_KEY=${CANARY}`], dir);
    assert.equal(sealed.code, 0, sealed.stderr);
    const value = apiKeyOf(sealed.stdout);
    const firstKeyId = parseEnvelope(value).key.keyId;
    assert.equal(parseEnvelope(value).key.provider, 'kms');
    assert.match(firstKeyId, /^local:[0-9a-f]+:v1:[0-9a-f]{32}$/, 'the plugin key_id of the keyring version 1');
    writeFileSync(join(dir, 'sealed.yaml'), sealed.stdout);

    const opened = await shroud(['decrypt', ...kms, 'sealed.yaml'], dir, {}, false);
    assert.equal(opened.code, 0, opened.stderr);
    assert.match(opened.stdout, new RegExp(`API_KEY: ${CANARY}`));

    const serveDir = tempDir('shroud-kms-e2e-serve-');
    const server = await startUnseal(serveDir, socket, api);
    try {
      const ready = await readyz(server.port, server.ca);
      assert.equal(ready.status, 200, JSON.stringify(ready.kek));
      assert.deepEqual(
        { ok: ready.kek.ok, provider: ready.kek.provider, socket: ready.kek.socket, keyId: ready.kek.keyId },
        { ok: true, provider: 'kms', socket, keyId: firstKeyId },
      );
      const r = await unsealCall(server.port, server.ca, TOKEN, {
        items: [{ configMap: 'web-secrets', key: 'API_KEY', value }],
      });
      assert.equal(r.status, 200, r.body);
      assert.equal(Buffer.from(r.json.items![0]!.value!, 'base64').toString(), CANARY);
    } finally {
      assert.equal(await server.stop(), 0, server.out.text);
    }

    // The KMS (here: the plugin's keyring) rotates; Shroud sees the new key_id at the next Status.
    const rotate = await shroud(['keys', 'rotate', '--keyring', keyring], dir);
    assert.equal(rotate.code, 0, rotate.stderr);
    let report: { healthy: boolean; currentKeyId?: string } = { healthy: false };
    for (let i = 0; i < 100; i++) {
      const status = await shroud(['keys', 'status', '--output', 'json', ...kms], dir);
      assert.equal(status.code, 0, status.stderr);
      report = JSON.parse(status.stdout) as typeof report;
      if (report.currentKeyId !== firstKeyId) break;
      await sleep(100);
    }
    assert.equal(report.healthy, true);
    assert.match(report.currentKeyId ?? '', /^local:[0-9a-f]+:v2:[0-9a-f]{32}$/, 'the new key_id');
    const text = await shroud(['keys', 'status', '--provider', 'kms', '--kms-socket', socket], dir);
    assert.equal(text.code, 0, text.stderr);
    assert.ok(text.stdout.includes(`current key_id: ${report.currentKeyId}`), text.stdout);

    copyFileSync(join(dir, 'sealed.yaml'), join(dir, 'rewrapped.yaml'));
    const rewrap = await shroud(['keys', 'rewrap', ...kms, 'rewrapped.yaml'], dir);
    assert.equal(rewrap.code, 0, rewrap.stderr);
    const moved = apiKeyOf(readFileSync(join(dir, 'rewrapped.yaml'), 'utf8'));
    assert.equal(parseEnvelope(moved).key.keyId, report.currentKeyId, 'rewrap moved the value to the new key_id');
    const reopened = await shroud(['decrypt', ...kms, 'rewrapped.yaml'], dir, {}, false);
    assert.equal(reopened.code, 0, reopened.stderr);
    assert.match(reopened.stdout, new RegExp(`API_KEY: ${CANARY}`));

    for (const sub of [
      ['init'],
      ['rotate'],
      ['retire', '--version', '1'],
      ['shred', '--version', '1', '--yes'],
      ['export-public'],
    ]) {
      const refused = await shroud(['keys', ...sub, ...kms], dir);
      assert.equal(refused.code, 2, `keys ${sub[0]}: ${refused.stderr}`);
      assert.match(
        refused.stderr,
        /CLI_USAGE: keys \S+ does not apply to --kek-provider kms: the KMS .* manages its keys/,
      );
    }
    const noSocket = await shroud(['keys', 'status', '--kek-provider', 'kms'], dir);
    assert.equal(noSocket.code, 3, noSocket.stderr);
    assert.match(noSocket.stderr, /CONFIG_INVALID: --kek-provider kms also needs --kms-socket PATH/);
    const loop = await shroud(['kms-plugin', '--socket', join(dir, 'other.sock'), '--kek-provider', 'kms'], dir);
    assert.equal(loop.code, 2, loop.stderr);
    assert.match(loop.stderr, /kms-plugin cannot use --kek-provider kms/);
  } finally {
    assert.equal(await plugin.stop(), 0, plugin.out.text);
  }
  for (const text of outputs) assert.ok(!text.includes(CANARY), `the value is not in any output:\n${text}`);
});

test('plugin down: serve --role unseal --kek-provider kms starts and says not ready; keys status says UNHEALTHY; encrypt fails typed', async () => {
  const api = await startFakeApiServer(tempDir('shroud-kms-e2e-api-'));
  apis.push(api);
  const dir = tempDir('shroud-kms-e2e-down-');
  const socket = join(dir, 'absent.sock');
  const server = await startUnseal(dir, socket, api);
  try {
    const ready = await readyz(server.port, server.ca);
    assert.equal(ready.status, 503);
    assert.equal(ready.kek.ok, false);
    assert.equal(ready.kek.provider, 'kms');
    assert.equal(typeof ready.kek.message, 'string');
  } finally {
    assert.equal(await server.stop(), 0, server.out.text);
  }
  assert.match(server.out.text, /KMS v2 plugin not healthy yet/);
  const kms = ['--kek-provider', 'kms', '--kms-socket', socket, '--kms-timeout-ms', '1000'];
  const status = await shroud(['keys', 'status', ...kms], dir);
  assert.equal(status.code, 3, status.stderr);
  assert.match(status.stdout, new RegExp(`KMS v2 plugin at ${socket} \\(provider kms\\): UNHEALTHY: `));
  const sealed = await shroud([...ENCRYPT, ...kms, '--from-literal', `API_KEY=${CANARY}`], dir);
  assert.equal(sealed.code, 3, sealed.stderr);
  assert.match(sealed.stderr, /CRYPTO_PROVIDER_(UNAVAILABLE|TIMEOUT): /);
  for (const text of outputs) assert.ok(!text.includes(CANARY), 'the value is not in any output');
});

test(
  'kms-plugin --kek-provider pkcs11 on a SoftHSM token answers an upstream client',
  softHsmTestOptions(),
  async () => {
    const hsm = requireSoftHsm();
    hsm.initToken('kms-token', PIN);
    const dir = tempDir('shroud-kms-e2e-hsm-');
    writeFileSync(join(dir, 'pin'), `${PIN}\n`, { mode: 0o600 });
    const pkcs11 = ['--kek-provider', 'pkcs11', '--pkcs11-module', hsm.module, '--pkcs11-token', 'kms-token'];
    const init = await shroud(['keys', 'init', ...pkcs11, '--pkcs11-pin-file', 'pin'], dir, hsm.env);
    assert.equal(init.code, 0, init.stderr);
    const socket = join(dir, 'kms.sock');
    const plugin = await startProcess(
      ['kms-plugin', '--socket', socket, ...pkcs11, '--poll-interval-ms', '200'],
      dir,
      { ...hsm.env, SHROUD_PKCS11_PIN: PIN },
      /kms-plugin listening on unix:/,
    );
    const client = upstreamClient(socket);
    const plaintext = Buffer.from(CANARY.padEnd(32, '.'));
    try {
      const status = await client.status();
      assert.equal(status.healthz, 'ok');
      const encrypted = await client.encrypt(plaintext);
      assert.equal(encrypted.key_id, status.key_id);
      assert.ok(!encrypted.ciphertext.includes(plaintext), 'the ciphertext does not hold the plaintext');
      assert.deepEqual(await client.decrypt(encrypted), plaintext);

      const rotate = await shroud(['keys', 'rotate', ...pkcs11], dir, { ...hsm.env, SHROUD_PKCS11_PIN: PIN });
      assert.equal(rotate.code, 0, rotate.stderr);
      let after = await client.status();
      for (let i = 0; i < 100 && after.key_id === status.key_id; i++) {
        await sleep(100);
        after = await client.status();
      }
      assert.notEqual(after.key_id, status.key_id, 'Status reports the token key rotated without a restart');
      assert.equal((await client.encrypt(plaintext)).key_id, after.key_id);
      assert.deepEqual(await client.decrypt(encrypted), plaintext, 'the older ciphertext still decrypts');
    } finally {
      client.close();
      assert.equal(await plugin.stop(), 0, plugin.out.text);
    }
    assert.match(plugin.out.text, /"keys":"the pkcs11 key shroud-kek in token kms-token/);
    for (const text of outputs) {
      assert.ok(!text.includes(CANARY), 'the plaintext is not in any output');
      assert.ok(!text.includes(plaintext.toString('base64')), 'nor its base64');
      assert.ok(!text.includes(PIN), 'the PIN is not in any output');
    }
  },
);
