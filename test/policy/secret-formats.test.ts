import { strict as assert } from 'node:assert';
import { readFile, readdir } from 'node:fs/promises';
import { test } from 'node:test';
import { BUILTIN_INDEX } from '../../src/detect/index.js';
import { evaluateObject, parsePolicyFiles, type PolicyFile, type PolicySet } from '../../src/policy/index.js';
import { literalPrefix } from '../../src/policy/compile-document.js';
import { base62, join } from '../detect/fixtures.js';

const NOW = new Date('2026-11-29T10:00:00Z');

async function builtinFiles(): Promise<PolicyFile[]> {
  const names = (await readdir('policies')).filter((f) => f.endsWith('.yaml')).sort();
  return Promise.all(
    names.map(async (f) => ({ file: f, text: await readFile(`policies/${f}`, 'utf8'), builtin: true })),
  );
}

const FORMATS = `apiVersion: policy.shroud.dev/v1
kind: SecretFormats
metadata: { name: acme }
spec:
  formats:
    - name: acme-deploy-token
      provider: ACME
      description: deploy token
      tier: high
      prefixes: [acmedt_]
      alphabet: base62
      length: 40
    - name: acme-legacy-key
      provider: ACME
      tier: low
      regex: 'acmelk-[0-9a-f]{32}'
    - name: acme-internal-key
      provider: ACME
      description: internal API key
      tier: high
      keyHints: [acme]
      alphabet: hex
      length: 32
`;

function verdicts(set: PolicySet, data: Record<string, string>): string[] {
  const object = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'n' }, data };
  return evaluateObject(set, { object, kind: 'ConfigMap', operation: 'CREATE' }, { now: NOW }).violations.map(
    (v) =>
      `${v.enforcement} ${v.rule} ${v.path}: ${/detector ([a-z-]+)/.exec(v.message)?.[1]}${v.message.includes('ACME') ? ' ACME' : ''}`,
  );
}

test('team formats join the built-in table: found at their tier, named in the message', async (t) => {
  const r = parsePolicyFiles([...(await builtinFiles()), { file: 'acme-formats.yaml', text: FORMATS }]);
  assert.deepEqual(r.issues, []);
  assert.notEqual(r.value.formats, BUILTIN_INDEX);
  const hex = '3f9a1c7e5b2d4f608a1e3c5b7d9f2a4c';
  const cases: Array<{ name: string; data: Record<string, string>; expected: string[] }> = [
    {
      name: 'a prefixed format, deny',
      data: { deploy: join('acm', 'edt_', base62(40, 3)) },
      expected: ['deny secret-value data.deploy: provider-token ACME'],
    },
    {
      name: 'a regex format, warn',
      data: { legacy: join('x acm', 'elk-', hex) },
      expected: ['warn high-entropy-value data.legacy: provider-token-weak ACME'],
    },
    {
      name: 'a keyed format under a key naming the provider',
      data: { ACME_API_KEY: hex },
      expected: ['deny secret-value data.ACME_API_KEY: provider-token ACME'],
    },
    { name: 'the keyed shape under another key is not flagged', data: { BUILD_HASH: hex }, expected: [] },
    {
      name: 'a masked value of the prefixed format is not',
      data: { deploy: join('acm', 'edt_', 'x'.repeat(40)) },
      expected: [],
    },
    {
      name: 'the built-in formats still work',
      data: { k: join('hf', '_', base62(34, 9)) },
      expected: ['deny secret-value data.k: provider-token'],
    },
  ];
  for (const c of cases) await t.test(c.name, () => assert.deepEqual(verdicts(r.value, c.data), c.expected));
  await t.test('without SecretFormats the built-in index is used', async () => {
    const plain = parsePolicyFiles(await builtinFiles());
    assert.equal(plain.value.formats, BUILTIN_INDEX);
    assert.deepEqual(verdicts(plain.value, { deploy: join('acm', 'edt_', base62(40, 3)) }), []);
  });
});

test('literalPrefix counts the literal start of a regex', async (t) => {
  const cases: Array<[string, number]> = [
    ['acme_[0-9a-f]{32}', 5],
    ['ab\\.cd[0-9]+', 5],
    ['abc?d', 2],
    ['[a-z]+', 0],
    ['(?i)acme_', 0],
    ['acme|other', 0],
    ['(acme|other)_x', 0],
    ['a[|]bc', 1],
  ];
  for (const [source, n] of cases) await t.test(source, () => assert.equal(literalPrefix(source), n));
});

test('invalid team formats are refused with file:line, and the load reports issues (the last good set stays)', async (t) => {
  const doc = (format: string) =>
    `apiVersion: policy.shroud.dev/v1\nkind: SecretFormats\nmetadata: { name: bad }\nspec:\n  formats:\n${format}`;
  const cases = [
    {
      name: 'a regex that needs backtracking',
      text: doc(`    - name: a\n      provider: A\n      tier: high\n      regex: '(a+)\\1'\n`),
      code: 'POLICY_REGEX_INVALID',
      line: 9,
      message: /backreference/,
    },
    {
      name: 'a regex that is not valid',
      text: doc(`    - name: a\n      provider: A\n      tier: high\n      regex: 'tok_[a-z'\n`),
      code: 'POLICY_REGEX_INVALID',
      line: 9,
      message: /invalid regular expression/,
    },
    {
      name: 'a regex without a literal start (it would step over every character)',
      text: doc(`    - name: a\n      provider: A\n      tier: low\n      regex: '[a-z]+_[0-9a-f]{32}'\n`),
      code: 'POLICY_REGEX_INVALID',
      line: 9,
      message: /at least 3 literal characters/,
    },
    {
      name: 'a regex whose branches start differently',
      text: doc(`    - name: a\n      provider: A\n      tier: low\n      regex: 'acme_[0-9]{8}|x{3}'\n`),
      code: 'POLICY_REGEX_INVALID',
      line: 9,
      message: /literal characters/,
    },
    {
      name: 'a regex with a huge program',
      text: doc(`    - name: a\n      provider: A\n      tier: low\n      regex: 'k[a-z]{1000}[0-9]{1000}'\n`),
      code: 'POLICY_REGEX_INVALID',
      line: 9,
      message: /instructions/,
    },
    {
      name: 'a reversed alphabet range',
      text: doc(
        `    - name: a\n      provider: A\n      tier: high\n      prefixes: [abc_]\n      alphabet: z-a\n      length: 20\n`,
      ),
      code: 'POLICY_SCHEMA_INVALID',
      line: 10,
      message: /reversed range/,
    },
    {
      name: 'no prefix, no regex, no hints',
      text: doc(`    - name: a\n      provider: A\n      tier: high\n      alphabet: hex\n      length: 32\n`),
      code: 'POLICY_SCHEMA_INVALID',
      line: 6,
      message: /keyHints/,
    },
    {
      name: 'a regex next to prefixes',
      text: doc(
        `    - name: a\n      provider: A\n      tier: high\n      regex: 'abc_[a-z]{8}'\n      prefixes: [abc_]\n`,
      ),
      code: 'POLICY_SCHEMA_INVALID',
      line: 10,
      message: /has no prefixes/,
    },
    {
      name: 'keyHints on a prefixed format',
      text: doc(
        `    - name: a\n      provider: A\n      tier: high\n      prefixes: [abc_]\n      alphabet: hex\n      length: 32\n      keyHints: [abc]\n`,
      ),
      code: 'POLICY_SCHEMA_INVALID',
      line: 12,
      message: /keyHints are for formats without prefixes/,
    },
    {
      name: 'a prefix shorter than three characters (schema)',
      text: doc(
        `    - name: a\n      provider: A\n      tier: high\n      prefixes: [ab]\n      alphabet: hex\n      length: 32\n`,
      ),
      code: 'POLICY_SCHEMA_INVALID',
      line: 9,
      message: /prefixes/,
    },
  ];
  for (const c of cases) {
    await t.test(c.name, () => {
      const r = parsePolicyFiles([{ file: 'team/formats.yaml', text: c.text }]);
      assert.equal(r.issues.length, 1, JSON.stringify(r.issues));
      const issue = r.issues[0]!;
      assert.equal(issue.code, c.code);
      assert.equal(issue.file, 'team/formats.yaml');
      assert.equal(issue.line, c.line, issue.message);
      assert.match(issue.message, c.message);
      assert.equal(r.value.formats, BUILTIN_INDEX, 'nothing of the bad document is used');
    });
  }
  await t.test('the same name in two documents', () => {
    const one = doc(
      `    - name: a\n      provider: A\n      tier: high\n      prefixes: [abc_]\n      alphabet: hex\n      length: 32\n`,
    );
    const r = parsePolicyFiles([
      { file: 'one.yaml', text: one },
      { file: 'two.yaml', text: one.replace('name: bad', 'name: other') },
    ]);
    assert.deepEqual(
      r.issues.map((i) => [i.code, i.file, i.line]),
      [['POLICY_DUPLICATE_NAME', 'two.yaml', 6]],
    );
    assert.match(r.issues[0]!.message, /already declared \(in one\.yaml\)/);
  });
});
