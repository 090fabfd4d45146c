import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import { MAX_FINDINGS_PER_DETECTOR } from '../../src/detect/index.js';
import { inWorker } from '../helpers/in-worker.js';
import { HOSTILE_SIZE, repeatTo, shapes } from './adversarial-work.js';

// Every detector must be linear in the value (detect/types.ts). A scan that backtracks would
// hang on these 100 KB values; the scans run in a worker thread so that such a regression
// fails by the per-test timeout rather than hanging the run. No timing is asserted.
const STALL_TIMEOUT = { timeout: 20_000 };
const WORK = new URL('./adversarial-work.ts', import.meta.url);

// One worker for all shapes: starting a worker (and TypeScript in it) costs far more than a scan.
test('detectors finish on 100 KB of repeated prefixes of every shape they look for', STALL_TIMEOUT, async (t) => {
  const byShape = await inWorker<Record<string, number>>(WORK, 'scanEveryShape', [], t.signal);
  assert.deepEqual(
    Object.keys(byShape),
    shapes().map((s) => s.name),
  );
  for (const [name, most] of Object.entries(byShape))
    assert.ok(most >= 0 && most <= MAX_FINDINGS_PER_DETECTOR, `${name}: ${most}`);
});

test('detectors finish on 100 KB mixes of pieces of every shape', STALL_TIMEOUT, async (t) => {
  const pieces = shapes().map((s) => s.text);
  const piece = fc
    .tuple(fc.constantFrom(...pieces), fc.nat(), fc.constantFrom('', '\n', ' ', '=', ':', '"', '/'))
    .map(([text, n, sep]) => text.slice(0, 1 + (n % text.length)) + sep);
  const values = fc.sample(
    fc.array(piece, { minLength: 1, maxLength: 12 }).map((parts) => repeatTo(parts.join(''))),
    { numRuns: 24, seed: 1913 },
  );
  assert.ok(values.every((v) => v.length === HOSTILE_SIZE));
  const most = await inWorker<number>(WORK, 'scanAll', [values], t.signal);
  assert.ok(most >= 0 && most <= MAX_FINDINGS_PER_DETECTOR, String(most));
});
