import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { httpsCall } from '../helpers/https.js';
import { admissionReview, CANARY, podWithCanary } from '../helpers/reviews.js';

const repo = resolve(import.meta.dirname, '..', '..');

test('shroud serve --workers 2: workers share one port, a dead worker is replaced, SIGTERM stops all with exit 0', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'shroud-workers-'));
  const child = spawn(
    process.execPath,
    [join(repo, 'bin', 'shroud.js'), 'serve', '--listen', '127.0.0.1:0', '--workers', '2'],
    {
      cwd: dir,
      env: {
        ...process.env,
        SHROUD_LOG_LEVEL: 'warn',
        SHROUD_SHUTDOWN_DELAY_MS: '100',
        SHROUD_METRICS_LISTEN: '127.0.0.1:0',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const listening = () =>
    [...stderr.matchAll(/listening on https:\/\/127\.0\.0\.1:(\d+) \(worker pid (\d+)\)/g)].map((m) => ({
      port: Number(m[1]),
      pid: Number(m[2]),
    }));
  const waitFor = async (count: number) => {
    const deadline = Date.now() + 30_000;
    while (listening().length < count) {
      if (Date.now() > deadline || child.exitCode !== null) assert.fail(`workers did not start:\n${stderr}`);
      await sleep(50);
    }
  };
  try {
    await waitFor(2);
    const [first, second] = listening();
    assert.equal(first?.port, second?.port, 'both workers share one listener');
    assert.notEqual(first?.pid, second?.pid);
    assert.match(stderr, /generated a dev CA/, 'dev certificates were made once, by the primary');
    assert.equal(stderr.match(/generated a dev CA/g)?.length, 1);
    const port = first!.port;
    const ca = readFileSync(join(dir, 'certs', 'ca.crt'), 'utf8');
    const review = async () =>
      JSON.parse((await httpsCall(port, ca, '/validate', { body: admissionReview(podWithCanary()) })).body).response;
    assert.equal((await review()).allowed, false, 'the built-in policies are enforced');

    process.kill(first!.pid, 'SIGKILL');
    await waitFor(3);
    const replacement = listening()[2]!;
    assert.equal(replacement.port, port, 'the replacement joins the same listener');
    for (let i = 0; i < 10; i++) assert.equal((await review()).allowed, false);

    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.ok(!stderr.includes(CANARY));
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
