import { strict as assert } from 'node:assert';
import { cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp-dir.js';

test('policy test: every shipped test case of the built-in policies passes', async () => {
  const r = await runCli(['policy', 'test', 'test/fixtures/policy-tests']);
  assert.equal(r.stderr, '');
  assert.equal(r.code, 0, r.stdout);
  assert.match(r.stdout, /^CASE +POLICY\/RULE +EXPECTED +ACTUAL +RESULT\n/);
  const summary = r.stdout.trim().split('\n').at(-1)!;
  assert.match(summary, /^\d+ cases, \d+ checks: (\d+) passed, 0 failed$/);
  for (const policy of [
    'disallow-secret-env',
    'disallow-host-path',
    'restrict-secret-rbac',
    'disallow-secrets-in-configmaps',
  ]) {
    assert.match(r.stdout, new RegExp(`^${policy}/\\S+ +${policy}/`, 'm'), policy);
  }
});

test('policy test: a result that differs from expected.yaml is a MISMATCH row and exit 1', async () => {
  const r = await runCli(['policy', 'test', 'test/fixtures/policy-test-cases/mismatch']);
  assert.equal(r.code, 1);
  assert.equal(
    r.stdout,
    [
      'CASE  POLICY/RULE                          EXPECTED  ACTUAL  RESULT',
      'pod   disallow-secret-env/secret-env-var   pass      pass    ok',
      'pod   disallow-secret-env/secret-env-from  pass      fail    MISMATCH',
      '',
      '1 case, 2 checks: 1 passed, 1 failed',
      '',
    ].join('\n'),
  );
});

test('policy test: a case folder without resource.yaml is reported and exits 2', async () => {
  const r = await runCli(['policy', 'test', 'test/fixtures/policy-test-cases/invalid']);
  assert.equal(r.code, 2);
  assert.equal(r.stderr, 'POLICY_TEST_INVALID: no-resource: resource.yaml is missing\n');
});

test('policy test: a case file that cannot be read makes that case invalid; the others still run', async () => {
  const dir = tempDir();
  cpSync('test/fixtures/policy-test-cases/mismatch', join(dir, 'ok'), { recursive: true });
  // A folder where resource.yaml should be: reading it fails with EISDIR (root can read any file).
  mkdirSync(join(dir, 'unreadable', 'resource.yaml'), { recursive: true });
  cpSync('test/fixtures/policy-test-cases/mismatch/pod/expected.yaml', join(dir, 'unreadable', 'expected.yaml'));
  const r = await runCli(['policy', 'test', dir]);
  assert.equal(r.code, 2);
  assert.equal(r.stderr, 'POLICY_TEST_INVALID: unreadable: resource.yaml: cannot read (EISDIR)\n');
  assert.match(r.stdout, /^ok\/pod +disallow-secret-env\/secret-env-var /m);
  assert.match(r.stdout, /2 cases, 2 checks: 1 passed, 1 failed, 1 case could not run\n$/);
});

test('policy test: usage errors', async () => {
  assert.equal((await runCli(['policy', 'test'])).code, 2);
  assert.equal((await runCli(['policy', 'frob'])).code, 2);
  const none = await runCli(['policy', 'test', 'test/fixtures/check/clean']);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /no test cases/);
});
