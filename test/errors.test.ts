import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ERROR_CODES, ShroudError, isShroudError } from '../src/errors.js';

test('every error code has a row in docs/errors.md', () => {
  const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');
  const documented = new Set([...doc.matchAll(/^\| `([A-Z0-9_]+)` \|/gm)].map((m) => m[1]));
  const missing = Object.keys(ERROR_CODES).filter((c) => !documented.has(c));
  assert.deepEqual(missing, []);
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
