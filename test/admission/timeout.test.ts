import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { parseGoDuration } from '../../src/admission/index.js';

test('parses the Go durations kube-apiserver sends as ?timeout=', () => {
  const cases: Array<{ input: unknown; expected: number | undefined }> = [
    { input: '10s', expected: 10_000 },
    { input: '1m30s', expected: 90_000 },
    { input: '2500ms', expected: 2500 },
    { input: '1.5s', expected: 1500 },
    { input: '', expected: undefined },
    { input: '10', expected: undefined },
    { input: '10s garbage', expected: undefined },
    { input: ['10s'], expected: undefined },
    { input: undefined, expected: undefined },
  ];
  for (const c of cases) assert.equal(parseGoDuration(c.input), c.expected, String(c.input));
});
