import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { httpsCall } from '../helpers/https.js';
import { admissionReview } from '../helpers/reviews.js';

const repo = resolve(import.meta.dirname, '..', '..');

const secretEnvPod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', namespace: 'shop' },
  spec: {
    containers: [
      {
        name: 'app',
        image: 'nginx:1.27',
        env: [{ name: 'T', valueFrom: { secretKeyRef: { name: 'api', key: 'token' } } }],
      },
    ],
  },
};

/** Starts the real bin with `env`, returns its port and CA and a stop function (bounded waits). */
async function startServe(
  env: Record<string, string>,
): Promise<{ port: number; ca: string; stop: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'shroud-override-'));
  const child = spawn(
    process.execPath,
    [join(repo, 'bin', 'shroud.js'), 'serve', '--listen', '127.0.0.1:0', '--shutdown-delay-ms', '0'],
    {
      cwd: dir,
      env: { ...process.env, SHROUD_LOG_LEVEL: 'info', SHROUD_METRICS_LISTEN: '127.0.0.1:0', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; i < 400; i++) {
    const m = /listening on https:\/\/127\.0\.0\.1:(\d+)/.exec(stderr);
    if (m) return { port: Number(m[1]), ca: readFileSync(join(dir, 'certs', 'ca.crt'), 'utf8'), stop };
    if (child.exitCode !== null) break;
    await sleep(50);
  }
  await stop();
  assert.fail(`serve did not start:\n${stderr}`);
}

const cases: Array<{ name: string; env: Record<string, string>; readyz: unknown; allowed: boolean }> = [
  { name: 'no override: readyz shows none and the pod is denied', env: {}, readyz: undefined, allowed: false },
  {
    name: 'SHROUD_ENFORCEMENT_OVERRIDE=warn: readyz says warn and the pod is allowed with a warning',
    env: { SHROUD_ENFORCEMENT_OVERRIDE: 'warn' },
    readyz: 'warn',
    allowed: true,
  },
];

for (const c of cases) {
  test(`serve (real process): ${c.name}`, async () => {
    const { port, ca, stop } = await startServe(c.env);
    try {
      const readyz = await httpsCall(port, ca, '/readyz');
      assert.equal(readyz.status, 200);
      assert.equal(JSON.parse(readyz.body).checks.policies.enforcementOverride, c.readyz);
      const answer = await httpsCall(port, ca, '/validate', { body: admissionReview(secretEnvPod) });
      assert.equal(answer.status, 200);
      const response = JSON.parse(answer.body).response as { allowed: boolean; warnings?: string[] };
      assert.equal(response.allowed, c.allowed);
      if (c.allowed) {
        assert.equal(response.warnings?.length, 1);
        assert.match(response.warnings?.[0] ?? '', /^\[disallow-secret-env\/secret-env-var\] .*would be denied/);
      }
    } finally {
      await stop();
    }
  });
}
