import { strict as assert } from 'node:assert';
import { isShroudError, type ErrorCode } from '../../src/errors.js';

/** Asserts that `promise` rejects with a ShroudError of `code` and returns the error. */
export async function rejectsWithCode(promise: Promise<unknown>, code: ErrorCode): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    assert.ok(isShroudError(err), `expected ShroudError ${code}, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected rejection with ${code}`);
}

/** Asserts that `fn` throws a ShroudError of `code`. */
export function throwsWithCode(fn: () => unknown, code: ErrorCode): Error {
  try {
    fn();
  } catch (err) {
    assert.ok(isShroudError(err), `expected ShroudError ${code}, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected throw with ${code}`);
}

/** Everything an error could show: message, details, and the messages of its cause chain. */
export function errorText(err: unknown): string {
  const parts: string[] = [];
  let e: unknown = err;
  for (let i = 0; i < 5 && e !== undefined && e !== null; i++) {
    parts.push(
      String((e as Error).message ?? e),
      (e as Error).stack ?? '',
      JSON.stringify((e as { details?: unknown }).details ?? null),
    );
    e = (e as { cause?: unknown }).cause;
  }
  return parts.join('\n');
}
