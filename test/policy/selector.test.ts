import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import { JSONPath } from 'jsonpath-plus';
import {
  compileSelector,
  formatPath,
  GuardedScript,
  type PathSegment,
  type Selector,
} from '../../src/policy/selector.js';

function selector(source: string): Selector {
  const r = compileSelector(source);
  if ('error' in r) throw new Error(r.error);
  return r.selector;
}

function matches(s: Selector, root: unknown, base: PathSegment[] = []): Array<[string, unknown]> {
  const out: Array<[string, unknown]> = [];
  s.visit(root, base, (value, path) => out.push([formatPath(path), value]));
  return out;
}

const pod = {
  spec: {
    containers: [
      {
        name: 'a',
        env: [
          { name: 'X', value: '1' },
          { name: 'S', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } },
        ],
      },
      { name: 'b' },
    ],
    volumes: [
      { name: 'v', hostPath: { path: '/var' } },
      { name: 'w', emptyDir: {} },
    ],
  },
  data: { 'app.properties': 'x', plain: 'y' },
};

const cases: Array<{ name: string; source: string; compiled: boolean; expected: Array<[string, unknown]> }> = [
  { name: 'root', source: '$', compiled: true, expected: [['', pod]] },
  {
    name: 'child chain',
    source: '$.spec.containers[1].name',
    compiled: true,
    expected: [['spec.containers[1].name', 'b']],
  },
  {
    name: 'wildcard over arrays',
    source: '$.spec.containers[*].env[*].name',
    compiled: true,
    expected: [
      ['spec.containers[0].env[0].name', 'X'],
      ['spec.containers[0].env[1].name', 'S'],
    ],
  },
  {
    name: 'existence filter',
    source: '$.spec.volumes[?(@.hostPath)].name',
    compiled: true,
    expected: [['spec.volumes[0].name', 'v']],
  },
  {
    name: 'nested existence filter',
    source: '$.spec.containers[*].env[?(@.valueFrom.secretKeyRef)].name',
    compiled: true,
    expected: [['spec.containers[0].env[1].name', 'S']],
  },
  {
    name: 'equality filter',
    source: "$.spec.containers[?(@.name == 'b')].name",
    compiled: true,
    expected: [['spec.containers[1].name', 'b']],
  },
  {
    name: 'negated filter',
    source: '$.spec.volumes[?(!@.hostPath)].name',
    compiled: true,
    expected: [['spec.volumes[1].name', 'w']],
  },
  {
    name: 'wildcard over an object, odd keys quoted',
    source: '$.data.*',
    compiled: true,
    expected: [
      ['data["app.properties"]', 'x'],
      ['data.plain', 'y'],
    ],
  },
  {
    name: 'bracket name',
    source: "$.data['app.properties']",
    compiled: true,
    expected: [['data["app.properties"]', 'x']],
  },
  { name: 'missing child', source: '$.spec.nothing[*]', compiled: true, expected: [] },
  {
    name: 'recursive descent falls back',
    source: '$..hostPath.path',
    compiled: false,
    expected: [['spec.volumes[0].hostPath.path', '/var']],
  },
  {
    name: 'slice falls back',
    source: '$.spec.containers[0:1].name',
    compiled: false,
    expected: [['spec.containers[0].name', 'a']],
  },
  {
    name: 'script filter falls back',
    source: '$.spec.containers[?(@.name.length > 0 && @.env)].name',
    compiled: false,
    expected: [['spec.containers[0].name', 'a']],
  },
  {
    name: 'script filter calling a harmless method',
    source: "$.spec.containers[?(@.name.startsWith('a'))].name",
    compiled: false,
    expected: [['spec.containers[0].name', 'a']],
  },
  {
    name: 'script filter with a quoted member name',
    source: "$.spec.containers[?(@['name'] == 'b')].name",
    compiled: false,
    expected: [['spec.containers[1].name', 'b']],
  },
];

for (const c of cases) {
  test(`selector: ${c.name}`, () => {
    const s = selector(c.source);
    assert.equal(s.compiled, c.compiled);
    assert.deepEqual(matches(s, pod), c.expected);
  });
}

test('selector: paths start from the base (pod templates report the real object path)', () => {
  const s = selector('$.spec.containers[0].name');
  assert.deepEqual(matches(s, pod, ['spec', 'template']), [['spec.template.spec.containers[0].name', 'a']]);
});

const invalid: Array<{ name: string; source: string; error: RegExp }> = [
  { name: 'no root', source: 'spec.containers', error: /must start with "\$"/ },
  { name: 'broken script', source: '$.a[?(@.x ==)]', error: /cannot be parsed/ },
  // Script filters run in jsonpath-plus's safe evaluator, which would run JavaScript regular
  // expressions (backtracking: `@.name.match(/^(a+)+$/)` took 3.6 s on 25 characters).
  {
    name: 'regular-expression literal',
    source: '$.a[?(/^(a+)+$/.test(@.name))]',
    error: /uses the regular-expression literal \/\^\(a\+\)\+\$\/: JavaScript regular expressions backtrack/,
  },
  {
    name: '.match',
    source: '$.a[?(@.name.match(/x/))]',
    error: /uses \.match, which runs a JavaScript regular expression/,
  },
  { name: '.search with a string', source: "$.a[?(@.name.search('^(a+)+$') >= 0)]", error: /uses \.search/ },
  { name: '.matchAll', source: "$.a[?(@.name.matchAll('a'))]", error: /uses \.matchAll/ },
  { name: '.match read, not called', source: "$.a[?(@.name.match.call(@.name, 'a'))]", error: /uses \.match/ },
  { name: 'quoted member name', source: "$.a[?(@.name['match']('a'))]", error: /uses \.match/ },
  {
    name: 'computed member name',
    source: "$.a[?(@.name['ma' + 'tch']('a'))]",
    error: /picks a member by a computed name/,
  },
  { name: '.repeat', source: '$.a[?(@.name.repeat(1e9))]', error: /uses \.repeat, which builds a string/ },
  { name: '.padStart', source: '$.a[?(@.name.padStart(1e9))]', error: /uses \.padStart/ },
  { name: 'a filter inside a union', source: '$.a[0,?(@.name)]', error: /is not a whole script/ },
];
for (const c of invalid) {
  test(`selector error: ${c.name}`, () => {
    const r = compileSelector(c.source);
    assert.ok('error' in r);
    assert.match(r.error, c.error);
  });
}

test('selector: the evaluator itself refuses an unsafe script, whatever path it came from', () => {
  // The loader refuses these first; the evaluator is the second line for any script that
  // jsonpath-plus's own path splitting would hand it.
  for (const path of ['$.a[?(@.name.match(/^(a+)+$/))]', '$.a[?(@.name.repeat(1e9).length)]']) {
    assert.throws(
      () =>
        JSONPath({ path, json: { a: [{ name: `${'a'.repeat(30)}!` }] }, eval: GuardedScript, ignoreEvalErrors: true }),
      /the filter script uses \.(match|repeat)/,
      path,
    );
  }
  assert.deepEqual(
    JSONPath({
      path: '$.a[?(@.name.length > 1)].name',
      json: { a: [{ name: 'ab' }, { name: 'c' }] },
      eval: GuardedScript,
    }),
    ['ab'],
  );
});

// Compiled traversal must select exactly what jsonpath-plus selects, in the same order
// (with ignoreEvalErrors: a filter over a missing parent is no match, not an exception).
const subsetExpressions = [
  '$.a',
  '$.a.b',
  '$.a[*]',
  '$.a[*].b',
  '$.*',
  '$.*.*',
  '$.a[0]',
  '$.a[1].b',
  '$.a[?(@.b)]',
  '$.a[?(!@.b)]',
  '$.a[?(@.b.c)]',
  "$.a[?(@.b == 'x')]",
  '$.a[?(@.b != 1)]',
  '$.a[?(@.b === true)]',
];
const key = fc.constantFrom('a', 'b', 'c', '0', '1');
const leaf = fc.oneof(fc.constantFrom('x', 'y', 1, 2, true, false, null), fc.string({ maxLength: 3 }));
const tree = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: 'small' },
    leaf,
    fc.array(tie('node'), { maxLength: 3 }),
    fc.dictionary(key, tie('node'), { maxKeys: 3, noNullPrototype: true }),
  ),
})).node;

// jsonpath-plus also steps into strings (`$.a[0]` on "xy" is "x"); Shroud never selects
// characters of a string, so those matches are left out of the comparison.
function parentOf(doc: unknown, pointer: string): unknown {
  const keys = pointer.split('/').slice(1, -1);
  let cur: unknown = doc;
  for (const k of keys) cur = (cur as Record<string, unknown>)[k];
  return cur;
}

test('selector: compiled subset agrees with jsonpath-plus on random documents', () => {
  const compiled = subsetExpressions.map((e) => selector(e));
  for (const s of compiled) assert.equal(s.compiled, true, s.source);
  fc.assert(
    fc.property(fc.dictionary(key, tree, { maxKeys: 4, noNullPrototype: true }), (doc) => {
      for (const s of compiled) {
        const expected = (
          JSONPath({
            path: s.source,
            json: doc,
            resultType: 'all',
            eval: 'safe',
            ignoreEvalErrors: true,
            wrap: true,
          }) as Array<{ value: unknown; pointer: string }>
        )
          .filter((r) => typeof parentOf(doc, r.pointer) !== 'string')
          .map((r) => [r.pointer, r.value]);
        const actual: Array<[string, unknown]> = [];
        s.visit(doc, [], (value, path) => actual.push([path.map((p) => `/${p}`).join(''), value]));
        assert.deepEqual(actual, expected, s.source);
        assert.equal(
          s.some(doc, () => true),
          expected.length > 0,
          `${s.source} some`,
        );
      }
    }),
    { numRuns: 300 },
  );
});
