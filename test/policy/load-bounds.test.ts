import { strict as assert } from 'node:assert';
import { readFileSync, writeFileSync, rmSync, mkdirSync, cpSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import {
  DEFAULT_POLICY_LIMITS,
  evaluateObject,
  loadPolicyDir,
  parsePolicyFiles,
  type PolicyLimits,
} from '../../src/policy/index.js';
import type { Issue } from '../../src/issues.js';
import { openReloadingStore } from '../../src/watch/index.js';
import { memoryLogger } from '../helpers/logs.js';
import { tempDir } from '../helpers/temp-dir.js';

// Every test here would run for seconds, minutes or out of memory without the bounds; the
// timeout turns such a regression into a failure instead of a hung suite.
const FAST = { timeout: 15_000 };

const HEAD = 'apiVersion: policy.shroud.dev/v1\nkind: Policy\nmetadata:\n  name: bomb\n';

/** The classic billion laughs: nine levels of nine aliases, 9^9 scalars when expanded. */
function billionLaughs(): string {
  let text = `${HEAD}x0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n`;
  for (let i = 1; i < 10; i++)
    text += `x${i}: &a${i} [${Array(9)
      .fill(`*a${i - 1}`)
      .join(', ')}]\n`;
  return `${text}spec: *a9\n`;
}

/** One rule with `conditions` conditions, anchored and then used `uses` more times: small text, large value. */
function aliasedRule(conditions: number, uses: number): string {
  let text = `${HEAD}spec:\n  enforcement: deny\n  match: {kinds: [Pod]}\n  rules:\n    - &r\n      name: r\n      message: m\n      when:\n`;
  for (let i = 0; i < conditions; i++) text += `        - {path: "$.a${i}", exists: true}\n`;
  for (let i = 0; i < uses; i++) text += '    - *r\n';
  return text;
}

/** `anchors` anchors each used `uses` times: resolving these made the yaml package scan every anchor per alias. */
function manyAliases(anchors: number, uses: number): string {
  let text = `${HEAD}x:\n`;
  for (let i = 0; i < anchors; i++) text += `  - &s${i} [a, b, c]\n`;
  text += 'y:\n';
  for (let i = 0; i < anchors; i++) text += `  - [${Array(uses).fill(`*s${i}`).join(', ')}]\n`;
  return text;
}

/** A valid policy of 20 + 5 x `rules` YAML nodes, in four lines. */
function tiny(name: string, rules: number): string {
  const list = Array.from({ length: rules }, (_, i) => `{name: r${i}, message: m}`).join(', ');
  return `apiVersion: policy.shroud.dev/v1\nkind: Policy\nmetadata: {name: ${name}}\nspec: {enforcement: deny, match: {kinds: [Pod]}, rules: [${list}]}\n`;
}

interface Case {
  name: string;
  files: Record<string, string>;
  limits?: Partial<PolicyLimits>;
  /** `CODE file:line` of every issue, in order. */
  expected: string[];
  /** Matched against the first issue's message. */
  message?: RegExp;
}

const cases: Case[] = [
  {
    name: 'a billion-laughs file is stopped at the alias that passes the node limit',
    files: { 'laughs.yaml': billionLaughs() },
    expected: ['POLICY_TOO_LARGE laughs.yaml:8'],
    message: /^alias \*a2 \(a copy of 820 nodes\) takes this document over 5000 YAML nodes/,
  },
  {
    name: 'an alias that passes the limit is reported where it is used',
    files: { 'a.yaml': 'a: &x [1, 2, 3]\nb: *x\n' },
    limits: { maxDocumentNodes: 10 },
    expected: ['POLICY_TOO_LARGE a.yaml:2'],
    message: /^alias \*x \(a copy of 4 nodes\) takes this document over 10 YAML nodes/,
  },
  {
    name: 'nodes written out count too, keys included',
    files: { 'a.yaml': 'a: 1\nb: [1, 2]\nc: {d: e}\n' },
    limits: { maxDocumentNodes: 10 },
    expected: ['POLICY_TOO_LARGE a.yaml:3'],
    message: /^this document has more than 10 YAML nodes, the limit per document; split it/,
  },
  {
    name: 'a document far over the limit is stopped while it is read, before it is built',
    files: { 'a.yaml': '- [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n- [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n- [1]\n' },
    limits: { maxDocumentNodes: 10 },
    expected: ['POLICY_TOO_LARGE a.yaml:2'],
  },
  {
    name: 'the limit is per document, and the rest of a file over it is not read',
    files: {
      'a.yaml': [tiny('p1', 1), tiny('p2', 1), tiny('p3', 2), 'd: *nope\n'].join('---\n'),
      'b.yaml': 'e: *nope\n',
    },
    limits: { maxDocumentNodes: 25 },
    expected: ['POLICY_TOO_LARGE a.yaml:14', 'POLICY_PARSE_FAILED b.yaml:1'],
  },
  {
    name: 'a rule anchored once and used 500 times (380 KB that ran the server out of memory)',
    files: { 'rules.yaml': aliasedRule(9000, 500) },
    expected: ['POLICY_TOO_LARGE rules.yaml:1258'],
  },
  {
    name: '2,000 anchors used 30 times each (a 51 s stall in the yaml package alias resolution)',
    files: { 'wide.yaml': manyAliases(2000, 30) },
    expected: ['POLICY_TOO_LARGE wide.yaml:2003'],
  },
  {
    name: 'an alias inside the node it names is a cycle, not an endless value',
    files: { 'cycle.yaml': `${HEAD}spec: &s\n  x: *s\n` },
    expected: ['POLICY_PARSE_FAILED cycle.yaml:6'],
    message: /^alias \*s is inside the node it names \(&s\)/,
  },
  {
    name: 'an alias without an anchor before it is a located YAML error, not an internal one',
    files: { 'a.yaml': `${HEAD}spec: *later\nlater: &later {}\n` },
    expected: ['POLICY_PARSE_FAILED a.yaml:5'],
    message: /^alias \*later names no anchor &later before it$/,
  },
  {
    name: 'a file over the size limit is reported at the line where it passes the limit',
    files: { 'big.yaml': `${'# 29 characters of comment.\n'.repeat(2)}${'x'.repeat(40)}\n`, 'ok.yaml': '' },
    limits: { maxFileBytes: 64 },
    expected: ['POLICY_TOO_LARGE big.yaml:3'],
    message: /^the file passes 64 B, the limit per policy file, at this line \(it has 97 B\)/,
  },
  {
    name: 'the directory total is reported in the file that passes it; later files are not read',
    files: { 'a.yaml': `${'#'.repeat(59)}\n`, 'b.yaml': `#\n#\n${'#'.repeat(57)}\n`, 'c.yaml': 'x: *nope\n' },
    limits: { maxTotalBytes: 100 },
    expected: ['POLICY_TOO_LARGE b.yaml:3'],
    message: /^the policy files together pass 100 B, .*; 1 more file\(s\) were not read/,
  },
  {
    name: 'a load stops after maxIssues problems and says so',
    files: {
      'a.yaml': `${HEAD}spec: {enforcement: deny, match: {kinds: [Pod]}, rules: [{nam: a}, {nam: b}, {nam: c}]}\n`,
      'b.yaml': 'x: *nope\n',
    },
    limits: { maxIssues: 3 },
    expected: [
      'POLICY_SCHEMA_INVALID a.yaml:5',
      'POLICY_SCHEMA_INVALID a.yaml:5',
      'POLICY_SCHEMA_INVALID a.yaml:5',
      'POLICY_TOO_LARGE a.yaml:5',
    ],
  },
];

const brief = (issues: readonly Issue[], dir = ''): string[] =>
  issues.map((i) => `${i.code} ${(i.file ?? '').slice(dir === '' ? 0 : dir.length + 1)}:${i.line}`);

for (const c of cases) {
  test(`bounds (files on disk): ${c.name}`, FAST, async () => {
    const dir = tempDir('shroud-bounds-');
    for (const [name, text] of Object.entries(c.files)) writeFileSync(join(dir, name), text);
    const r = await loadPolicyDir(dir, c.limits === undefined ? {} : { limits: c.limits });
    assert.deepEqual(brief(r.issues, dir), c.expected);
    if (c.message) assert.match(r.issues[0]!.message, c.message);
  });

  test(`bounds (texts): ${c.name}`, FAST, () => {
    const files = Object.entries(c.files).map(([file, text]) => ({ file, text }));
    const r = parsePolicyFiles(files, { ...DEFAULT_POLICY_LIMITS, ...c.limits });
    assert.deepEqual(brief(r.issues), c.expected);
    if (c.message) assert.match(r.issues[0]!.message, c.message);
  });
}

test('bounds: a file is read only up to the limit, however large it is', FAST, async () => {
  const dir = tempDir('shroud-bounds-');
  writeFileSync(join(dir, 'huge.yaml'), `${'# a comment line\n'.repeat(8)}`.repeat(64 * 1024));
  const r = await loadPolicyDir(dir);
  assert.deepEqual(brief(r.issues, dir), ['POLICY_TOO_LARGE huge.yaml:61681']);
  assert.match(
    r.issues[0]!.message,
    /^the file passes 1 MiB, the limit per policy file, at this line \(it has 8\.5 MiB\)/,
  );
});

test('bounds: anchors and aliases within the limits work as before (the values are copies)', FAST, () => {
  const text = `${HEAD}spec:
  enforcement: deny
  match: {kinds: [ConfigMap]}
  rules:
    - name: a
      when: &names
        - {path: "$.metadata.name", anyOf: [x, y]}
      message: a
    - name: b
      when: *names
      message: b
`;
  const r = parsePolicyFiles([{ file: 'p.yaml', text }]);
  assert.deepEqual(r.issues, []);
  const result = evaluateObject(
    r.value,
    { object: { kind: 'ConfigMap', metadata: { name: 'y' } }, kind: 'ConfigMap', operation: 'CREATE' },
    { now: new Date() },
  );
  assert.deepEqual(
    result.violations.map((v) => v.rule),
    ['a', 'b'],
  );
});

test('bounds: a reload of a bomb is a located issue and the last good set stays in force', FAST, async () => {
  const dir = tempDir('shroud-bounds-');
  cpSync('policies', dir, { recursive: true });
  const logs = memoryLogger();
  const store = await openReloadingStore({
    dir,
    load: loadPolicyDir,
    logger: logs.logger,
    what: 'policies',
    pollMs: 60_000,
  });
  try {
    const good = store.current();
    assert.equal(good.policies.length, 5);
    const bomb = join(dir, 'laughs.yaml');
    writeFileSync(bomb, billionLaughs());
    assert.equal(await store.reload(), false);
    assert.equal(store.current(), good);
    const { lastError } = store.readiness() as unknown as { lastError: { issues: Issue[] } };
    assert.deepEqual(
      lastError.issues.map((i) => ({ code: i.code, file: i.file, line: i.line })),
      [{ code: 'POLICY_TOO_LARGE', file: bomb, line: 8 }],
    );
    rmSync(bomb);
    assert.equal(await store.reload(), true);
    assert.equal(store.current().policies.length, 5);
  } finally {
    store.close();
  }
});

test('bounds: a load lets other work run between its steps', FAST, async () => {
  const dir = tempDir('shroud-bounds-');
  mkdirSync(join(dir, 'more'));
  const builtins = readFileSync('policies/restrict-secret-rbac.yaml', 'utf8');
  const docs = Array.from({ length: 20 }, (_, i) => builtins.replace('name: restrict-secret-rbac', `name: rbac-${i}`));
  writeFileSync(join(dir, 'more', 'copies.yaml'), docs.join('\n---\n'));
  let turns = 0;
  let loading = true;
  const ticker = (async () => {
    while (loading) {
      await nextTurn();
      turns++;
    }
  })();
  const r = await loadPolicyDir(dir, { sliceMs: 0 });
  loading = false;
  await ticker;
  assert.deepEqual(r.issues, []);
  assert.equal(r.value.policies.length, 20);
  // Each document is at least three steps (convert, schema check, compile), each a turn of the loop.
  assert.ok(turns >= 60, `only ${turns} turns of the event loop ran during the load`);
  assert.deepEqual(
    r.value.policies.map((p) => p.name),
    parsePolicyFiles([{ file: 'x.yaml', text: docs.join('\n---\n') }]).value.policies.map((p) => p.name),
  );
});
