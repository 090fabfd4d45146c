import { strict as assert } from 'node:assert';
import { parsePolicyFiles, type PolicySet } from '../../src/policy/index.js';

/** The policy set of inline YAML documents (joined with `---`); the test fails on any load issue. */
export function inlinePolicySet(...docs: string[]): PolicySet {
  const r = parsePolicyFiles([{ file: 'inline.yaml', text: docs.join('---\n') }]);
  assert.deepEqual(r.issues, []);
  return r.value;
}
