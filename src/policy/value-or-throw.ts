/** For startup and one-shot callers: turn a collected load result into a value or an error. */
import { ShroudError } from '../errors.js';
import { formatIssue } from './inspect.js';
import type { LoadResult } from './parse-files.js';

/**
 * Returns `result.value` when there are no issues.
 * @throws ShroudError with the first issue's code and `file:line:column: message`; `details.issues`
 *   holds every issue.
 */
export function valueOrThrow<T>(result: LoadResult<T>): T {
  const first = result.issues[0];
  if (first === undefined) return result.value;
  const more = result.issues.length > 1 ? ` (and ${result.issues.length - 1} more)` : '';
  throw new ShroudError(first.code, `${formatIssue(first)}${more}`, { details: { issues: result.issues } });
}
