import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ERROR_CODES, ShroudError, isShroudError } from '../src/errors.js';

const SRC = fileURLToPath(new URL('../src', import.meta.url));
const REGISTRY = join(SRC, 'errors.ts');

/** The codes with a row in docs/errors.md (`| \`CODE\` | ...`). */
function documentedCodes(): string[] {
  const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');
  return [...doc.matchAll(/^\| `([A-Z0-9_]+)` \|/gm)].map((m) => m[1]!);
}

/** The text of every .ts file under src/ except the registry itself. */
function sourceTexts(): string[] {
  return readdirSync(SRC, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(SRC, f))
    .filter((f) => f !== REGISTRY)
    .map((f) => readFileSync(f, 'utf8'));
}

/** Registered codes that no source file outside the registry names as a whole word. */
function unusedCodes(codes: readonly string[], texts: readonly string[]): string[] {
  return codes.filter((code) => {
    const word = new RegExp(`(?<![A-Z0-9_])${code}(?![A-Z0-9_])`);
    return !texts.some((t) => word.test(t));
  });
}

test('every error code has a row in docs/errors.md', () => {
  const documented = new Set(documentedCodes());
  const missing = Object.keys(ERROR_CODES).filter((c) => !documented.has(c));
  assert.deepEqual(missing, []);
});

test('every code in docs/errors.md is registered, once', () => {
  const rows = documentedCodes();
  assert.deepEqual(
    rows.filter((c) => !Object.hasOwn(ERROR_CODES, c)),
    [],
  );
  assert.deepEqual(
    rows.filter((c, i) => rows.indexOf(c) !== i),
    [],
  );
});

test('every registered code is used somewhere in src/ (a stale code fails)', () => {
  const texts = sourceTexts();
  assert.ok(texts.length > 50, `read ${texts.length} source files`);
  assert.deepEqual(unusedCodes(Object.keys(ERROR_CODES), texts), []);
});

test('the usage check finds a code that nothing names, and not one that is named', () => {
  const texts = ["throw new ShroudError('CONFIG_INVALID', 'x');", '// ADMISSION_INTERNAL_X is another word'];
  assert.deepEqual(unusedCodes(['CONFIG_INVALID', 'ADMISSION_INTERNAL', 'TLS_KEY_EXISTS'], texts), [
    'ADMISSION_INTERNAL',
    'TLS_KEY_EXISTS',
  ]);
});

test('codes are UPPER_SNAKE with a domain prefix', () => {
  for (const code of Object.keys(ERROR_CODES)) assert.match(code, /^[A-Z]+_[A-Z0-9_]+$/);
});

test('ShroudError keeps code, details and cause', () => {
  const cause = new Error('low level');
  const err = new ShroudError('CONFIG_INVALID', 'bad --listen', { cause, details: { flag: 'listen' } });
  assert.equal(err.code, 'CONFIG_INVALID');
  assert.deepEqual(err.details, { flag: 'listen' });
  assert.equal(err.cause, cause);
  assert.ok(isShroudError(err, 'CONFIG_INVALID'));
  assert.ok(!isShroudError(err, 'CLI_USAGE'));
  assert.ok(!isShroudError(new Error('x')));
});
