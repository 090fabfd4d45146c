import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { httpsCall } from '../helpers/https.js';
import { admissionReview, CANARY, podWithCanary } from '../helpers/reviews.js';

const repo = resolve(import.meta.dirname, '..', '..');

/** Runs the real bin in `cwd` until it exits by itself (a start-up failure). */
async function runToExit(argv: string[], cwd: string): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [join(repo, 'bin', 'shroud.js'), ...argv], {
    cwd,
    env: { ...process.env, SHROUD_METRICS_LISTEN: '127.0.0.1:0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((done) => child.once('exit', done));
  return { code, stderr };
}

test('shroud serve (real process): dev certs on first run, serves, drains an in-flight request on SIGTERM, exits 0', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'shroud-serve-'));
  const child = spawn(
    process.execPath,
    [
      join(repo, 'bin', 'shroud.js'),
      'serve',
      '--listen',
      '127.0.0.1:0',
      // No --cert-dir: dev certificates are made only in the default folder (certs/ under cwd).
      '--policies',
      join(repo, 'policies'),
    ],
    {
      cwd: dir,
      env: { ...process.env, SHROUD_LOG_LEVEL: 'info', SHROUD_METRICS_LISTEN: '127.0.0.1:0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  try {
    const deadline = Date.now() + 20_000;
    let port = 0;
    while (port === 0) {
      const m = /listening on https:\/\/127\.0\.0\.1:(\d+)/.exec(stderr);
      if (m) port = Number(m[1]);
      else if (Date.now() > deadline || child.exitCode !== null) assert.fail(`serve did not start:\n${stderr}`);
      else await sleep(50);
    }
    assert.equal(statSync(join(dir, 'certs', 'tls.key')).mode & 0o777, 0o600);
    const ca = readFileSync(join(dir, 'certs', 'ca.crt'), 'utf8');
    const readyz = await httpsCall(port, ca, '/readyz');
    assert.equal(readyz.status, 200);
    const keyringCheck = JSON.parse(readyz.body).checks.keyring;
    assert.equal(keyringCheck.primaryVersion, 1);
    assert.deepEqual(keyringCheck.versions, [{ version: 1, state: 'primary' }]);
    assert.equal(
      statSync(join(dir, '.shroud', 'keyring.json')).mode & 0o777,
      0o600,
      'dev keyring made on first run, 0600',
    );
    // /readyz is a summary: no key material (the base64url keys of every version) appears in it.
    // Comparing lengths broke as /readyz grew more checks.
    const keyringText = readFileSync(join(dir, '.shroud', 'keyring.json'), 'utf8');
    const secrets = [...keyringText.matchAll(/"([A-Za-z0-9_-]{32,})"/g)].map((m) => m[1]!);
    assert.ok(secrets.length > 0, 'the keyring file holds key material');
    for (const secret of secrets) assert.ok(!readyz.body.includes(secret), 'no key material on /readyz');

    // Send the headers and half the body, then SIGTERM: the request is in flight and must finish.
    const body = JSON.stringify(admissionReview(podWithCanary()));
    const half = Math.floor(body.length / 2);
    const answer = new Promise<{ status: number; text: string }>((done, fail) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path: '/validate',
          method: 'POST',
          ca,
          servername: 'localhost',
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => done({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on('error', fail);
      req.write(body.slice(0, half));
      setTimeout(() => {
        child.kill('SIGTERM');
        setTimeout(() => req.end(body.slice(half)), 300);
      }, 200);
    });
    const r = await answer;
    assert.equal(r.status, 200);
    const response = JSON.parse(r.text).response;
    assert.equal(response.uid, 'd9e4c7a1-0000-4000-8000-000000000001');
    assert.equal(response.allowed, false, 'the built-in policies are enforced');
    assert.match(response.status.message, /\[disallow-secret-env\/secret-env-var\] spec\.containers\[0\]\.env\[1\]/);
    assert.ok(!r.text.includes(CANARY));
    assert.equal(await exited, 0);
    const lines = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { msg: string });
    assert.ok(lines.some((l) => l.msg === 'generated dev certificates'));
    assert.ok(lines.some((l) => l.msg === 'decision'));
    const msgs = lines.map((l) => l.msg);
    const stopping = msgs.indexOf('shutting down');
    assert.ok(
      stopping >= 0 && msgs.lastIndexOf('decision') > stopping,
      'the in-flight review was answered while draining',
    );
    assert.equal(msgs.at(-1), 'stopped');
    assert.ok(!stdout.includes(CANARY) && !stderr.includes(CANARY), 'no secret value in the output');
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('shroud serve refuses to start on a bad policy file and names its file and line', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'shroud-serve-'));
  try {
    mkdirSync(join(dir, 'policies'));
    writeFileSync(
      join(dir, 'policies', 'broken.yaml'),
      'apiVersion: policy.shroud.dev/v1\nkind: Policy\nmetadata: {name: broken}\nspec:\n  enforcement: deny\n  match: {kinds: [Pod]}\n  rules:\n    - name: r\n      select: "$.spec"\n      when:\n        - {path: "$.x", anyof: [a]}\n      message: m\n',
    );
    const { code, stderr } = await runToExit(['serve', '--listen', '127.0.0.1:0', '--policies', 'policies'], dir);
    assert.equal(code, 3);
    assert.match(stderr, /broken\.yaml:11:\d+: .*anyof.*anyOf/);
    assert.match(stderr, /not starting/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('shroud serve checks the keyring at start-up: missing (dev keyring off) or world-readable is refused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'shroud-serve-'));
  try {
    const base = ['serve', '--listen', '127.0.0.1:0', '--policies', join(repo, 'policies')];
    const missing = await runToExit([...base, '--no-dev-keyring'], dir);
    assert.equal(missing.code, 3);
    assert.match(missing.stderr, /CRYPTO_KEYRING_NOT_FOUND: /);

    mkdirSync(join(dir, 'keys'));
    const init = await runToExit(['keys', 'init', '--keyring', join(dir, 'keys', 'k.json')], dir);
    assert.equal(init.code, 0, init.stderr);
    chmodSync(join(dir, 'keys', 'k.json'), 0o644);
    const open = await runToExit([...base, '--keyring', join(dir, 'keys', 'k.json')], dir);
    assert.equal(open.code, 3);
    assert.match(open.stderr, /CRYPTO_KEYRING_PERMISSIONS: /);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('shroud serve --no-dev-certs fails clearly when the certificates are missing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'shroud-serve-'));
  try {
    const { code, stderr } = await runToExit(
      ['serve', '--listen', '127.0.0.1:0', '--no-dev-certs', '--policies', join(repo, 'policies')],
      dir,
    );
    assert.equal(code, 3);
    assert.match(stderr, /TLS_FILES_MISSING: no tls\.crt and tls\.key in /);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
