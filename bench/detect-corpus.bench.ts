/**
 * `npm run bench -- detect-corpus`: the detector corpus (test/detect/corpus/) pasted into
 * ConfigMaps four ways and judged by the built-in policies; prints recall and false flags (deny
 * and warn counted as a flag), the deny-only figures, and one row per way of pasting. Pass
 * `--list` after the filter (`npm run bench -- detect-corpus --list`) to list misses and false flags.
 */
import { describe, evaluateCorpus, table } from '../test/detect/corpus/evaluate.js';

export async function run(): Promise<void> {
  const outcomes = await evaluateCorpus();
  console.log(`\ndetector corpus: ${outcomes.length} pastes`);
  console.log(table(outcomes));
  if (process.argv.includes('--list')) {
    const wrong = outcomes.filter((o) => (o.case.secret ? o.verdict === 'none' : o.verdict !== 'none'));
    console.log(`\nmissed credentials and flagged look-alikes (${wrong.length}):`);
    for (const line of describe(wrong)) console.log(`  ${line}`);
  }
}
