/**
 * Small character-level helpers shared by the detectors. Everything here walks a string with an
 * index that only moves forward (the line locator starts over only if asked out of order, which
 * no scanner does), so callers can reason about linear cost.
 */
import { MAX_FINDINGS_PER_DETECTOR, type Detector, type Finding } from './types.js';

/** True for ASCII letters and digits. */
export function isAlnum(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** True for the base64url alphabet without padding: letters, digits, `-` and `_`. */
export function isBase64UrlChar(c: number): boolean {
  return isAlnum(c) || c === 45 || c === 95;
}

/** True for space, tab, CR and LF. */
export function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

/**
 * True for the characters String.prototype.trim removes and a regex `\s` matches: ASCII
 * whitespace (tab, LF, VT, FF, CR, space) and the Unicode spaces and line terminators.
 */
export function isTrimmed(c: number): boolean {
  if (c < 128) return c === 32 || (c >= 9 && c <= 13);
  return (
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

/**
 * Returns the end of the run of characters accepted by `accept` that starts at `from`, looking at
 * no more than `limit` characters (the returned index is at most `from + limit`).
 */
export function runEnd(value: string, from: number, accept: (c: number) => boolean, limit: number): number {
  const stop = Math.min(value.length, from + limit);
  let i = from;
  while (i < stop && accept(value.charCodeAt(i))) i++;
  return i;
}

/**
 * Maps positions to 1-based line numbers for positions asked in increasing order, counting each
 * newline once. `lineAt` returns `undefined` for single-line values, where a line number adds
 * nothing. (A class rather than a closure: closures made per scan are costly on the hot path.)
 */
export class LineLocator {
  private multiLine: boolean | undefined;
  private counted = 0;
  private line = 1;

  constructor(private readonly value: string) {}

  /** The line of `position`, or undefined when the value has a single line. */
  lineAt(position: number): number | undefined {
    this.multiLine ??= hasSecondLine(this.value);
    if (!this.multiLine) return undefined;
    if (position < this.counted) {
      this.counted = 0;
      this.line = 1;
    }
    const value = this.value;
    for (let nl = value.indexOf('\n', this.counted); nl !== -1 && nl < position; nl = value.indexOf('\n', nl + 1))
      this.line++;
    this.counted = position;
    return this.line;
  }
}

/** True when something other than whitespace follows the first newline. */
function hasSecondLine(value: string): boolean {
  const firstNewline = value.indexOf('\n');
  if (firstNewline === -1) return false;
  // A trailing newline (files made with `--from-file` end with one) does not make a second line.
  let last = value.length - 1;
  while (last > firstNewline && isSpace(value.charCodeAt(last))) last--;
  return last > firstNewline;
}

/** Orders positions ascending (a named comparator, so sorting makes no closure). */
export function byPosition(a: number, b: number): number {
  return a - b;
}

/** Collects findings for one detector and one entry, stopping at the per-detector bound. */
export class FindingList {
  readonly findings: Finding[] = [];
  private readonly lines: LineLocator;

  constructor(
    private readonly detector: Pick<Detector, 'name' | 'confidence' | 'description'>,
    private readonly key: string,
    value: string,
    /** Report a line even for a single-line value (config-file-secret always names its line). */
    private readonly alwaysLine = false,
  ) {
    this.lines = new LineLocator(value);
  }

  /** True once the bound is reached; scanners stop looking then. */
  get full(): boolean {
    return this.findings.length >= MAX_FINDINGS_PER_DETECTOR;
  }

  /** Records a finding at `position` in the value (its line is derived, the value is not kept). */
  add(position: number): void {
    if (this.full) return;
    const finding: Finding = {
      detector: this.detector.name,
      confidence: this.detector.confidence,
      key: this.key,
      description: this.detector.description,
    };
    const line = this.lines.lineAt(position) ?? (this.alwaysLine ? 1 : undefined);
    if (line !== undefined) finding.line = line;
    this.findings.push(finding);
  }
}

/** Share of `value[start, end)` covered by runs of an optional capital and 3+ lower-case letters. */
export function wordShare(value: string, start = 0, end = value.length): number {
  let covered = 0;
  let i = start;
  while (i < end) {
    let j = i;
    const first = value.charCodeAt(j);
    if (first >= 65 && first <= 90) j++;
    let k = j;
    while (k < end && value.charCodeAt(k) >= 97 && value.charCodeAt(k) <= 122) k++;
    if (k - j >= 3) {
      covered += k - i;
      i = k;
    } else {
      i = Math.max(i + 1, k);
    }
  }
  return covered / (end - start);
}

/** Shannon entropy of `value[start, end)` in bits per character. */
export function shannonEntropy(value: string, start = 0, end = value.length): number {
  // Counts in a reused table for ASCII (no Map per call: this runs once per candidate token).
  const counts = ASCII_COUNTS;
  let other: Map<number, number> | undefined;
  for (let i = start; i < end; i++) {
    const c = value.charCodeAt(i);
    if (c < 128) counts[c] = (counts[c] as number) + 1;
    else {
      other ??= new Map();
      other.set(c, (other.get(c) ?? 0) + 1);
    }
  }
  const n = end - start;
  let bits = 0;
  for (let i = start; i < end; i++) {
    const c = value.charCodeAt(i);
    if (c >= 128) continue;
    const count = counts[c] as number;
    if (count === 0) continue;
    const p = count / n;
    bits -= p * Math.log2(p);
    counts[c] = 0;
  }
  if (other !== undefined)
    for (const count of other.values()) {
      const p = count / n;
      bits -= p * Math.log2(p);
    }
  return bits;
}

const ASCII_COUNTS = new Uint32Array(128);
