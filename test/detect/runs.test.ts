import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { findTokenRuns, isTokenChar, LONG_RUN } from '../../src/detect/runs.js';
import { MIN_TOKEN } from '../../src/detect/entropy.js';
import { base62, randomText } from './fixtures.js';

/** The longest run of token characters, counted the plain way. */
function longestRun(value: string): number {
  let longest = 0;
  let run = 0;
  for (let i = 0; i < value.length; i++) {
    run = isTokenChar(value.charCodeAt(i)) ? run + 1 : 0;
    if (run > longest) longest = run;
  }
  return longest;
}

test('findTokenRuns finds a run exactly when the longest run, counted plainly, is long enough', async (t) => {
  const cases: Array<{ name: string; value: string }> = [
    { name: 'empty', value: '' },
    { name: 'properties file', value: 'server.port=8080\nspring.datasource.password=${DB_PASSWORD}\n' },
    { name: 'run at the start', value: `${base62(20, 1)}.tail` },
    { name: 'run at the end', value: `head.${base62(20, 2)}` },
    { name: 'run one short', value: `a.${base62(19, 3)}.b` },
    { name: 'run exactly long', value: `a.${base62(20, 4)}.b` },
    { name: 'token punctuation joins', value: 'spring-boot_starter/web+x' },
    { name: 'non-ASCII breaks', value: `${base62(10, 5)}é${base62(10, 6)}` },
    { name: 'padding breaks', value: `${base62(10, 7)}=${base62(10, 8)}` },
    { name: 'every window ends in a word', value: 'abcdefghij.'.repeat(40) },
  ];
  for (let seed = 0; seed < 40; seed++)
    cases.push({ name: `random mix ${seed}`, value: randomText('ab1_-./=: \n', 200, 100 + seed) });
  for (const c of cases)
    await t.test(c.name, () => {
      const longest = longestRun(c.value);
      for (const length of [1, 2, 5, 12, 19, 20, 21, 40])
        assert.equal(
          findTokenRuns(c.value, length).length > 0,
          longest >= length,
          `length ${length}, longest ${longest}`,
        );
    });
});

/** Every maximal run of at least `length` token characters, counted the plain way. */
function plainRuns(value: string, length: number): number[] {
  const runs: number[] = [];
  let start = 0;
  for (let i = 0; i <= value.length; i++) {
    if (i < value.length && isTokenChar(value.charCodeAt(i))) continue;
    if (i - start >= length) runs.push(start, i);
    start = i + 1;
  }
  return runs;
}

test('findTokenRuns lists every maximal run the plain count finds', async (t) => {
  const cases: Array<{ name: string; value: string }> = [
    { name: 'empty', value: '' },
    { name: 'one run, the whole value', value: base62(25, 9) },
    { name: 'runs at both ends', value: `${base62(21, 10)} and ${base62(30, 11)}` },
    { name: 'a short run between long ones', value: `${base62(20, 12)}.abc.${base62(22, 13)}` },
  ];
  for (let seed = 0; seed < 40; seed++)
    cases.push({ name: `random mix ${seed}`, value: randomText('ab1_-./=: \n', 300, 200 + seed) });
  for (const c of cases)
    await t.test(c.name, () => {
      for (const length of [1, 3, 8, 20, 21])
        assert.deepEqual(findTokenRuns(c.value, length), plainRuns(c.value, length), `length ${length}`);
    });
});

test('the shared long-run search finds every high-entropy token', () => {
  assert.ok(LONG_RUN <= MIN_TOKEN, `LONG_RUN ${LONG_RUN} must not exceed high-entropy's MIN_TOKEN ${MIN_TOKEN}`);
});
