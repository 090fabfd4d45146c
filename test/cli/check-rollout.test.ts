import { strict as assert } from 'node:assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.js';

interface JsonReport {
  results: Array<{ allowed: boolean; violations: Array<{ rule: string; enforcement: string }> }>;
  errors: Array<{ code: string; file?: string; line?: number; message: string }>;
  summary: Record<string, number>;
}

/** A fresh folder holding one file; the check runs there so the report names the file as given. */
async function writeCase(name: string, text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'shroud-check-rollout-'));
  await writeFile(join(dir, name), text);
  return dir;
}

const SECRET_ENV_POD = `apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  containers:
    - name: app
      image: nginx:1.27
      env:
        - name: TOKEN
          valueFrom: {secretKeyRef: {name: api, key: token}}
`;

const overrideCases: Array<{
  name: string;
  argv: string[];
  env?: Record<string, string>;
  code: number;
  enforcement: string;
}> = [
  { name: 'no override: denied, exit 1', argv: [], code: 1, enforcement: 'deny' },
  {
    name: '--enforcement-override warn: a warning, exit 0',
    argv: ['--enforcement-override', 'warn'],
    code: 0,
    enforcement: 'warn',
  },
  {
    name: 'SHROUD_ENFORCEMENT_OVERRIDE=audit: an audit finding, exit 0',
    argv: [],
    env: { SHROUD_ENFORCEMENT_OVERRIDE: 'audit' },
    code: 0,
    enforcement: 'audit',
  },
];
for (const c of overrideCases) {
  test(`check: ${c.name}`, async () => {
    const r = await runCli(['check', '--output', 'json', ...c.argv, '-'], { stdin: SECRET_ENV_POD, env: c.env ?? {} });
    assert.equal(r.code, c.code, r.stderr);
    const report = JSON.parse(r.stdout) as JsonReport;
    assert.deepEqual(
      report.results[0]?.violations.map((v) => [v.rule, v.enforcement]),
      [['secret-env-var', c.enforcement]],
    );
  });
}

test('check: --enforcement-override takes only audit or warn', async () => {
  const r = await runCli(['check', '--enforcement-override', 'deny', '-'], { stdin: SECRET_ENV_POD });
  assert.equal(r.code, 3);
  assert.match(r.stderr, /--enforcement-override.*audit, warn/);
});

const DUPLICATE_ENV = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    spec:
      containers:
        - name: app
          image: nginx:1.27
          env:
            - {name: MODE, value: prod}
          env:
            - name: TOKEN
              valueFrom: {secretKeyRef: {name: api, key: token}}
`;

test('check: a duplicated env key is judged on its last value (denied) and the duplicate is reported at its line', async () => {
  const cwd = await writeCase('deploy.yaml', DUPLICATE_ENV);
  try {
    const json = await runCli(['check', '--output', 'json', 'deploy.yaml'], { cwd });
    assert.equal(json.code, 2, json.stderr);
    const report = JSON.parse(json.stdout) as JsonReport;
    assert.deepEqual(
      report.results.map((r) => [r.allowed, r.violations.map((v) => v.rule)]),
      [[false, ['secret-env-var']]],
    );
    assert.deepEqual(
      report.errors.map((e) => [e.code, e.file, e.line]),
      [['POLICY_INPUT_DUPLICATE_KEY', 'deploy.yaml', 12]],
    );
    assert.match(report.errors[0]!.message, /^key "env" appears again in the same map \(first at line 10\)/);
    assert.equal(report.summary.denied, 1);

    const text = await runCli(['check', 'deploy.yaml'], { cwd });
    assert.equal(text.code, 2);
    // The violation points at the env var that was judged, under the second `env:`.
    assert.match(
      text.stdout,
      /deny {2}\[disallow-secret-env\/secret-env-var\] spec\.template\.spec\.containers\[0\]\.env\[0\] \(line 13\)/,
    );
    assert.match(text.stderr, /^POLICY_INPUT_DUPLICATE_KEY: deploy\.yaml:12:11: key "env" appears again/m);
  } finally {
    await rm(cwd, { recursive: true, force: true });
  }
});
