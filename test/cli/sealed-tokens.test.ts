import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { findSealedScalars } from '../../src/cli/sealed-tokens.js';
import type { Issue } from '../../src/issues.js';

const FOLDED = 'a sealed value is not written as one unbroken token (folded or escaped); rewrite it on one line';

const cases: Array<{ name: string; text: string; file?: string; issues: Issue[]; values: string[] }> = [
  {
    name: 'a clean file: its sealed scalars, no issues',
    text: 'data:\n  A: shroud:v1:abc\n  B: plain\n',
    file: 'cm.yaml',
    issues: [],
    values: ['shroud:v1:abc'],
  },
  {
    name: 'invalid YAML is a located CRYPTO_MALFORMED issue naming the file',
    text: 'a: 1\nb: [x\nc: 2\n',
    file: 'bad.yaml',
    issues: [{ code: 'CRYPTO_MALFORMED', message: 'YAML: BAD_INDENT', file: 'bad.yaml', line: 3 }],
    values: [],
  },
  {
    name: 'a sealed value escaped over two lines is refused at its line',
    text: 'data:\n  A: "shroud:v1:abc\\\n    def"\n',
    file: 'f.yaml',
    issues: [{ code: 'CRYPTO_MALFORMED', message: FOLDED, file: 'f.yaml', line: 2 }],
    values: [],
  },
  {
    name: 'without a file name, issues carry only the line',
    text: 'data:\n  A: "shroud:v1:abc\\\n    def"\n',
    issues: [{ code: 'CRYPTO_MALFORMED', message: FOLDED, line: 2 }],
    values: [],
  },
];

for (const c of cases) {
  test(`findSealedScalars: ${c.name}`, () => {
    const r = findSealedScalars(c.text, c.file);
    assert.deepEqual(r.issues, c.issues);
    assert.deepEqual(
      r.scalars.map((s) => s.value),
      c.values,
    );
  });
}
