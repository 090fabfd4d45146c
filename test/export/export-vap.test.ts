/**
 * `shroud export vap`: stable bytes, one file per policy with --out, the rules that stay with the
 * webhook on stderr, objects valid against the Kubernetes schemas (kubernetes-models, as
 * test/manifests checks the install manifests), the cost estimate within the apiserver's
 * per-expression limit, and messages that name policy, rule, container and path but no value.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import {
  and,
  call,
  type Cel,
  cond,
  estimateCost,
  id,
  isType,
  le,
  list,
  lit,
  lt,
  macro,
  sel,
} from '../../src/export/cel.js';
import { exportVap, PER_CALL_LIMIT, REALISTIC_MODEL, REPORTED_MODEL } from '../../src/export/index.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp-dir.js';
import { loadSet, requestFor, runVap } from './harness.js';

type Json = Record<string, unknown>;

const NOW = new Date('2026-11-30T00:00:00Z');

describe('shroud export vap', () => {
  it('writes the same bytes every time: a policy and its binding per exported rule', async () => {
    const first = await runCli(['export', 'vap']);
    const second = await runCli(['export', 'vap']);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout, second.stdout);
    const docs = parseAllDocuments(first.stdout).map((d) => d.toJS() as Json);
    const policies = docs.filter((d) => d.kind === 'ValidatingAdmissionPolicy');
    const bindings = docs.filter((d) => d.kind === 'ValidatingAdmissionPolicyBinding');
    assert.equal(policies.length, 12);
    assert.equal(bindings.length, policies.length);
    for (const p of policies) {
      const name = (p.metadata as Json).name;
      const b = bindings.find((x) => (x.spec as Json).policyName === name);
      assert.ok(b, `a binding for ${String(name)}`);
    }
    assert.doesNotMatch(first.stdout, /&a\d|\*a\d/, 'no YAML anchors or aliases');
    // The apiserver's `request` is a typed object: fields are selected, never indexed.
    assert.doesNotMatch(first.stdout, /request\[/);
  });

  it("uses only CEL's standard macros and functions (no Kubernetes CEL library)", async () => {
    const STANDARD = new Set([
      'has',
      'size',
      'type',
      'double',
      'string',
      'dyn',
      'startsWith',
      'endsWith',
      'contains',
      'matches',
      'exists',
      'all',
      'filter',
      'map',
    ]);
    const { rules } = exportVap(await loadSet(), { now: NOW });
    const used = new Set<string>();
    for (const r of rules) {
      const spec = r.objects[0].spec as {
        matchConditions?: Array<{ expression: string }>;
        variables: Array<{ expression: string }>;
        validations: Array<{ expression: string; messageExpression: string }>;
        auditAnnotations: Array<{ valueExpression: string }>;
      };
      const texts = [
        ...(spec.matchConditions ?? []).map((c) => c.expression),
        ...spec.variables.map((v) => v.expression),
        ...spec.validations.flatMap((v) => [v.expression, v.messageExpression]),
        ...spec.auditAnnotations.map((a) => a.valueExpression),
      ];
      for (const text of texts) {
        // Calls outside string literals.
        const code = text.replace(/'(?:[^'\\]|\\.)*'/g, "''");
        for (const m of code.matchAll(/([A-Za-z_][A-Za-z0-9_]*)\s*\(/g)) used.add(m[1]!);
      }
    }
    assert.deepEqual(
      [...used].filter((f) => !STANDARD.has(f)),
      [],
    );
    assert.ok(used.has('exists') && used.has('has'), 'the scan finds calls');
  });

  it('lists the rules that stay with the webhook, with the reason, and the cost figures on stderr', async () => {
    const r = await runCli(['export', 'vap']);
    for (const rule of [
      'disallow-secrets-in-configmaps/secret-value',
      'disallow-secrets-in-configmaps/high-entropy-value',
    ])
      assert.match(
        r.stderr,
        new RegExp(`not exported: ${rule} stays with the webhook: condition "detector" runs Shroud's secret detectors`),
      );
    assert.match(
      r.stderr,
      /cost: disallow-secret-env\/secret-env-var: worst expression \S+ ~\d+ with 100 elements per list; within the apiserver's per-expression limit \(1000000\) up to \d+ elements per list/,
    );
    assert.doesNotMatch(r.stdout, /disallow-secrets-in-configmaps/);
  });

  it('--out DIR writes one file per policy, the same objects as the stream', async () => {
    const dir = tempDir();
    const r = await runCli(['export', 'vap', '--out', dir]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    const files = readdirSync(dir).sort();
    assert.deepEqual(files, [
      'disallow-host-path.yaml',
      'disallow-secret-env.yaml',
      'restrict-secret-bindings.yaml',
      'restrict-secret-rbac.yaml',
    ]);
    const stream = (await runCli(['export', 'vap'])).stdout;
    assert.equal(files.map((f) => readFileSync(join(dir, f), 'utf8')).join('---\n'), stream);
  });

  it('--out to a place that is not a folder fails with EXPORT_WRITE_FAILED', async () => {
    const dir = tempDir();
    const blocker = join(dir, 'file');
    writeFileSync(blocker, 'x');
    const r = await runCli(['export', 'vap', '--out', join(blocker, 'sub')]);
    assert.equal(r.code, 3);
    assert.match(r.stderr, /^EXPORT_WRITE_FAILED: cannot write .*file\/sub \((ENOTDIR|EEXIST)\)/m);
  });

  it('takes its policies from --policies and --no-builtin-policies like check', async () => {
    const dir = tempDir();
    const r = await runCli(['export', 'vap', '--no-builtin-policies', '--policies', dir]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
  });

  it('shroud export without a target, or with an unknown one, is a usage error; help lists export', async () => {
    assert.equal((await runCli(['export'])).code, 2);
    const unknown = await runCli(['export', 'kyverno']);
    assert.equal(unknown.code, 2);
    assert.match(
      unknown.stderr,
      /CLI_USAGE: unknown export target "kyverno"; try one of: shroud export map, shroud export vap/,
    );
    assert.match((await runCli(['help'])).stdout, /^ {2}export +compile to in-tree admission objects/m);
    assert.match((await runCli(['export', 'vap', '--help'])).stdout, /--out DIR/);
  });

  it('every object is valid against the Kubernetes schemas (kubernetes-models)', async () => {
    const { rules } = exportVap(await loadSet(), { now: NOW });
    for (const r of rules)
      for (const o of r.objects) {
        const module = `kubernetes-models/admissionregistration.k8s.io/v1/${String(o.kind)}`;
        const Model = ((await import(module)) as Record<string, new (d: unknown) => { validate(): void }>)[
          String(o.kind)
        ];
        assert.ok(Model, module);
        assert.doesNotThrow(() => new Model(o).validate(), `${r.policy}/${r.rule} ${String(o.kind)}`);
      }
  });
});

describe('exceptions', () => {
  const file = new URL('../fixtures/policy-tests/disallow-secret-env/exception-applies/policy.yaml', import.meta.url)
    .pathname;
  const extra = [{ file, text: readFileSync(file, 'utf8') }];
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'billing', namespace: 'legacy-billing' },
    spec: {
      containers: [
        { name: 'app', image: 'x', env: [{ name: 'P', valueFrom: { secretKeyRef: { name: 'db', key: 'p' } } }] },
      ],
    },
  };
  const cases = [
    {
      name: 'before its expiry: exported as a match condition, and noted',
      now: '2026-12-30T00:00:00Z',
      status: 'skip',
      note: /expires on 2026-12-31; CEL has no clock/,
    },
    {
      name: 'after its expiry: left out, and noted',
      now: '2027-01-01T00:00:00Z',
      status: 'fail',
      note: /expired on 2026-12-31; it is not exported/,
    },
  ];
  for (const c of cases)
    it(c.name, async () => {
      const result = exportVap(await loadSet(extra), { now: new Date(c.now) });
      const rule = result.rules.find((r) => r.rule === 'secret-env-var')!;
      assert.equal(runVap(rule, requestFor(pod)).status, c.status);
      assert.match(result.notes.join('\n'), c.note);
      // The exception names secret-env-var only: secret-env-from has no exception condition.
      const from = result.rules.find((r) => r.rule === 'secret-env-from')!;
      assert.ok(!JSON.stringify(from.objects[0]).includes('no-exception'));
    });
});

describe('CEL cost estimate', () => {
  const m = { items: 10, chars: 100, fields: 5 };
  const x = id('x');
  const cases: Array<{ name: string; expr: Cel; cost: number }> = [
    { name: 'a variable read', expr: x, cost: 1 },
    { name: 'a field read', expr: sel(x, 'a'), cost: 2 },
    // type(x) (1 + x 1) == (1) map (1)
    { name: 'a type test', expr: isType(x, 'map'), cost: 4 },
    // startsWith: 1 + 100/10, its target 1, the literal 0
    { name: 'a string function', expr: call('startsWith', [lit('/')], x), cost: 12 },
    // 1 + target (1) + 10 x (body 1 + 1)
    { name: 'a macro over a list', expr: macro('exists', x, 'e', id('e')), cost: 22 },
    // nested: 1 + 1 + 10 x (1 + 1 + 10 x (1 + 1) + 1)
    { name: 'nested macros', expr: macro('exists', x, 'e', macro('exists', id('e'), 'f', id('f'))), cost: 232 },
    // 1 + target (1) + one iteration (body 1 + 1)
    {
      name: 'a macro over the old elements with one name (at most one in a valid object)',
      expr: { k: 'macro', fn: 'exists', target: x, v: 'e', body: id('e'), atMostOne: true },
      cost: 4,
    },
    // 1 + size(x) <= 10 (1 + 1 + 1) + then (1): the model's lists are no longer than 10
    {
      name: 'a branch on a list no longer than the model',
      expr: cond(le(call('size', [x]), lit(10)), x, big()),
      cost: 5,
    },
    // as above, but the other branch (22) is dearer and lists of 10 may be longer than 9
    { name: 'a branch on a list the model may exceed', expr: cond(le(call('size', [x]), lit(9)), x, big()), cost: 26 },
    // 1 + the literal [0..11] (1) + 10 x (body: p < size(x) (1 + 1 + 2) and p (1), && (1); + 1) + 2 x (p < size(x) (4) + 2)
    {
      name: 'a range of positions past the list length costs the bound only',
      expr: macro(
        'exists',
        list(Array.from({ length: 12 }, (_, i) => lit(i))),
        'p',
        and(lt(id('p'), call('size', [x])), id('p')),
      ),
      cost: 1 + 1 + 10 * (4 + 1 + 1 + 1) + 2 * (4 + 2),
    },
  ];
  function big(): Cel {
    return macro('exists', x, 'e', id('e'));
  }
  for (const c of cases)
    it(c.name, () => {
      assert.equal(estimateCost(c.expr, m), c.cost);
    });

  it('list lengths by field name: a named list its own, any other list the longest', () => {
    const lists = { ...m, lists: { env: 3, rules: 7 } };
    // 1 + x.env (2) + 3 x (1 + 1)
    assert.equal(estimateCost(macro('exists', sel(x, 'env'), 'e', id('e')), lists), 9);
    // 1 + x (1) + 10 (the longest) x (1 + 1)
    assert.equal(estimateCost(macro('exists', x, 'e', id('e')), lists), 22);
  });

  it('a large real object (REALISTIC_MODEL) passes every exported expression of the built-in policies', async () => {
    const { rules } = exportVap(await loadSet(), { now: NOW });
    for (const r of rules)
      for (const c of r.costs) {
        assert.ok(c.realistic > 0, c.expression);
        assert.ok(
          c.realistic <= PER_CALL_LIMIT,
          `${c.expression}: ${c.realistic} with ${JSON.stringify(REALISTIC_MODEL)}`,
        );
      }
  });

  it("every exported expression's reported cost and its list-length headroom", async () => {
    const { rules } = exportVap(await loadSet(), { now: NOW });
    for (const r of rules)
      for (const c of r.costs) {
        // Realistic objects (five containers with five envFrom sources each, all of them reading
        // Secrets and already there before the update) stay within the per-call limit.
        assert.ok(
          c.maxItemsWithinLimit >= 5,
          `${c.expression}: within the limit only up to ${c.maxItemsWithinLimit} elements`,
        );
        assert.ok(c.cost > 0, c.expression);
        if (c.maxItemsWithinLimit >= REPORTED_MODEL.items) assert.ok(c.cost <= PER_CALL_LIMIT, c.expression);
        else assert.ok(c.cost > PER_CALL_LIMIT, c.expression);
      }
  });
});

describe('README', () => {
  it("the cost table is the exporter's own figures for the built-in policies", async () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('### In-tree enforcement: export to ValidatingAdmissionPolicy'));
    const { rules } = exportVap(await loadSet(), { now: NOW });
    for (const r of rules) {
      const cost = (suffix: string) => r.costs.find((c) => c.expression.endsWith(suffix))!.cost.toLocaleString('en');
      const fits = Math.min(...r.costs.map((c) => c.maxItemsWithinLimit)).toLocaleString('en');
      const realistic = Math.max(...r.costs.map((c) => c.realistic)).toLocaleString('en');
      const row = `| \`${r.policy}/${r.rule}\` | ${r.enforcement} | ${cost('validations[0].expression')} | ${cost('messageExpression')} | ${fits} | ${realistic} |`;
      assert.ok(section.includes(row), `README row: ${row}`);
    }
  });
});

describe('messages', () => {
  it('name policy, rule, container and path, and never a value', async () => {
    const set = await loadSet();
    const { rules } = exportVap(set, { now: NOW });
    const canary = 'CANARY-value-4f1d';
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web', namespace: 'team-a' },
      spec: {
        containers: [
          { name: 'side', image: 'x', env: [{ name: 'PLAIN', value: canary }] },
          {
            name: 'app',
            image: 'x',
            args: [canary],
            env: [
              { name: 'OTHER', value: canary },
              { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
            ],
          },
        ],
      },
    };
    const rule = rules.find((r) => r.rule === 'secret-env-var')!;
    const outcome = runVap(rule, requestFor(pod));
    assert.equal(outcome.status, 'fail');
    if (outcome.status !== 'fail') return;
    assert.match(
      outcome.message,
      /^\[disallow-secret-env\/secret-env-var\] spec\.containers\[name=app\]\.env\[name=DB_PASSWORD\]: container "app" reads key "password" of Secret "db" into env var DB_PASSWORD/,
    );
    assert.doesNotMatch(outcome.message, new RegExp(canary));
    assert.equal(
      outcome.audit,
      'disallow-secret-env/secret-env-var deny at spec.containers[name=app].env[name=DB_PASSWORD]',
    );
  });

  it('a pod template: the path on the real object', async () => {
    const { rules } = exportVap(await loadSet(), { now: NOW });
    const cronJob = {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'nightly', namespace: 'team-a' },
      spec: {
        jobTemplate: {
          spec: {
            template: {
              spec: { initContainers: [{ name: 'init', image: 'x', envFrom: [{ secretRef: { name: 'db' } }] }] },
            },
          },
        },
      },
    };
    const outcome = runVap(rules.find((r) => r.rule === 'secret-env-from')!, requestFor(cronJob));
    assert.equal(outcome.status, 'fail');
    if (outcome.status === 'fail')
      assert.match(
        outcome.message,
        /^\[disallow-secret-env\/secret-env-from\] spec\.jobTemplate\.spec\.template\.spec\.initContainers\[name=init\]\.envFrom\[\*\]: container "init" loads every key of Secret "db"/,
      );
  });

  it('an RBAC rule: the first list element of a field, and the nameless element by [*]', async () => {
    const { rules } = exportVap(await loadSet(), { now: NOW });
    const role = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'reader', namespace: 'team-a' },
      rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['list', 'get'] }],
    };
    const rule = rules.find((r) => r.rule === 'list-or-watch-secrets')!;
    const outcome = runVap(rule, requestFor(role));
    assert.equal(outcome.status, 'fail');
    if (outcome.status === 'fail')
      assert.match(
        outcome.message,
        /^\[restrict-secret-rbac\/list-or-watch-secrets\] rules\[\*\]: Role reader grants list, \.\.\. on secrets;/,
      );
  });
});
