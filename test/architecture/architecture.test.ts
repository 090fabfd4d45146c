import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { checkLayers, sourceFiles, unitOf } from './import-graph.js';
import { LAYERS } from './layers.js';

const SRC = resolve(import.meta.dirname, '..', '..', 'src');

function readTree(root: string): Map<string, string> {
  return new Map(sourceFiles(root).map((f) => [f.replace(/\\/g, '/'), readFileSync(join(root, f), 'utf8')]));
}

describe('architecture', () => {
  test('src/ keeps the layering rules of docs/architecture.md', () => {
    assert.deepEqual(checkLayers(readTree(SRC), LAYERS), []);
  });

  test('every unit in the rules exists, and the doc names every unit', () => {
    const units = new Set(sourceFiles(SRC).map((f) => unitOf(f.replace(/\\/g, '/'))));
    const doc = readFileSync(resolve(SRC, '..', 'docs', 'architecture.md'), 'utf8');
    for (const unit of Object.keys(LAYERS.allowed)) {
      assert.ok(units.has(unit), `the rules name "${unit}", which is not in src/`);
      assert.match(doc, new RegExp(`\`${unit}(/|\\.ts)?\``), `docs/architecture.md does not describe ${unit}`);
    }
  });
});

// The checker itself: a rule that is broken must be reported, or the test above proves nothing.
describe('the layering checker', () => {
  const clean = new Map([
    ['errors.ts', 'export class ShroudError extends Error {}'],
    ['policy/engine.ts', "import { ShroudError } from '../errors.js';\nexport const x = ShroudError;"],
    ['webhook/app.ts', "import express from 'express';\nimport { x } from '../policy/engine.js';"],
  ]);
  const rules = {
    allowed: { errors: [], policy: ['errors'], webhook: ['errors', 'policy'] },
    packageHomes: { express: ['webhook'] },
    pure: ['policy'],
    noIo: ['policy'],
  };
  const cases: Array<{ name: string; file: string; text: string; rule: RegExp }> = [
    {
      name: 'domain importing a service',
      file: 'policy/reviewer.ts',
      text: "import { createApp } from '../webhook/app.js';",
      rule: /policy\/ may not import webhook\//,
    },
    {
      name: 'a type-only import counts',
      file: 'policy/types.ts',
      text: "import type { App } from '../webhook/app.js';",
      rule: /policy\/ may not import webhook\//,
    },
    {
      name: 'a dynamic import counts',
      file: 'policy/lazy.ts',
      text: "export const load = () => import('../webhook/app.js');",
      rule: /policy\/ may not import webhook\//,
    },
    {
      name: 'a package outside its home',
      file: 'policy/http.ts',
      text: "import express from 'express';",
      rule: /policy\/ imports express, which only webhook may use/,
    },
    {
      name: 'domain reading the environment',
      file: 'policy/env.ts',
      text: 'export const level = process.env.LEVEL;',
      rule: /may not use process\.env/,
    },
    {
      name: 'a unit without I/O reading a file',
      file: 'policy/read.ts',
      text: "import { readFileSync } from 'node:fs';",
      rule: /policy\/ does no I\/O and may not import node:fs/,
    },
    {
      name: 'a unit without I/O reading a file through the bare module name',
      file: 'policy/read.ts',
      text: "import { readFile } from 'fs/promises';",
      rule: /policy\/ does no I\/O and may not import fs\/promises/,
    },
    {
      name: 'a folder with no rule',
      file: 'ghost/server.ts',
      text: "import { ShroudError } from '../errors.js';",
      rule: /"ghost" has no row/,
    },
    {
      name: 'code imported from outside src',
      file: 'policy/outside.ts',
      text: "import { helper } from '../../test/helpers/x.js';",
      rule: /from outside src/,
    },
  ];
  test('a clean tree has no violations', () => {
    assert.deepEqual(checkLayers(clean, rules), []);
  });
  for (const c of cases) {
    test(`reports ${c.name}`, () => {
      const violations = checkLayers(new Map([...clean, [c.file, c.text]]), rules);
      assert.equal(violations.length, 1, JSON.stringify(violations));
      assert.equal(violations[0]!.file, c.file === 'ghost/server.ts' ? 'ghost' : c.file);
      assert.match(violations[0]!.rule, c.rule);
    });
  }
});
