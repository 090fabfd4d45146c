/**
 * Whether a matched token looks generated rather than typed: a provider's shape alone does not
 * make a secret (`ghp_xxxx…`, `AKIA…EXAMPLE`, a body counting up).
 */
import { isPlaceholder } from '../placeholders.js';

/**
 * Runs longer than this are not searched for stand-in words and patterns: they are base64 of
 * binary data (session tokens), where `AAAAAAAA` is six zero bytes, not a mask.
 */
const MAX_WORD_CHECK = 128;
const STAND_IN_WORDS: readonly string[] = [
  'example',
  'sample',
  'dummy',
  'placeholder',
  'xxxxx',
  'fake',
  'redacted',
  'changeme',
  'insert',
  'replace',
  'your',
];

/** The longest run of one character, and the longest run of ascending neighbours (`abcdef`, `123456`). */
function hasPattern(value: string, start: number, end: number): boolean {
  let same = 1;
  let up = 1;
  for (let i = start + 1; i < end; i++) {
    const d = value.charCodeAt(i) - value.charCodeAt(i - 1);
    same = d === 0 ? same + 1 : 1;
    up = d === 1 ? up + 1 : 1;
    if (same >= 8 || up >= 6) return true;
  }
  return false;
}

function distinct(value: string, start: number, end: number): number {
  const seen = new Set<number>();
  for (let i = start; i < end && seen.size < 64; i++) seen.add(value.charCodeAt(i));
  return seen.size;
}

/**
 * True when the runs of a matched token look like a generated secret: the longest run has
 * enough different characters, no run repeats one character 8 times or counts up 6 times, no
 * short run holds a stand-in word, and the token after its prefix is not a placeholder.
 */
export function looksRandom(value: string, start: number, end: number, runs: readonly number[]): boolean {
  let longest = 0;
  let longestAt = 0;
  for (let r = 0; r < runs.length; r += 2) {
    const a = runs[r] as number;
    const b = runs[r + 1] as number;
    if (b - a > longest) {
      longest = b - a;
      longestAt = a;
    }
    if (b - a > MAX_WORD_CHECK) continue;
    if (hasPattern(value, a, b)) return false;
    if (b - a >= 4) {
      const text = value.slice(a, b).toLowerCase();
      for (const word of STAND_IN_WORDS) if (text.includes(word)) return false;
    }
  }
  if (longest > 0 && distinct(value, longestAt, longestAt + longest) < Math.min(10, Math.ceil(longest / 4)))
    return false;
  // The prefix is the issuer's, not the token's randomness (X's bearer tokens start with 21 `A`s).
  return !isPlaceholder(value.slice(runs.length > 0 ? (runs[0] as number) : start, end));
}
