import { strict as assert } from 'node:assert';
import { mkdtemp, mkdir, rm, symlink, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isShroudError } from '../../src/errors.js';
import { formatIssue, loadPolicyDir, parsePolicyFiles, valueOrThrow } from '../../src/policy/index.js';

const FIXTURES = 'test/fixtures/policy';

// A RegExp stands for lines that list all detectors: that list grows with src/detect.
const cases: Array<{ name: string; dir: string; policies: string[]; issues: Array<string | RegExp> }> = [
  {
    name: 'a misspelled operator names the rule, the condition and the closest operator',
    dir: 'unknown-operator',
    policies: [],
    issues: [
      'POLICY_SCHEMA_INVALID test/fixtures/policy/unknown-operator/policy.yaml:18:11: rules[2].when[0]: unknown operator "anyof" (did you mean "anyOf"?)',
    ],
  },
  {
    name: 'invalid YAML is reported with its position',
    dir: 'yaml-syntax',
    policies: [],
    issues: [
      'POLICY_PARSE_FAILED test/fixtures/policy/yaml-syntax/policy.yaml:9:3: Flow sequence in block collection must be sufficiently indented and end with a ]',
    ],
  },
  {
    name: 'a selector without $',
    dir: 'bad-selector',
    policies: [],
    issues: [
      'POLICY_SELECTOR_INVALID test/fixtures/policy/bad-selector/policy.yaml:11:15: rules[0].select: selector "spec.containers[*]" must start with "$"',
    ],
  },
  {
    name: 'a regular expression that does not compile',
    dir: 'bad-regex',
    policies: [],
    issues: [
      'POLICY_REGEX_INVALID test/fixtures/policy/bad-regex/policy.yaml:14:20: rules[0].when[0].matches: invalid regular expression /(latest/: missing closing ) (RE2 syntax)',
    ],
  },
  {
    name: 'a backreference is refused: it needs backtracking',
    dir: 'regex-backreference',
    policies: [],
    issues: [
      'POLICY_REGEX_INVALID test/fixtures/policy/regex-backreference/policy.yaml:14:20: rules[0].when[0].matches: regular expression /:(\\w+)-\\1$/ uses a backreference (\\1), which the linear-time engine does not support: it needs backtracking, which can take exponential time on a hostile value and stall admission; rewrite the pattern without it',
    ],
  },
  {
    name: 'a template that would print an env value is rejected at load',
    dir: 'value-template',
    policies: [],
    issues: [
      'POLICY_TEMPLATE_INVALID test/fixtures/policy/value-template/policy.yaml:12:16: rules[0].message: {{item.value}} could print a value that may be a secret (under value, data, binaryData, stringData, annotations, args, command, or a whole selected item); show {{key}}, {{path}} or a name instead',
    ],
  },
  {
    name: 'an unknown detector suggests the closest name',
    dir: 'unknown-detector',
    policies: [],
    issues: [
      /^POLICY_DETECTOR_UNKNOWN test\/fixtures\/policy\/unknown-detector\/policy\.yaml:13:21: rules\[0\]\.when\[0\]\.detector: unknown detector "privat-key" \(did you mean "private-key"\?\); known: high, low, private-key, .*secret-named-key/,
    ],
  },
  {
    name: 'two policies with one name: the first wins, the second is reported',
    dir: 'duplicate-name',
    policies: ['same'],
    issues: [
      'POLICY_DUPLICATE_NAME test/fixtures/policy/duplicate-name/b.yaml:4:9: metadata.name: another policy is already named "same" (in test/fixtures/policy/duplicate-name/a.yaml)',
    ],
  },
  {
    name: 'an exception naming a missing policy',
    dir: 'unknown-reference',
    policies: ['disallow-secret-env'],
    issues: [
      'POLICY_REFERENCE_UNKNOWN test/fixtures/policy/unknown-reference/exception.yaml:7:13: policies[0].name: no policy is named "disallow-secret-envs" (did you mean "disallow-secret-env"?)',
    ],
  },
  {
    name: 'an enum value lists the accepted ones',
    dir: 'bad-enum',
    policies: [],
    issues: [
      'POLICY_SCHEMA_INVALID test/fixtures/policy/bad-enum/policy.yaml:6:16: enforcement: "block" is not one of deny, warn, audit',
    ],
  },
  {
    name: 'two operators in one condition',
    dir: 'two-operators',
    policies: [],
    issues: [
      'POLICY_SCHEMA_INVALID test/fixtures/policy/two-operators/policy.yaml:13:11: rules[0].when[0]: has 2 operators (anyOf, equals); put each in its own condition (all conditions must hold)',
    ],
  },
  {
    name: 'a missing required field',
    dir: 'missing-field',
    policies: [],
    issues: [
      'POLICY_SCHEMA_INVALID test/fixtures/policy/missing-field/policy.yaml:10:7: rules[0]: missing required field "message"',
    ],
  },
  {
    name: 'an expiry date that does not exist',
    dir: 'bad-date',
    policies: ['p'],
    issues: [
      'POLICY_SCHEMA_INVALID test/fixtures/policy/bad-date/exception.yaml:21:12: expires: "2026-02-30" is not a real date',
    ],
  },
  {
    name: 'multi-document: empty documents are skipped, the valid one loads, the invalid one is located',
    dir: 'multi-document',
    policies: ['good'],
    issues: [
      `POLICY_SCHEMA_INVALID test/fixtures/policy/multi-document/policies.yaml:19:9: metadata.name: "Bad_Name" is not valid: must be lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters`,
    ],
  },
  {
    name: 'a wrong apiVersion',
    dir: 'wrong-api-version',
    policies: [],
    issues: [
      'POLICY_SCHEMA_INVALID test/fixtures/policy/wrong-api-version/policy.yaml:1:13: apiVersion: must be "policy.shroud.dev/v1"',
    ],
  },
  {
    name: 'exclusions: an entry without match fields, a misspelled field and a repeated entry name, each at its line',
    dir: 'bad-exclusions',
    policies: [],
    issues: [
      'POLICY_SCHEMA_INVALID test/fixtures/policy/bad-exclusions/everything.yaml:7:7: exclusions[0]: matches every request; give at least one of namespaces, kinds, names or labels',
      'POLICY_SCHEMA_INVALID test/fixtures/policy/bad-exclusions/exclusions.yaml:9:7: exclusions[0]: unknown field "namespace" (did you mean "namespaces"?)',
      'POLICY_DUPLICATE_NAME test/fixtures/policy/bad-exclusions/more.yaml:10:13: exclusions[1].name: another exclusion of this document is already named "a"',
    ],
  },
  {
    name: 'workload kinds: a kind without its group, a bad template path and a kind declared twice, each at its line',
    dir: 'bad-workload-kinds',
    policies: [],
    issues: [
      'POLICY_SCHEMA_INVALID test/fixtures/policy/bad-workload-kinds/kinds.yaml:7:13: kinds[0].kind: "Rollout" is not valid: must be an API group and a kind, like argoproj.io/Rollout',
      'POLICY_SCHEMA_INVALID test/fixtures/policy/bad-workload-kinds/kinds.yaml:10:20: kinds[1].podTemplate: "spec..template" is not valid: must be the dotted path of the pod template in the object, like spec.template',
      'POLICY_DUPLICATE_NAME test/fixtures/policy/bad-workload-kinds/more.yaml:7:13: kinds[0].kind: workload kind keda.sh/ScaledJob is already declared (in test/fixtures/policy/bad-workload-kinds/first.yaml); keep one pod template path per kind',
    ],
  },
  {
    name: 'recursive, .yaml/.yml in any case, other files ignored',
    dir: 'tree',
    policies: ['deeper-two', 'nested-one', 'same'],
    issues: [],
  },
];

for (const c of cases) {
  test(`loader: ${c.name}`, async () => {
    const r = await loadPolicyDir(join(FIXTURES, c.dir));
    const lines = r.issues.map((i) => `${i.code} ${formatIssue(i)}`);
    assert.equal(lines.length, c.issues.length, lines.join('\n'));
    c.issues.forEach((expected, i) => {
      if (typeof expected === 'string') assert.equal(lines[i], expected);
      else assert.match(lines[i]!, expected);
    });
    assert.deepEqual(
      r.value.policies.map((p) => p.name),
      c.policies,
    );
  });
}

test('loader: the shipped policies load without issues and index every pod-template kind', async () => {
  const r = await loadPolicyDir('policies');
  assert.deepEqual(r.issues, []);
  assert.deepEqual(
    r.value.policies.map((p) => p.name),
    [
      'disallow-host-path',
      'disallow-secret-env',
      'disallow-secrets-in-configmaps',
      'restrict-secret-bindings',
      'restrict-secret-rbac',
    ],
  );
  for (const kind of [
    'Pod',
    'Deployment',
    'ReplicaSet',
    'StatefulSet',
    'DaemonSet',
    'Job',
    'CronJob',
    'ReplicationController',
    'PodTemplate',
  ]) {
    assert.deepEqual(
      r.value.byKind.get(kind)?.map((t) => t.policy.name),
      ['disallow-host-path', 'disallow-secret-env'],
      kind,
    );
  }
  assert.equal(r.value.byKind.get('Service'), undefined);
  assert.deepEqual(
    r.value.exclusions.map((x) => x.name),
    [
      'system-exclusions/kubernetes-system-namespaces',
      'system-exclusions/kube-public',
      'system-exclusions/kube-node-lease',
      'system-exclusions/shroud',
      'system-exclusions/bootstrap-rbac',
    ],
  );
  assert.deepEqual(
    r.value.workloadKinds.map((w) => `${w.group}/${w.kind} ${w.templatePath.join('.')}`),
    [
      'argoproj.io/Rollout spec.template',
      'serving.knative.dev/Service spec.template',
      'keda.sh/ScaledJob spec.jobTargetRef.template',
      'apps.kruise.io/CloneSet spec.template',
    ],
  );
  for (const kind of [
    'argoproj.io/Rollout',
    'serving.knative.dev/Service',
    'keda.sh/ScaledJob',
    'apps.kruise.io/CloneSet',
  ])
    assert.deepEqual(
      r.value.byKind.get(kind)?.map((t) => `${t.policy.name} ${t.templatePath?.join('.')}`),
      [
        `disallow-host-path ${kind === 'keda.sh/ScaledJob' ? 'spec.jobTargetRef.template' : 'spec.template'}`,
        `disallow-secret-env ${kind === 'keda.sh/ScaledJob' ? 'spec.jobTargetRef.template' : 'spec.template'}`,
      ],
      kind,
    );
});

test('loader: a missing directory is an issue, not an exception', async () => {
  const r = await loadPolicyDir(join(FIXTURES, 'does-not-exist'));
  assert.deepEqual(
    r.issues.map((i) => i.code),
    ['POLICY_DIR_UNREADABLE'],
  );
  assert.equal(r.value.policies.length, 0);
});

test('loader: a mounted ConfigMap (..data symlink swap layout) loads each file once', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'shroud-policies-'));
  try {
    const text = await readFile(join(FIXTURES, 'duplicate-name/a.yaml'), 'utf8');
    await mkdir(join(dir, '..2026_11_23_09_00_00.1'));
    await writeFile(join(dir, '..2026_11_23_09_00_00.1', 'policy.yaml'), text);
    await symlink('..2026_11_23_09_00_00.1', join(dir, '..data'));
    await symlink('..data/policy.yaml', join(dir, 'policy.yaml'));
    const r = await loadPolicyDir(dir);
    assert.deepEqual(r.issues, []);
    assert.deepEqual(
      r.value.policies.map((p) => [p.name, p.file]),
      [['same', join(dir, 'policy.yaml')]],
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('parsePolicyFiles: pure, names files as given, and the set is frozen', () => {
  const r = parsePolicyFiles([
    {
      file: 'inline.yaml',
      text: 'apiVersion: policy.shroud.dev/v1\nkind: Policy\nmetadata: {name: x}\nspec: {enforcement: audit, match: {kinds: ["*"]}, rules: [{name: r, message: m}]}\n',
    },
    { file: 'bad.yaml', text: 'kind: Policy\n' },
  ]);
  assert.deepEqual(
    r.issues.map((i) => formatIssue(i)),
    [
      'bad.yaml:1:1: document: missing required field "apiVersion"',
      'bad.yaml:1:1: document: missing required field "metadata"',
      'bad.yaml:1:1: document: missing required field "spec"',
    ],
  );
  assert.equal(r.value.anyKind.length, 1);
  assert.ok(Object.isFrozen(r.value));
  assert.ok(Object.isFrozen(r.value.policies));
  assert.ok(Object.isFrozen(r.value.policies[0]!.rules[0]));
  assert.throws(() => (r.value.byKind as Map<string, unknown>).set('Pod', []), /immutable/);
  assert.throws(() => (r.value.policies[0]!.match.kinds as Set<string>).add('Secret'), /immutable/);
});

test('loader: issues carry the field path inside the document', async () => {
  const paths = async (dir: string) => (await loadPolicyDir(join(FIXTURES, dir))).issues.map((i) => i.path);
  assert.deepEqual(await paths('unknown-operator'), ['spec.rules[2].when[0]']);
  assert.deepEqual(await paths('unknown-reference'), ['spec.policies[0].name']);
  assert.deepEqual(await paths('bad-regex'), ['spec.rules[0].when[0].matches']);
  assert.deepEqual(await paths('duplicate-name'), ['metadata.name']);
});

test('loader: {{finding.*}} in a rule without a detector condition is rejected', () => {
  const r = parsePolicyFiles([
    {
      file: 'p.yaml',
      text: 'apiVersion: policy.shroud.dev/v1\nkind: Policy\nmetadata: {name: x}\nspec:\n  enforcement: deny\n  match: {kinds: [ConfigMap]}\n  rules:\n    - name: r\n      select: "$.data.*"\n      message: "{{key}} {{finding.detector}}"\n',
    },
  ]);
  assert.deepEqual(
    r.issues.map((i) => `${i.code} ${formatIssue(i)}`),
    [
      'POLICY_TEMPLATE_INVALID p.yaml:10:16: rules[0].message: {{finding.*}} needs a `detector` condition in this rule; without one it is always empty',
    ],
  );
});

test('valueOrThrow: the value when clean, else the first issue as a ShroudError with all issues in details', async () => {
  assert.equal(valueOrThrow(await loadPolicyDir('policies')).policies.length, 5);
  const bad = await loadPolicyDir(join(FIXTURES, 'unknown-operator'));
  assert.throws(
    () => valueOrThrow(bad),
    (err: unknown) =>
      isShroudError(err, 'POLICY_SCHEMA_INVALID') &&
      err.message ===
        'test/fixtures/policy/unknown-operator/policy.yaml:18:11: rules[2].when[0]: unknown operator "anyof" (did you mean "anyOf"?)' &&
      (err.details!.issues as unknown[]).length === 1,
  );
});
