import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { LineCounter, parseAllDocuments, parseDocument } from 'yaml';
import { findYamlProblems } from '../../src/policy/index.js';

function positions(text: string, offsets: number[]): string[] {
  const lc = new LineCounter();
  parseDocument(text, { lineCounter: lc });
  return offsets.map((o) => {
    const p = lc.linePos(o);
    return `${p.line}:${p.col}`;
  });
}

// The yaml package's own (quadratic) check is the oracle: same problems, same positions.
const duplicateCases: Array<{ name: string; text: string; count: number }> = [
  { name: 'no duplicates', text: 'a: 1\nb: 2\nc: {d: 1, e: 2}\n', count: 0 },
  { name: 'block map', text: 'a: 1\nb: 2\na: 3\n', count: 1 },
  { name: 'flow map', text: 'x: {a: 1, b: 2, a: 3}\n', count: 1 },
  { name: 'nested, in a list item', text: 'items:\n  - name: a\n    image: i\n    name: b\n', count: 1 },
  { name: 'quoted and plain spell the same key', text: 'a: 1\n"a": 2\n', count: 1 },
  { name: 'a tagged key', text: 'a: 1\n!!str a: 2\n', count: 1 },
  { name: 'a number and a string are different keys', text: '1: a\n"1": b\n', count: 0 },
  { name: 'three times is two problems', text: 'a: 1\na: 2\na: 3\n', count: 2 },
  { name: 'the same key in two maps is fine', text: 'x: {a: 1}\ny: {a: 1}\n', count: 0 },
  { name: 'keys of maps in a flow sequence', text: 'x: [{a: 1, a: 2}, {a: 3}]\n', count: 1 },
];
for (const c of duplicateCases) {
  test(`yaml checks: duplicate keys, ${c.name}`, () => {
    const oracle = parseAllDocuments(c.text, { uniqueKeys: true, prettyErrors: false }) as ReturnType<
      typeof parseDocument
    >[];
    const expected = oracle.flatMap((d) => d.errors.filter((e) => e.code === 'DUPLICATE_KEY').map((e) => e.pos[0]));
    const doc = parseDocument(c.text, { uniqueKeys: false });
    assert.deepEqual(doc.errors, []);
    const problems = findYamlProblems(doc);
    assert.equal(problems.length, c.count);
    assert.deepEqual(
      positions(
        c.text,
        problems.map((p) => p.offset),
      ),
      positions(c.text, expected),
    );
    for (const p of problems) assert.deepEqual([p.code, p.message], ['DUPLICATE_KEY', 'Map keys must be unique']);
  });
}

// Expanded sizes count every map, sequence and scalar (keys included) once per place it appears.
const expansionCases: Array<{ name: string; text: string; max: number; expected: string[] }> = [
  // root map, key a, seq, 1, 2, key b, *x (3 nodes) = 9
  { name: 'exactly at the bound', text: 'a: &x [1, 2]\nb: *x\n', max: 9, expected: [] },
  {
    name: 'one node past the bound, at the alias',
    text: 'a: &x [1, 2]\nb: *x\n',
    max: 8,
    expected: ['2:4 ALIAS_EXPANSION'],
  },
  {
    name: 'an alias of an alias counts what it names',
    // root, a, seq(1, 2) = 3, b, *x = 3, c, seq(*x) = 4, d, *y = 4 -> 1+1+3+1+3+1+4+1+4 = 19
    text: 'a: &x [1, 2]\nb: *x\nc: &y [*x]\nd: *y\n',
    max: 19,
    expected: [],
  },
  {
    name: 'an alias of an alias, one node less',
    text: 'a: &x [1, 2]\nb: *x\nc: &y [*x]\nd: *y\n',
    max: 18,
    expected: ['4:4 ALIAS_EXPANSION'],
  },
  {
    name: 'a later anchor with the same name replaces the earlier one',
    // root, a, seq(1, 2, 3, 4) = 5, b, 9, c, *x = 1 -> 11 (with the first &x it would be 15)
    text: 'a: &x [1, 2, 3, 4]\nb: &x 9\nc: *x\n',
    max: 11,
    expected: [],
  },
  { name: 'without aliases a document is never too large', text: 'a: [1, 2, 3, 4, 5, 6]\n', max: 3, expected: [] },
  { name: 'an alias inside the node it names', text: 'a: &x\n  b: *x\n', max: 100, expected: ['2:6 ALIAS_CYCLE'] },
  { name: 'an alias with no anchor is left to the parser', text: 'a: *nope\n', max: 100, expected: [] },
  {
    // a is 11 nodes, b 111, c 1111 ... f 1,111,111: its 8th alias of e passes a million.
    name: 'billion laughs',
    text: `a: &a [x, x, x, x, x, x, x, x, x, x]\n${Array.from({ length: 9 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array.from({ length: 10 }, () => `*${String.fromCharCode(97 + i)}`).join(', ')}]`).join('\n')}\n`,
    max: 1_000_000,
    expected: ['6:36 ALIAS_EXPANSION'],
  },
];
for (const c of expansionCases) {
  test(`yaml checks: alias expansion, ${c.name}`, () => {
    const doc = parseDocument(c.text, { uniqueKeys: false });
    assert.deepEqual(doc.errors, []);
    const problems = findYamlProblems(doc, { maxExpandedNodes: c.max });
    const where = positions(
      c.text,
      problems.map((p) => p.offset),
    );
    assert.deepEqual(
      problems.map((p, i) => `${where[i]} ${p.code}`),
      c.expected,
    );
  });
}

test('yaml checks: the expansion message names the bound and what to do', () => {
  const [problem] = findYamlProblems(parseDocument('a: &x [1, 2]\nb: *x\n'), { maxExpandedNodes: 5 });
  assert.equal(
    problem?.message,
    'aliases expand this document to more than 5 nodes (passed here); write the repeated parts out or split the document',
  );
});

test('yaml checks: deep nesting does not overflow the stack', () => {
  const depth = 20_000;
  const text = `${'['.repeat(depth)}${']'.repeat(depth)}`;
  const doc = parseDocument(text, { uniqueKeys: false });
  assert.deepEqual(findYamlProblems(doc), []);
});
