import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { parseManifest } from '../../src/cli/manifests.js';
import { timerTurn } from '../helpers/timer-turn.js';

const cases: Array<{
  name: string;
  text: string;
  objects: Array<[number, number | null, string]>;
  skipped: number;
  errors: string[];
}> = [
  {
    name: 'empty and comment-only documents are not counted',
    text: '# header\n---\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: a}\n---\n# only a comment\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: b}\n',
    objects: [
      [0, null, 'a'],
      [1, null, 'b'],
    ],
    skipped: 0,
    errors: [],
  },
  {
    name: 'List and typed lists expand to items',
    text: 'apiVersion: v1\nkind: List\nitems:\n  - {apiVersion: v1, kind: Pod, metadata: {name: a}}\n  - {apiVersion: v1, kind: Pod, metadata: {name: b}}\n---\napiVersion: v1\nkind: ConfigMapList\nitems:\n  - {apiVersion: v1, kind: ConfigMap, metadata: {name: c}}\n',
    objects: [
      [0, 0, 'a'],
      [0, 1, 'b'],
      [1, 0, 'c'],
    ],
    skipped: 0,
    errors: [],
  },
  {
    name: 'documents without apiVersion and kind are skipped',
    text: 'replicas: 2\n---\n- a\n- b\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: a}\n',
    objects: [[2, null, 'a']],
    skipped: 2,
    errors: [],
  },
  {
    name: 'a broken document is an error with its line; the others still parse',
    text: 'apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n---\nkey: [unclosed\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: b}\n',
    objects: [
      [0, null, 'a'],
      [2, null, 'b'],
    ],
    skipped: 0,
    errors: ['6:1'],
  },
  {
    name: 'JSON',
    text: '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"j"}}',
    objects: [[0, null, 'j']],
    skipped: 0,
    errors: [],
  },
];
for (const c of cases) {
  test(`manifests: ${c.name}`, () => {
    const r = parseManifest('f.yaml', c.text);
    assert.deepEqual(
      r.objects.map((o) => [o.document, o.item, (o.object.metadata as { name: string }).name]),
      c.objects,
    );
    assert.equal(r.skipped, c.skipped);
    assert.deepEqual(
      r.errors.map((e) => `${e.line}:${e.column}`),
      c.errors,
    );
  });
}

test('manifests: lines of paths inside YAML list items and pretty-printed JSON', () => {
  const yaml = parseManifest(
    'f.yaml',
    'apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Pod\n    metadata: {name: a}\n    spec:\n      containers:\n        - name: c\n',
  );
  assert.equal(yaml.objects[0]!.lineOf(['spec', 'containers', 0]), 9);
  const json = parseManifest(
    'f.json',
    '{\n  "apiVersion": "v1",\n  "kind": "Pod",\n  "metadata": {"name": "p"},\n  "spec": {\n    "volumes": [\n      {"name": "h"}\n    ]\n  }\n}\n',
  );
  assert.equal(json.objects[0]!.lineOf(['spec', 'volumes', 0]), 7);
});

/** A ConfigMap with `n` keys, one a line from line 7 on; `extra` lines go at the end of data. */
function bigConfigMap(n: number, extra = ''): string {
  const lines = ['apiVersion: v1', 'kind: ConfigMap', 'metadata:', '  name: big', '  namespace: shop', 'data:'];
  for (let i = 0; i < n; i++) lines.push(`  key_${i}: "value ${i}"`);
  return `${lines.join('\n')}\n${extra}`;
}

/** 999 aliases of a container with 1,000 env vars: 78 KB that expands to 11 million nodes. */
function aliasedContainers(): string {
  let text =
    'apiVersion: v1\nkind: Pod\nmetadata: {name: bomb}\nspec:\n  initContainers:\n    - &c\n      name: a\n      env:\n';
  for (let i = 0; i < 1000; i++) text += `        - {name: E${i}, valueFrom: {secretKeyRef: {name: s, key: k}}}\n`;
  text += '  containers:\n';
  for (let i = 0; i < 999; i++) text += '    - *c\n';
  return text;
}

// Locating is what `check` does for every violation listed (several rules can flag one key), so
// each key is located a few times over: 160,000 lookups, each a scan of 40,000 keys if the
// lookup were linear (minutes), against one index built per map.
test('manifests: every path of a 40,000-key map is located in linear time', { timeout: 30_000 }, async () => {
  const n = 40_000;
  const [object] = parseManifest('big.yaml', bigConfigMap(n)).objects;
  for (let pass = 0; pass < 4; pass++)
    for (let i = 0; i < n; i++) assert.equal(object!.lineOf(['data', `key_${i}`]), 7 + i);
  await timerTurn();
});

test('manifests: paths in a 40,000-key JSON map are located in linear time', { timeout: 30_000 }, async () => {
  const n = 40_000;
  const data = Object.fromEntries(Array.from({ length: n }, (_, i) => [`key_${i}`, `value ${i}`]));
  const text = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big' }, data }, null, 1);
  const [object] = parseManifest('big.json', text).objects;
  for (let pass = 0; pass < 4; pass++)
    for (let i = 0; i < n; i++) assert.equal(object!.lineOf(['data', `key_${i}`]), 8 + i);
  await timerTurn();
});

// The yaml package's own duplicate-key check compares each key with every earlier one: 10-35 s
// of CPU per 40,000-key map on the development machine (so three of them here); the Set-based
// check takes milliseconds.
test('manifests: a duplicate key in a 40,000-key map is reported at its line and the map is read', {
  timeout: 20_000,
}, async () => {
  const doc = bigConfigMap(40_000, '  key_17: "again"\n');
  const r = parseManifest('big.yaml', `${doc}---\n${doc}---\n${doc}`);
  assert.equal(r.objects.length, 3);
  for (const o of r.objects) {
    assert.equal((o.object.data as Record<string, string>).key_17, 'again');
    assert.equal(o.lineOf(['data', 'key_17']), 40_007 + o.document * doc.split('\n').length);
  }
  const lines = doc.split('\n').length; // lines of one document and its `---`
  assert.deepEqual(
    r.errors.map((e) => [e.code, e.file, e.line, e.column]),
    [0, 1, 2].map((i) => ['POLICY_INPUT_DUPLICATE_KEY', 'big.yaml', 40_007 + i * lines, 3]),
  );
  assert.match(r.errors[0]!.message, /^key "key_17" appears again in the same map \(first at line 24\);/);
  await timerTurn();
});

test('manifests: a duplicate key is reported at the repeat and read as its last value', () => {
  const r = parseManifest(
    'f.yaml',
    'apiVersion: v1\nkind: Pod\nmetadata: {name: a, name: b}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: c}\n',
  );
  assert.deepEqual(
    r.errors.map((e) => [e.code, e.file, e.line, e.column]),
    [['POLICY_INPUT_DUPLICATE_KEY', 'f.yaml', 3, 21]],
  );
  assert.deepEqual(
    r.objects.map((o) => [o.document, (o.object.metadata as { name: string }).name]),
    [
      [0, 'b'],
      [1, 'c'],
    ],
  );
});

test('manifests: a duplicate key beside a broken alias: the document is still an input error', () => {
  const r = parseManifest('f.yaml', 'apiVersion: v1\nkind: Pod\nmetadata: {name: a, name: b}\nspec: &s {x: *s}\n');
  assert.deepEqual(r.objects, []);
  assert.deepEqual(
    r.errors.map((e) => [e.code, e.line]),
    [['POLICY_INPUT_INVALID', 4]],
  );
});

test('manifests: aliased containers that expand past a million nodes are an input error at the alias', {
  timeout: 30_000,
}, async () => {
  const text = aliasedContainers();
  assert.ok(text.length < 80_000);
  const r = parseManifest('bomb.yaml', text);
  assert.deepEqual(r.objects, []);
  // Each container is 11,005 nodes: the 91st alias (line 1009 + 91 - 1) passes 1,000,000.
  assert.deepEqual(r.errors, [
    {
      code: 'POLICY_INPUT_INVALID',
      file: 'bomb.yaml',
      line: 1099,
      column: 7,
      message:
        'aliases expand this document to more than 1000000 nodes (passed here); write the repeated parts out or split the document',
    },
  ]);
  await timerTurn();
});

test('manifests: the expansion bound is an option', () => {
  const text = 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - &c {name: a}\n    - *c\n';
  // 16 nodes up to the anchored container, 3 more for its alias.
  assert.equal(parseManifest('f.yaml', text, { maxExpandedNodes: 19 }).objects.length, 1);
  const r = parseManifest('f.yaml', text, { maxExpandedNodes: 18 });
  assert.deepEqual(
    r.errors.map((e) => `${e.line}:${e.column}`),
    ['7:7'],
  );
});

test('manifests: an alias inside the node it names is an input error, not a cyclic object', () => {
  const r = parseManifest(
    'f.yaml',
    'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: &s\n  containers: []\n  self: *s\n',
  );
  assert.deepEqual(r.objects, []);
  assert.deepEqual(r.errors, [
    {
      code: 'POLICY_INPUT_INVALID',
      file: 'f.yaml',
      line: 6,
      column: 9,
      message:
        'alias *s refers to a node that contains it, so the value would be infinite; write the repeated part out',
    },
  ]);
});

test('manifests: a very long repeated key is shown by its start', () => {
  // A plain YAML key is at most 1024 characters long.
  const long = 'k'.repeat(1000);
  const r = parseManifest(
    'f.yaml',
    `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata:\n  ${long}: x\n  ${long}: y\n`,
  );
  assert.equal(r.objects.length, 1);
  assert.equal(r.errors.length, 1);
  assert.ok(
    r.errors[0]!.message.startsWith(`key "${'k'.repeat(80)}…" appears again`),
    r.errors[0]!.message.slice(0, 120),
  );
  assert.ok(r.errors[0]!.message.length < 400);
});

test('manifests: a repeated key in a JSON manifest is reported too, and read as its last value', () => {
  const r = parseManifest(
    'f.json',
    '{"apiVersion": "v1", "kind": "Pod",\n "metadata": {"name": "a",\n  "name": "b"}}\n',
  );
  assert.deepEqual(
    r.objects.map((o) => [(o.object.metadata as { name: string }).name, o.lineOf(['metadata', 'name'])]),
    [['b', 3]],
  );
  assert.deepEqual(
    r.errors.map((e) => [e.code, e.file, e.line, e.column]),
    [['POLICY_INPUT_DUPLICATE_KEY', 'f.json', 3, 3]],
  );
});
