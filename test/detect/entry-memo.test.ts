import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { beginEntryScan, EntryMemo, endEntryScan } from '../../src/detect/entry-memo.js';
import { scanEntry } from '../../src/detect/index.js';

function counting(): { memo: EntryMemo<string, string>; calls: () => number } {
  let calls = 0;
  const memo = new EntryMemo((context: string, key: string, value: string) => {
    calls++;
    return `${context}|${key}|${value}`;
  });
  return { memo, calls: () => calls };
}

test('within one entry scan, a result is computed once per (context, key, value)', () => {
  const { memo, calls } = counting();
  beginEntryScan();
  try {
    assert.equal(memo.get('a', 'k', 'v'), 'a|k|v');
    assert.equal(memo.get('a', 'k', 'v'), 'a|k|v');
    assert.equal(calls(), 1);
    for (const [context, key, value] of [
      ['b', 'k', 'v'],
      ['a', 'other', 'v'],
      ['a', 'k', 'other'],
    ] as const) {
      assert.equal(
        memo.get(context, key, value),
        `${context}|${key}|${value}`,
        'another entry is not served the old result',
      );
    }
    assert.equal(calls(), 4);
  } finally {
    endEntryScan();
  }
});

test('the end of an entry scan forgets every result, and outside a scan nothing is remembered', () => {
  const { memo, calls } = counting();
  beginEntryScan();
  memo.get('a', 'k', 'canary-value');
  endEntryScan();
  memo.get('a', 'k', 'canary-value');
  memo.get('a', 'k', 'canary-value');
  assert.equal(calls(), 3);
});

test('scanEntry leaves no entry remembered: a later call outside a scan computes again', () => {
  const { memo, calls } = counting();
  scanEntry('PASSWORD', 'hunter2-canary-0f3a');
  memo.get('a', 'k', 'v');
  memo.get('a', 'k', 'v');
  assert.equal(calls(), 2);
});
