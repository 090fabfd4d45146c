import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { type Detector, DetectionMemo, listDetectors, scanEntry } from '../../src/detect/index.js';
import { base62, fake } from './fixtures.js';

test('DetectionMemo runs a detector once per entry and detector', () => {
  let calls = 0;
  const counting: Detector = {
    name: 'counting',
    confidence: 'low',
    description: 'counts its calls',
    scan: (key) => {
      calls++;
      return [{ detector: 'counting', confidence: 'low', key, description: 'counts its calls' }];
    },
  };
  const memo = new DetectionMemo();
  const first = memo.scan(counting, 'a', 'value');
  assert.equal(memo.scan(counting, 'a', 'value'), first);
  assert.equal(calls, 1);
  memo.scan(counting, 'b', 'value');
  memo.scan(counting, 'a', 'other');
  assert.equal(calls, 3, 'another key or value is another entry');
  assert.equal(new DetectionMemo().scan(counting, 'a', 'value').length, 1);
  assert.equal(calls, 4, 'a new memo (a new review) runs again');
});

test('scanEntry with a memo reports what it reports without one', async (t) => {
  const high = Object.freeze(
    listDetectors()
      .filter((d) => d.confidence === 'high')
      .map((d) => d.name),
  );
  const low = Object.freeze(
    listDetectors()
      .filter((d) => d.confidence === 'low')
      .map((d) => d.name),
  );
  const entries: Array<[string, string]> = [
    ['GITHUB_TOKEN', fake.githubToken()],
    ['data', `token: ${fake.githubToken()}\nother: ${base62(40, 3)}\n`],
    ['DB_PASSWORD', 'sunshine42'],
    ['API_KEY', base62(32, 4)],
    ['notes', 'nothing to see here'],
    ['tls.key', fake.pem('EC PRIVATE KEY')],
  ];
  for (const [key, value] of entries)
    await t.test(key, () => {
      const memo = new DetectionMemo();
      // The order of the built-in rules: high, then low and high again.
      for (const names of [high, low, high, undefined])
        assert.deepEqual(scanEntry(key, value, names, undefined, memo), scanEntry(key, value, names));
    });
});
