import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { isRecord } from '../../src/util/is-record.js';

const cases: Array<{ name: string; value: unknown; expected: boolean }> = [
  { name: 'an object literal', value: { a: 1 }, expected: true },
  { name: 'an empty object', value: {}, expected: true },
  { name: 'an object without a prototype', value: Object.create(null), expected: true },
  { name: 'parsed JSON mapping', value: JSON.parse('{"kind":"Pod"}'), expected: true },
  { name: 'null', value: null, expected: false },
  { name: 'undefined', value: undefined, expected: false },
  { name: 'an array', value: [1, 2], expected: false },
  { name: 'an empty array', value: [], expected: false },
  { name: 'a string', value: 'x', expected: false },
  { name: 'a number', value: 0, expected: false },
  { name: 'a boolean', value: true, expected: false },
  { name: 'a function', value: () => 1, expected: false },
];

for (const c of cases) {
  test(`isRecord: ${c.name}`, () => {
    assert.equal(isRecord(c.value), c.expected);
  });
}
