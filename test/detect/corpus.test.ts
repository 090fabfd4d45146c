/**
 * The detector corpus (test/detect/corpus/*.ts, discovered): every case pasted into ConfigMaps
 * four ways and judged by the built-in policies. No look-alike may be denied; recall (deny or
 * warn) must reach 0.95 and false flags (deny or warn) stay at or under 1%. Failures list the
 * cases by name, file and way of pasting.
 */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { describe, evaluateCorpus, figures, loadCorpus, table } from './corpus/evaluate.js';

const cases = await loadCorpus();
const outcomes = await evaluateCorpus(cases);
const summary = figures(outcomes);

test('the corpus has credentials and look-alikes from more than one file, with unique names', () => {
  assert.ok(summary.credentials >= 100 && summary.lookalikes >= 100, table(outcomes));
  assert.ok(new Set(cases.map((c) => c.file)).size >= 2);
  const names = cases.map((c) => c.name);
  assert.deepEqual(
    names.filter((n, i) => names.indexOf(n) !== i),
    [],
  );
});

test('no look-alike is ever denied', () => {
  const denied = outcomes.filter((o) => !o.case.secret && o.verdict === 'deny');
  assert.deepEqual(describe(denied), []);
});

test('recall (deny or warn) is at least 0.95', () => {
  const missed = outcomes.filter((o) => o.case.secret && o.verdict === 'none');
  assert.ok(summary.recall >= 0.95, `${table(outcomes)}\nmissed:\n${describe(missed).join('\n')}`);
});

test('false flags (deny or warn) are at most 1%', () => {
  const flagged = outcomes.filter((o) => !o.case.secret && o.verdict !== 'none');
  assert.ok(summary.falseFlags <= 0.01, `${table(outcomes)}\nflagged:\n${describe(flagged).join('\n')}`);
});
