/**
 * The parts of a token format (literals and runs of an alphabet), compiled, and walked over a
 * value: forward from an anchor, and backward for a head before an anchor inside the token. Every
 * walk is bounded by the part lengths and charged to a budget the scan sets (scan.ts).
 */
import { type CompiledAlphabet, compileAlphabet } from './alphabets.js';
import type { Part, TokenFormat } from './types.js';

export interface CompiledPart {
  readonly lit: string | undefined;
  readonly alphabet: CompiledAlphabet | undefined;
  readonly min: number;
  readonly max: number;
}

/** What the walks of one scan may still look at (characters); scan.ts stops when it runs out. */
export interface Budget {
  left: number;
}

export function isAlnumCode(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/**
 * True for a character a token cannot be next to: a letter or digit (the token would be part of
 * a longer word), or `+` (it would be a piece of a base64 blob cut at a `+`).
 */
export function isGlued(c: number): boolean {
  return isAlnumCode(c) || c === 43;
}

/** Compiles parts; returns a sentence instead when an alphabet or a length is wrong. */
export function compileParts(parts: readonly Part[]): CompiledPart[] | { error: string } {
  const out: CompiledPart[] = [];
  for (const part of parts) {
    if (typeof part === 'string') {
      if (part.length === 0) return { error: 'a literal part is empty' };
      out.push({ lit: part, alphabet: undefined, min: part.length, max: part.length });
      continue;
    }
    const [spec, min, max = min] = part;
    const alphabet = compileAlphabet(spec);
    if ('error' in alphabet) return alphabet;
    if (!Number.isInteger(min) || !Number.isInteger(max) || min < 1 || max < min || max > 4096)
      return { error: `part lengths ${min}..${max} must be whole numbers with 1 <= min <= max <= 4096` };
    out.push({ lit: undefined, alphabet, min, max });
  }
  return out;
}

/** Matches `parts` forward from `at`; returns the end, or -1. Runs are greedy (bounded by max). */
export function matchForward(value: string, at: number, parts: readonly CompiledPart[], budget: Budget): number {
  let p = at;
  for (const part of parts) {
    if (part.lit !== undefined) {
      if (!value.startsWith(part.lit, p)) return -1;
      p += part.lit.length;
      continue;
    }
    const table = (part.alphabet as CompiledAlphabet).table;
    const stop = Math.min(value.length, p + part.max + 1);
    let q = p;
    while (q < stop) {
      const c = value.charCodeAt(q);
      if (c >= 128 || table[c] !== 1) break;
      q++;
    }
    budget.left -= q - p + 1;
    const length = q - p;
    if (length < part.min || length > part.max) return -1;
    p = q;
  }
  return p;
}

/**
 * Matches `parts` backward, ending at `end`; returns the start, or -1. Runs with a length range
 * try each length (longest first): heads have at most two parts with small ranges.
 */
export function matchBackward(
  value: string,
  end: number,
  parts: readonly CompiledPart[],
  i: number,
  budget: Budget,
): number {
  if (i < 0) return end;
  const part = parts[i] as CompiledPart;
  if (part.lit !== undefined) {
    const start = end - part.lit.length;
    if (start < 0 || !value.startsWith(part.lit, start)) return -1;
    return matchBackward(value, start, parts, i - 1, budget);
  }
  const table = (part.alphabet as CompiledAlphabet).table;
  let run = 0;
  while (run < part.max && end - run - 1 >= 0) {
    const c = value.charCodeAt(end - run - 1);
    if (c >= 128 || table[c] !== 1) break;
    run++;
  }
  budget.left -= run + 1;
  for (let length = run; length >= part.min; length--) {
    const start = matchBackward(value, end - length, parts, i - 1, budget);
    if (start !== -1) return start;
  }
  return -1;
}

/** The [start, end) pairs of the runs of `parts` matched forward from `at` (after a successful match). */
export function runsOf(value: string, at: number, parts: readonly CompiledPart[], out: number[]): number {
  let p = at;
  for (const part of parts) {
    if (part.lit !== undefined) {
      p += part.lit.length;
      continue;
    }
    const table = (part.alphabet as CompiledAlphabet).table;
    const stop = Math.min(value.length, p + part.max);
    let q = p;
    while (q < stop) {
      const c = value.charCodeAt(q);
      if (c >= 128 || table[c] !== 1) break;
      q++;
    }
    out.push(p, q);
    p = q;
  }
  return p;
}

/**
 * True when the character at `end` would continue the token: a letter or digit (tokens end
 * where a word ends), or a character of the last run's alphabet (the run would be longer).
 */
export function continuesRun(value: string, end: number, parts: readonly CompiledPart[]): boolean {
  if (end >= value.length) return false;
  const c = value.charCodeAt(end);
  if (isGlued(c)) return true;
  const last = parts[parts.length - 1];
  return last !== undefined && last.alphabet !== undefined && c < 128 && last.alphabet.table[c] === 1;
}

/** The shortest and longest text `parts` can match. */
export function partLengths(parts: readonly Part[] | readonly CompiledPart[]): { min: number; max: number } {
  let min = 0;
  let max = 0;
  for (const p of parts) {
    if (typeof p === 'string') {
      min += p.length;
      max += p.length;
    } else if (Array.isArray(p)) {
      const [, lo, hi = lo] = p as readonly [string, number, number?];
      min += lo;
      max += hi;
    } else {
      const c = p as CompiledPart;
      min += c.min;
      max += c.max;
    }
  }
  return { min, max };
}

/**
 * What is wrong with a format (as a sentence), or undefined. Checks what the scanner relies on:
 * anchors of at least two printable ASCII characters (three for team formats, see team.ts),
 * parts that compile, a body that ends with a run unless it is empty after a head, and hints
 * for keyed formats.
 */
export function checkFormat(f: TokenFormat): string | undefined {
  if (f.keyed === true) {
    if (f.prefixes.length > 0) return 'a keyed format has no prefixes (it is matched as a whole value)';
    if (f.hints === undefined || f.hints.length === 0) return 'a keyed format needs key-name hints';
  } else if (f.prefixes.length === 0) return 'needs at least one prefix, or keyed: true with hints';
  for (const p of f.prefixes) {
    if (p.length < 2) return `prefix "${p}" is shorter than 2 characters`;
    for (let i = 0; i < p.length; i++) {
      const c = p.charCodeAt(i);
      if (c < 32 || c > 126) return 'prefixes are printable ASCII';
    }
  }
  for (const h of f.hints ?? []) if (!/^[a-z0-9]{2,40}$/.test(h)) return `hint "${h}" is not a lower-case word`;
  const head = compileParts(f.head ?? []);
  if ('error' in head) return head.error;
  const body = compileParts(f.body);
  if ('error' in body) return body.error;
  const last = body[body.length - 1];
  if (last === undefined ? head.length === 0 : last.lit !== undefined && f.keyed !== true && last.lit.length < 1)
    return 'the body is empty';
  if (f.checksum !== undefined && (body.length !== 1 || body[0]?.lit !== undefined))
    return 'a checksum format has a body of one run';
  return undefined;
}
