import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.js';

interface JsonReport {
  results: Array<{ allowed: boolean; violations: Array<{ rule: string; enforcement: string }> }>;
  errors: Array<{ code: string; file?: string; line?: number; message: string }>;
  summary: Record<string, number>;
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
