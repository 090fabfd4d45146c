/**
 * Long token runs: a shared, cheap test that lets the costlier detectors skip a value.
 *
 * A token run is a maximal run of the characters `A-Za-z0-9+/_-` (the base64 and base64url
 * alphabets without padding: `=` would join the name and value of every `name=value` line). `high-entropy` judges only runs of at least {@link LONG_RUN}
 * characters, and almost every provider format holds such a run (the format index works out
 * which ones do, scan.ts), so a value without one (most config files: words joined by `.`, `=`
 * and `:`) skips both.
 *
 * The search reads windows of `LONG_RUN` characters backwards and jumps past the first
 * character that cannot be in a run (see findTokenRuns): each character is read at most once,
 * and on text of short words only the tail of each word a window ends in is read.
 *
 * Long values are searched by the WebAssembly kernel instead (kernel/line-scan.ts), in the same
 * pass that finds their hint lines. Within one scanEntry call the runs of the entry are
 * remembered (entry-memo.ts), so the detectors that ask share one search; they are forgotten
 * when the entry's scan ends.
 */
import { EntryMemo } from './entry-memo.js';
import { wholeValueScan } from './kernel/line-scan.js';

/** Length of the runs searched for: `high-entropy`'s shortest token (entropy.ts MIN_TOKEN). */
export const LONG_RUN = 20;

/** 1 for `A-Za-z0-9+/_-` (ASCII codes). */
const TOKEN_CHARS = new Uint8Array(128);
for (let c = 0; c < 128; c++)
  TOKEN_CHARS[c] =
    (c >= 48 && c <= 57) ||
    (c >= 65 && c <= 90) ||
    (c >= 97 && c <= 122) ||
    c === 43 ||
    c === 47 ||
    c === 95 ||
    c === 45
      ? 1
      : 0;

/** True for `A-Za-z0-9+/_-`. */
export function isTokenChar(c: number): boolean {
  return c < 128 && TOKEN_CHARS[c] === 1;
}

/**
 * Pairs `[start, end)` of each maximal run of at least `length` token characters (length >= 1),
 * in order.
 *
 * `from` is always the start of the value or the character after a non-token one, so a run of
 * `length` starts there exactly when the window [from, from + length) is all token characters.
 * The window is read backwards from its end; the first non-token character found rules out every
 * start up to it, and the next window begins right after it. That next window ends beyond the
 * one just read, and its backward walk stops at a non-token character, which cannot be among the
 * token characters already read. A found run is walked to its end and the search resumes after
 * it: every character is read at most once.
 */
export function findTokenRuns(value: string, length: number): number[] {
  const runs: number[] = [];
  const n = value.length;
  let from = 0;
  while (from + length <= n) {
    let i = from + length - 1;
    for (; i >= from; i--) if (!isTokenChar(value.charCodeAt(i))) break;
    if (i >= from) {
      from = i + 1;
      continue;
    }
    let end = from + length;
    while (end < n && isTokenChar(value.charCodeAt(end))) end++;
    runs.push(from, end);
    from = end + 1;
  }
  return runs;
}

const allRuns = new EntryMemo(
  (_: undefined, _key: string, value: string) => wholeValueScan(value)?.runs ?? findTokenRuns(value, LONG_RUN),
);

/**
 * Pairs `[start, end)` of the value's runs of at least {@link LONG_RUN} token characters, in
 * order (one search per entry: entry-memo.ts; the kernel's for long values). Detectors that
 * judge only such runs read these instead of the whole value.
 */
export function longTokenRuns(value: string): readonly number[] {
  return allRuns.get(undefined, '', value);
}

/** True when `value` holds a token run of at least {@link LONG_RUN} characters (one search per entry: entry-memo.ts). */
export function hasLongTokenRun(value: string): boolean {
  return longTokenRuns(value).length > 0;
}
