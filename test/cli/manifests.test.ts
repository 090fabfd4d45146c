import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { parseManifest } from '../../src/cli/manifests.js';

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
