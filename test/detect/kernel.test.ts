import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import fc from 'fast-check';
import { assembleKernel, KERNEL_MODULE, kernelModuleText } from '../../scripts/assemble-kernel.js';
import { findHintLines, hintLines } from '../../src/detect/hint-lines.js';
import { scanEntry } from '../../src/detect/index.js';
import {
  KERNEL_MAX_LENGTH,
  KERNEL_MIN_LENGTH,
  kernelAvailable,
  kernelMemorySnapshot,
  runKernel,
} from '../../src/detect/kernel/line-scan.js';
import { findTokenRuns, hasLongTokenRun, LONG_RUN, longTokenRuns } from '../../src/detect/runs.js';
import { randomText } from './fixtures.js';

test('the committed kernel is the assembly of line-scan.wat', async () => {
  const expected = kernelModuleText(await assembleKernel());
  assert.equal(readFileSync(KERNEL_MODULE, 'utf8'), expected, 'run `npm run kernel` after editing line-scan.wat');
});

test('the kernel runs on this Node (WebAssembly SIMD)', () => {
  assert.equal(kernelAvailable(), true);
});

/** Characters that exercise the kernel: fragment letters in both cases, separators, token characters, newlines, and characters above U+00FF whose low byte is a letter (U+0170 ends in 0x70, `p`). */
const ALPHABET = 'pPaAsStTwWeEcCrRoOkKyYdDuUhH=:.-_/+ 09\n\r\t\u0170\u0161\u00e9\u0000\ud83d\ude00\ufeff';

const texts = fc.oneof(
  fc.string({ unit: fc.constantFrom(...ALPHABET), maxLength: 200 }),
  fc.string({ unit: fc.constantFrom(...ALPHABET), minLength: 200, maxLength: 3000 }),
  fc.string({ unit: 'binary', maxLength: 400 }),
  // Runs of token characters around the 20-character bound and the kernel's 16-character chunks.
  fc.tuple(fc.nat(40), fc.nat(40), fc.nat(40)).map(([a, b, c]) => `${'.'.repeat(a)}${'x'.repeat(b)}=${'Y'.repeat(c)}`),
);

test('the kernel finds the lines and long runs the JavaScript searches find', () => {
  fc.assert(
    fc.property(texts, (value) => {
      const found = runKernel(value);
      assert.ok(found !== undefined);
      assert.deepEqual(found.spans, [...findHintLines(value).spans]);
      assert.equal(found.longRun, findTokenRuns(value, LONG_RUN).length > 0);
    }),
    { numRuns: 3000 },
  );
});

test('long values get the same hint lines and long runs through the kernel as through JavaScript', async (t) => {
  const cases: Array<{ name: string; value: string }> = [
    {
      name: 'properties file',
      value: 'spring.datasource.password=x\napp.token.ttl=3600\nserver.port=8080\n'.repeat(40),
    },
    {
      name: 'pat and auth lines, secret word later',
      value: 'GITHUB_PAT=x\nauthor=me\npath=/x password=y\n'.repeat(60),
    },
    { name: 'one long line', value: `${'word '.repeat(400)}apiKey=${'Ab1'.repeat(10)}` },
    { name: 'a long run at the very end', value: `${'a.'.repeat(600)}${'Z'.repeat(LONG_RUN)}` },
    { name: 'a run one short of long', value: `${'a.'.repeat(600)}${'Z'.repeat(LONG_RUN - 1)}` },
  ];
  for (let seed = 0; seed < 20; seed++)
    cases.push({ name: `random ${seed}`, value: randomText('patuhkeyswordc\n=:Z9_', 2000 + seed * 37, 900 + seed) });
  for (const c of cases)
    await t.test(c.name, () => {
      assert.ok(c.value.length >= KERNEL_MIN_LENGTH);
      const reference = findHintLines(c.value);
      const found = hintLines(c.value);
      assert.deepEqual([...found.spans], [...reference.spans]);
      assert.deepEqual([...found.secret], [...reference.secret]);
      assert.equal(found.anySecret, reference.anySecret);
      assert.equal(hasLongTokenRun(c.value), findTokenRuns(c.value, LONG_RUN).length > 0);
      assert.deepEqual(longTokenRuns(c.value), findTokenRuns(c.value, LONG_RUN));
    });
});

test('no value stays in the kernel memory after a scan', () => {
  const canary = 'CanaryKernel7Qx9Zr2Lm5Vt8Wb4Nd6';
  const value = `db.password=${canary}\n${'setting=value\n'.repeat(200)}`;
  assert.ok(runKernel(value)?.spans.length);
  const memory = Buffer.from(kernelMemorySnapshot() as Uint8Array);
  assert.equal(memory.includes(Buffer.from(canary, 'latin1')), false, 'narrowed copy left behind');
  assert.equal(memory.includes(Buffer.from(canary, 'utf16le')), false, 'UTF-16 copy left behind');
});

test('without WebAssembly (node --jitless) the detectors fall back to JavaScript and find the same', () => {
  const script = `
    import { scanEntry } from './src/detect/index.ts';
    import { kernelAvailable } from './src/detect/kernel/line-scan.ts';
    const value = ${JSON.stringify(fallbackValue())};
    console.log(JSON.stringify({ kernel: kernelAvailable(), findings: scanEntry('application.properties', value) }));
  `;
  const out = execFileSync(process.execPath, ['--jitless', '--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
  });
  const { kernel, findings } = JSON.parse(out) as { kernel: boolean; findings: unknown };
  assert.equal(kernel, false);
  assert.deepEqual(findings, scanEntry('application.properties', fallbackValue()));
});

function fallbackValue(): string {
  const secret = ['Xk9', 'Qm2', 'Vt7', 'Lp4', 'Rz8', 'Nb3', 'Wd6', 'Hs1'].join('');
  return `${'server.port=8080\nlogging.level.root=INFO\n'.repeat(60)}spring.datasource.password=${secret}\n`;
}

test('values over the kernel bound are searched in JavaScript, with the same results', () => {
  const value = `${'settings=1\n'.repeat(Math.ceil(KERNEL_MAX_LENGTH / 11))}db.password=x\n`;
  assert.ok(value.length > KERNEL_MAX_LENGTH);
  assert.equal(runKernel(value), undefined);
  const lines = hintLines(value);
  assert.deepEqual([...lines.spans], [value.length - 14, value.length - 1]);
  assert.equal(lines.anySecret, true);
});

test('the kernel lists the long token runs the JavaScript search lists', () => {
  fc.assert(
    fc.property(texts, (value) => {
      assert.deepEqual(runKernel(value)?.runs, findTokenRuns(value, LONG_RUN));
    }),
    { numRuns: 3000 },
  );
});
