import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { runCli } from '../helpers/cli.js';
import { timerTurn } from '../helpers/timer-turn.js';

const FIX = 'test/fixtures/check';
const CANARY = 'CANARY-5b1d0e';

interface JsonReport {
  results: Array<Record<string, unknown> & { violations: Array<Record<string, unknown>> }>;
  errors: Array<Record<string, unknown>>;
  summary: Record<string, number>;
}

test('check --output json: the contract, with file, document and item for every object', async () => {
  const r = await runCli(['check', '--output', 'json', `${FIX}/repo`]);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, '');
  const report = JSON.parse(r.stdout) as JsonReport;
  const summary = report.results.map((x) => ({
    ...x,
    violations: x.violations.map((v) => {
      assert.deepEqual(Object.keys(v), ['policy', 'rule', 'enforcement', 'path', 'message', 'line', 'findings']);
      assert.ok(typeof v.message === 'string' && v.message.length > 20);
      return `${v.enforcement} ${v.policy}/${v.rule} ${v.path}`;
    }),
  }));
  assert.deepEqual(summary, [
    {
      file: `${FIX}/repo/apps/web.yaml`,
      document: 0,
      item: null,
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: 'shop',
      name: 'web',
      allowed: false,
      violations: ['deny disallow-secret-env/secret-env-var spec.template.spec.containers[0].env[1]'],
      exceptions: [],
    },
    {
      file: `${FIX}/repo/apps/web.yaml`,
      document: 1,
      item: null,
      apiVersion: 'v1',
      kind: 'Service',
      namespace: 'shop',
      name: 'web',
      allowed: true,
      violations: [],
      exceptions: [],
    },
    {
      file: `${FIX}/repo/list.json`,
      document: 0,
      item: 0,
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: 'shop',
      name: 'settings',
      allowed: false,
      violations: ['deny disallow-secrets-in-configmaps/secret-value data.api_token'],
      exceptions: [],
    },
    {
      file: `${FIX}/repo/list.json`,
      document: 0,
      item: 1,
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      namespace: null,
      name: 'secret-getter',
      allowed: true,
      violations: ['warn restrict-secret-rbac/get-all-secrets rules[0]'],
      exceptions: [],
    },
  ]);
  assert.deepEqual(report.errors, []);
  assert.deepEqual(report.summary, {
    files: 3,
    objects: 4,
    denied: 2,
    warned: 1,
    passed: 1,
    violations: 3,
    skippedDocuments: 1,
    errors: 0,
  });
});

test('check: secret values planted in the manifests appear in no output format', async () => {
  for (const output of ['text', 'json', 'sarif']) {
    const r = await runCli(['check', '--output', output, `${FIX}/repo`]);
    assert.equal(r.code, 1);
    assert.ok(!r.stdout.includes(CANARY), output);
    assert.ok(!r.stderr.includes(CANARY), output);
  }
});

test('check: an unparseable file is reported with file:line:col, the others are still checked, exit 2', async () => {
  const r = await runCli(['check', '--output', 'json', `${FIX}/broken`]);
  assert.equal(r.code, 2);
  assert.equal(
    r.stderr,
    `POLICY_INPUT_INVALID: ${FIX}/broken/bad.yaml:7:1: Flow sequence in block collection must be sufficiently indented and end with a ]\n`,
  );
  const report = JSON.parse(r.stdout) as JsonReport;
  assert.deepEqual(
    report.results.map((x) => [x.file, x.allowed]),
    [[`${FIX}/broken/good.yaml`, false]],
  );
  assert.equal(report.errors.length, 1);
});

test('check: text output groups by file, with the line of each violation and a summary', async () => {
  const r = await runCli(['check', `${FIX}/broken/good.yaml`, `${FIX}/clean/pod.yaml`]);
  assert.equal(r.code, 1);
  assert.equal(
    r.stdout,
    [
      `${FIX}/broken/good.yaml`,
      '  Pod a/p (document 0): DENIED',
      '    deny  [disallow-secret-env/secret-env-from] spec.containers[0].envFrom[0] (line 8)',
      '          container "app" loads every key of Secret "s" as env vars (envFrom); env vars leak through crash dumps, /proc and debug output. Mount the Secret read-only as a file (a secret volume with readOnly: true) or use Shroud injection (label shroud.dev/inject: "true").',
      '',
      'Checked 2 objects in 2 files: 1 denied, 0 allowed with warnings, 1 passed.',
      '',
    ].join('\n'),
  );
});

test('check: a Rollout is judged on its pod template with paths on the Rollout; a kube-system Pod is excluded', async () => {
  const r = await runCli(['check', '--output', 'json', `${FIX}/workloads/rollout.yaml`]);
  assert.equal(r.stderr, '');
  assert.equal(r.code, 1, r.stdout);
  const report = JSON.parse(r.stdout) as JsonReport;
  assert.deepEqual(
    report.results.map((x) => ({
      kind: x.kind,
      violations: x.violations.map((v) => `${v.enforcement} ${v.policy}/${v.rule} ${v.path}`),
    })),
    [
      {
        kind: 'Rollout',
        violations: ['deny disallow-secret-env/secret-env-var spec.template.spec.containers[0].env[0]'],
      },
      { kind: 'Pod', violations: [] },
    ],
  );
  const text = await runCli(['check', `${FIX}/workloads/rollout.yaml`]);
  assert.match(text.stdout, /spec\.template\.spec\.containers\[0\]\.env\[0\] \(line 17\)/);
});

test('check: a clean file exits 0', async () => {
  const r = await runCli(['check', `${FIX}/clean`]);
  assert.equal(r.code, 0);
  assert.equal(r.stdout, 'Checked 1 object in 1 file: 0 denied, 0 allowed with warnings, 1 passed.\n');
});

test('check: - reads standard input (JSON here) and names it "-"', async () => {
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p' },
    spec: { volumes: [{ name: 'h', hostPath: { path: '/' } }] },
  };
  const r = await runCli(['check', '--output', 'json', '-'], { stdin: JSON.stringify(pod) });
  assert.equal(r.code, 1);
  const report = JSON.parse(r.stdout) as JsonReport;
  assert.deepEqual(
    report.results.map((x) => [x.file, x.document, x.item, x.violations.map((v) => v.rule)]),
    [['-', 0, null, ['host-path-volume']]],
  );
});

test('check --output sarif: SARIF 2.1.0 with a rule per policy rule and line regions', async () => {
  const r = await runCli(['check', '--output', 'sarif', `${FIX}/repo/apps/web.yaml`]);
  assert.equal(r.code, 1);
  const sarif = JSON.parse(r.stdout) as {
    version: string;
    runs: Array<{
      tool: { driver: { name: string; rules: Array<{ id: string }> } };
      results: Array<Record<string, unknown>>;
    }>;
  };
  assert.equal(sarif.version, '2.1.0');
  const run = sarif.runs[0]!;
  assert.equal(run.tool.driver.name, 'shroud');
  assert.ok(run.tool.driver.rules.some((x) => x.id === 'disallow-secret-env/secret-env-var'));
  assert.equal(run.results.length, 1);
  const res = run.results[0] as {
    ruleId: string;
    level: string;
    locations: Array<{ physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }>;
  };
  assert.equal(res.ruleId, 'disallow-secret-env/secret-env-var');
  assert.equal(res.level, 'error');
  assert.deepEqual(res.locations[0]!.physicalLocation, {
    artifactLocation: { uri: `${FIX}/repo/apps/web.yaml` },
    region: { startLine: 21 },
  });
});

const usage: Array<{ name: string; argv: string[]; code: number; stderr: RegExp }> = [
  { name: 'no paths', argv: ['check'], code: 2, stderr: /^CLI_USAGE: give at least one file/ },
  {
    name: 'unknown output',
    argv: ['check', '--output', 'xml', 'x'],
    code: 2,
    stderr: /^CLI_USAGE: --output must be one of text, json, sarif/,
  },
  { name: 'unknown flag', argv: ['check', '--frobnicate', 'x'], code: 2, stderr: /^CLI_USAGE: / },
  {
    name: 'a missing path',
    argv: ['check', `${FIX}/nope.yaml`],
    code: 2,
    stderr: /^POLICY_INPUT_INVALID: test\/fixtures\/check\/nope\.yaml: no such file or directory/,
  },
  {
    name: 'invalid policies',
    argv: ['check', '--policies', 'test/fixtures/policy/unknown-operator', `${FIX}/clean`],
    code: 3,
    stderr: /^POLICY_SCHEMA_INVALID: .*policy\.yaml:18:11: rules\[2\]\.when\[0\]: unknown operator "anyof"/,
  },
];
for (const c of usage) {
  test(`check: ${c.name} exits ${c.code}`, async () => {
    const r = await runCli(c.argv);
    assert.equal(r.code, c.code);
    assert.match(r.stderr, c.stderr);
  });
}

test('check: thousands of files in one run, each result naming its file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'shroud-check-'));
  try {
    const count = 2000;
    for (let i = 0; i < count; i += 100) {
      const sub = join(dir, `team-${i / 100}`);
      await mkdir(sub);
      await Promise.all(
        Array.from({ length: 100 }, (_, k) => {
          const bad = (i + k) % 500 === 0;
          const env = bad ? 'envFrom: [{secretRef: {name: s}}]' : 'env: [{name: A, value: b}]';
          return writeFile(
            join(sub, `pod-${i + k}.yaml`),
            `apiVersion: v1\nkind: Pod\nmetadata: {name: p${i + k}}\nspec:\n  containers:\n    - {name: c, image: i, ${env}}\n`,
          );
        }),
      );
    }
    const r = await runCli(['check', '--output', 'json', '--policies', join(process.cwd(), 'policies'), '.'], {
      cwd: dir,
    });
    assert.equal(r.code, 1);
    const report = JSON.parse(r.stdout) as JsonReport;
    assert.equal(report.summary.files, count);
    assert.equal(report.summary.objects, count);
    assert.deepEqual(
      report.results
        .filter((x) => !x.allowed)
        .map((x) => x.file)
        .sort(),
      ['team-0/pod-0.yaml', 'team-10/pod-1000.yaml', 'team-15/pod-1500.yaml', 'team-5/pod-500.yaml'],
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('check: the real bin (node bin/shroud.js) prints verdicts and exits 1', async () => {
  const run = promisify(execFile);
  const err = await run(process.execPath, [
    'bin/shroud.js',
    'check',
    '--output',
    'json',
    `${FIX}/broken/good.yaml`,
  ]).then(
    () => undefined,
    (e: { code: number; stdout: string }) => e,
  );
  assert.ok(err !== undefined, 'expected a non-zero exit');
  assert.equal(err.code, 1);
  const report = JSON.parse(err.stdout) as JsonReport;
  assert.deepEqual(
    report.results.map((x) => [x.kind, x.name, x.allowed]),
    [['Pod', 'p', false]],
  );
});

/** A 1.5 MB ConfigMap with 40,000 keys whose names and values look like secrets, one a line from line 6. */
function secretConfigMap(n: number): string {
  const lines = ['apiVersion: v1', 'kind: ConfigMap', 'metadata: {name: big, namespace: shop}', 'data:'];
  lines.push('  plain: "not a secret"');
  // Base 36 keeps every value varied enough to deny (a run like 11111 would lower its entropy to a warning).
  for (let i = 0; i < n; i++) lines.push(`  db_password_${i}: "${CANARY}-${i.toString(36)}x"`);
  return `${lines.join('\n')}\n`;
}

const NOT_LISTED = 'more violations not listed; --max-violations sets how many are (all lists every one)';

// Before the bounds this took 88 s (a quadratic duplicate-key check and line lookup) and printed
// 16 MB (text; 20 MB of JSON); now it lists 1,000 violations and counts the other 39,000, in every output format.
const bigCases: Array<{ output: string; verify: (stdout: string) => void }> = [
  {
    output: 'text',
    verify: (stdout) => {
      const lines = stdout.split('\n');
      assert.equal(lines.filter((l) => l.startsWith('    deny  ')).length, 1000);
      assert.ok(
        lines.includes('    deny  [disallow-secrets-in-configmaps/secret-value] data.db_password_999 (line 1005)'),
      );
      assert.deepEqual(lines.slice(-4), [
        `    … and 39000 ${NOT_LISTED}`,
        '',
        'Checked 1 object in 1 file: 1 denied, 0 allowed with warnings, 0 passed. 39000 violations were not listed (--max-violations).',
        '',
      ]);
    },
  },
  {
    output: 'json',
    verify: (stdout) => {
      const report = JSON.parse(stdout) as JsonReport;
      assert.equal(report.results.length, 1);
      const [result] = report.results;
      assert.equal(result!.violations.length, 1000);
      assert.equal(result!.violationsOmitted, 39_000);
      assert.equal(result!.violations.at(-1)!.path, 'data.db_password_999');
      assert.equal(report.summary.violations, 1000);
      assert.equal(report.summary.violationsOmitted, 39_000);
    },
  },
  {
    output: 'sarif',
    verify: (stdout) => {
      const sarif = JSON.parse(stdout) as {
        runs: Array<{
          results: Array<{ locations: Array<{ physicalLocation: { region: { startLine: number } } }> }>;
          properties: { violationsOmitted: number };
          invocations: Array<{ toolExecutionNotifications: Array<{ level: string; message: { text: string } }> }>;
        }>;
      };
      const run = sarif.runs[0]!;
      assert.equal(run.results.length, 1000);
      assert.equal(run.results.at(-1)!.locations[0]!.physicalLocation.region.startLine, 1005);
      assert.equal(run.properties.violationsOmitted, 39_000);
      assert.deepEqual(run.invocations[0]!.toolExecutionNotifications, [
        {
          level: 'warning',
          message: { text: `ConfigMap shop/big (document 0): 39000 ${NOT_LISTED}` },
          locations: [{ physicalLocation: { artifactLocation: { uri: 'stdin' } } }],
        },
      ]);
    },
  },
];
for (const c of bigCases) {
  test(`check bounds: a ConfigMap with 40,000 flagged keys, --output ${c.output}`, { timeout: 30_000 }, async () => {
    const r = await runCli(['check', '--output', c.output, '-'], { stdin: secretConfigMap(40_000) });
    assert.equal(r.code, 1);
    assert.equal(r.stderr, '');
    assert.ok(!r.stdout.includes(CANARY));
    assert.ok(r.stdout.length < 2_000_000, `${r.stdout.length} characters`);
    c.verify(r.stdout);
    await timerTurn();
  });
}

const maxCases: Array<{ name: string; flag: string[]; listed: number; omitted: number | undefined }> = [
  { name: 'a smaller cap', flag: ['--max-violations', '3'], listed: 3, omitted: 7 },
  { name: 'exactly the number found', flag: ['--max-violations', '10'], listed: 10, omitted: undefined },
  { name: 'all', flag: ['--max-violations', 'all'], listed: 10, omitted: undefined },
  { name: 'the default', flag: [], listed: 10, omitted: undefined },
];
for (const c of maxCases) {
  test(`check --max-violations: ${c.name}`, async () => {
    const r = await runCli(['check', '--output', 'json', ...c.flag, '-'], { stdin: secretConfigMap(10) });
    assert.equal(r.code, 1);
    const report = JSON.parse(r.stdout) as JsonReport;
    assert.equal(report.results[0]!.violations.length, c.listed);
    assert.equal(report.results[0]!.violationsOmitted, c.omitted);
    assert.equal(report.summary.violationsOmitted, c.omitted);
  });
}

const badMax: Array<{ name: string; value: string }> = [
  { name: 'zero', value: '0' },
  { name: 'a fraction', value: '1.5' },
  { name: 'a word', value: 'many' },
  { name: 'negative', value: '-3' },
];
for (const c of badMax) {
  test(`check --max-violations: ${c.name} is a usage error`, async () => {
    const r = await runCli(['check', `--max-violations=${c.value}`, `${FIX}/clean`]);
    assert.equal(r.code, 2);
    assert.equal(
      r.stderr,
      `CLI_USAGE: --max-violations must be a whole number of at least 1, or all (got "${c.value}")\n` +
        "Run 'shroud check --help' for its options.\n",
    );
  });
}

test('check bounds: 78 KB of aliased containers is an input error at the alias, not 468 MB of JSON', {
  timeout: 30_000,
}, async () => {
  let text =
    'apiVersion: v1\nkind: Pod\nmetadata: {name: bomb}\nspec:\n  initContainers:\n    - &c\n      name: a\n      env:\n';
  for (let i = 0; i < 1000; i++) text += `        - {name: E${i}, valueFrom: {secretKeyRef: {name: s, key: k}}}\n`;
  text += '  containers:\n';
  for (let i = 0; i < 999; i++) text += '    - *c\n';
  const r = await runCli(['check', '--output', 'json', '-'], { stdin: text });
  assert.equal(r.code, 2);
  assert.equal(
    r.stderr,
    'POLICY_INPUT_INVALID: -:1099:7: aliases expand this document to more than 1000000 nodes (passed here); write the repeated parts out or split the document\n',
  );
  const report = JSON.parse(r.stdout) as JsonReport;
  assert.deepEqual(report.results, []);
  assert.equal(report.summary.errors, 1);
  await timerTurn();
});

test('check --output json: a detector violation carries the key line and each finding line, in the value and in the file', async () => {
  const pw = ['Kq7vR2x9', 'Lm!Wp4Zs'].join('');
  const manifest = [
    'apiVersion: v1', // 1
    'kind: ConfigMap', // 2
    'metadata: {name: app, namespace: shop}', // 3
    'data:', // 4
    '  LOG_LEVEL: info', // 5
    '  app.env: |', // 6
    '    PORT=8080', // 7
    `    DB_PASSWORD=${pw}`, // 8
    `  quoted.env: "PORT=8080\\nAPI_TOKEN=${pw}\\n"`, // 9
    `  DB_PASSWORD: "${pw}"`, // 10
    '',
  ].join('\n');
  const r = await runCli(['check', '--output', 'json', '-'], { stdin: manifest });
  const report = JSON.parse(r.stdout) as {
    results: Array<{ violations: Array<{ path: string; line: number | null; findings: unknown[] }> }>;
  };
  const byPath = new Map(report.results[0]!.violations.map((v) => [v.path, v]));
  const cases = [
    {
      name: 'literal block: the file line is known',
      path: 'data["app.env"]',
      line: 6,
      findings: [{ detector: 'config-file-secret', confidence: 'high', line: 2, fileLine: 8 }],
    },
    {
      name: 'quoted string: the line inside the value only',
      path: 'data["quoted.env"]',
      line: 9,
      findings: [{ detector: 'config-file-secret', confidence: 'high', line: 2, fileLine: null }],
    },
    {
      name: 'single-line value: no line inside it',
      path: 'data.DB_PASSWORD',
      line: 10,
      findings: [{ detector: 'secret-named-key', confidence: 'high', line: null, fileLine: null }],
    },
  ];
  for (const c of cases) {
    const v = byPath.get(c.path);
    assert.ok(v !== undefined, `${c.name}: no violation at ${c.path} in ${r.stdout}`);
    assert.equal(v.line, c.line, c.name);
    assert.deepEqual(v.findings, c.findings, c.name);
  }
  assert.ok(!r.stdout.includes(pw), 'the value never reaches the output');
});
