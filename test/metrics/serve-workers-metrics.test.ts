/**
 * `shroud serve --workers 2`: the primary serves GET /metrics for the whole pod, the sum of every
 * worker's registry (prom-client's AggregatorRegistry over the cluster's IPC channel).
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { httpsCall } from '../helpers/https.js';
import { parseSamples, scrape, total } from '../helpers/prometheus-text.js';
import { admissionReview, podWithCanary } from '../helpers/reviews.js';
import { tempDir } from '../helpers/temp-dir.js';

const repo = resolve(import.meta.dirname, '..', '..');
const REVIEWS = 12;

test('serve --workers 2 --metrics-listen 127.0.0.1:0: one listener in the primary, counts summed over the workers', async () => {
  const dir = tempDir('shroud-workers-metrics-');
  const child = spawn(
    process.execPath,
    [
      join(repo, 'bin', 'shroud.js'),
      'serve',
      '--role',
      'webhook',
      '--listen',
      '127.0.0.1:0',
      '--workers',
      '2',
      '--metrics-listen',
      '127.0.0.1:0',
    ],
    {
      cwd: dir,
      env: { ...process.env, SHROUD_LOG_LEVEL: 'warn', SHROUD_SHUTDOWN_DELAY_MS: '0' },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  try {
    const deadline = Date.now() + 30_000;
    while ([...stderr.matchAll(/listening on https:\/\/127\.0\.0\.1:(\d+) \(worker pid/g)].length < 2) {
      if (Date.now() > deadline || child.exitCode !== null) assert.fail(`workers did not start:\n${stderr}`);
      await sleep(50);
    }
    const port = Number(/listening on https:\/\/127\.0\.0\.1:(\d+)/.exec(stderr)![1]);
    const metricsUrl = /metrics \(all workers\) on (http:\/\/\S+)/.exec(stderr)?.[1];
    assert.ok(metricsUrl, stderr);
    assert.doesNotMatch(stderr, /metrics on http/, 'workers do not listen for metrics themselves');
    const ca = readFileSync(join(dir, 'certs', 'ca.crt'), 'utf8');
    // Each call opens its own connection: the primary deals them out to both workers.
    for (let i = 0; i < REVIEWS; i++)
      assert.equal((await httpsCall(port, ca, '/validate', { body: admissionReview(podWithCanary()) })).status, 200);
    const r = await scrape(metricsUrl);
    assert.equal(r.status, 200, r.text);
    const samples = parseSamples(r.text);
    assert.equal(total(samples, 'shroud_admission_requests_total', { webhook: 'validate', allowed: 'false' }), REVIEWS);
    assert.equal(total(samples, 'shroud_admission_duration_seconds_count'), REVIEWS);
    const expiry = samples.filter((s) => s.name === 'shroud_certificate_expiry_timestamp_seconds');
    assert.equal(expiry.length, 1);
    assert.ok(
      expiry[0]!.value > Date.now() / 1000 && expiry[0]!.value < Date.now() / 1000 + 400 * 86400,
      'the earliest, not a sum',
    );
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});
