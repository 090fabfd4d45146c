import { strict as assert } from 'node:assert';
import { cpSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { noChangeMutator } from '../../src/admission/index.js';
import { createPolicyReviewer, loadPolicyDir } from '../../src/policy/index.js';
import { writeCertFiles } from '../../src/tls/index.js';
import { generateCertBundle } from '../../src/tls/index.js';
import { openReloadingStore } from '../../src/watch/index.js';
import { startWebhookServer } from '../../src/webhook/index.js';
import { httpsCall } from '../helpers/https.js';
import { memoryLogger } from '../helpers/logs.js';
import { admissionReview, CANARY, podWithCanary } from '../helpers/reviews.js';

const repo = resolve(import.meta.dirname, '..', '..');

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const end = Date.now() + 8000;
  while (!(await check())) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

test('the webhook enforces the policy folder, keeps the last good set on a bad edit, and swaps on a good one', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'shroud-e2e-'));
  const policies = join(dir, 'policies');
  cpSync(join(repo, 'policies'), policies, { recursive: true });
  await writeCertFiles(join(dir, 'certs'), generateCertBundle({ names: ['localhost'], days: 1 }), { force: false });
  const ca = readFileSync(join(dir, 'certs', 'ca.crt'), 'utf8');
  const logs = memoryLogger();
  const store = await openReloadingStore({
    dir: policies,
    load: loadPolicyDir,
    logger: logs.logger,
    what: 'policies',
    pollMs: 100,
    debounceMs: 50,
  });
  const server = await startWebhookServer({
    host: '127.0.0.1',
    port: 0,
    certDir: join(dir, 'certs'),
    reviewer: createPolicyReviewer(store.current),
    mutator: noChangeMutator,
    logger: logs.logger,
    readiness: { policies: store.readiness },
  });
  const review = async () =>
    JSON.parse((await httpsCall(server.port, ca, '/validate', { body: admissionReview(podWithCanary()) })).body)
      .response;
  const ready = async () => JSON.parse((await httpsCall(server.port, ca, '/readyz')).body);
  try {
    const denied = await review();
    assert.equal(denied.allowed, false);
    assert.equal(denied.status.code, 403);
    assert.match(denied.status.message, /^\[disallow-secret-env\/secret-env-var\] spec\.containers\[0\]\.env\[1\]: /);
    assert.ok(!denied.status.message.includes(CANARY));
    assert.equal((await ready()).checks.policies.generation, 1);

    // A typo in a policy file: reported with file and line; enforcement continues unchanged.
    const file = join(policies, 'disallow-secret-env.yaml');
    const good = readFileSync(file, 'utf8');
    writeFileSync(file, good.replace('enforcement: deny', 'enforcement: deni'));
    await until(async () => (await ready()).checks.policies.lastError !== null, 'the rejected reload');
    const report = await ready();
    assert.equal(report.checks.policies.generation, 1);
    const [issue] = report.checks.policies.lastError.issues;
    assert.equal(issue.file, file);
    assert.equal(typeof issue.line, 'number');
    assert.match(issue.message, /deni/);
    assert.equal((await review()).allowed, false, 'the last good set is still in force');

    // A good change is swapped in: without the policy, the same pod is allowed.
    unlinkSync(file);
    await until(async () => (await ready()).checks.policies.generation === 2, 'the good reload');
    assert.equal((await ready()).checks.policies.lastError, null);
    assert.equal((await review()).allowed, true);
    assert.ok(!logs.text().includes(CANARY));
  } finally {
    await server.shutdown(1000);
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
