/**
 * `high-entropy` (low confidence): long base64-ish tokens whose characters are spread like
 * random data, when nothing else explains them. Generated passwords, API keys of unknown
 * vendors and signing secrets look like this; so do some harmless things, which is why the
 * findings only warn and why these explanations are ruled out first:
 *
 * - hex-only tokens (with or without dashes): sha256/sha1 digests, image digests, git commits,
 *   checksums, UUIDs. Hex secrets exist, but so many harmless hex strings sit in configs that
 *   flagging them would drown the signal; under a secret-named key they are still caught.
 * - tokens without upper-case letters, lower-case letters and digits all present: words,
 *   identifiers, kebab-case names, numbers.
 * - word-like tokens: when at least half the characters sit in runs like `Word` or `word`
 *   (an optional capital and three or more lower-case letters), the token is an identifier
 *   (`SpringBootApp2024Release`, `HikariPool-1-Connection-Test`). Random 32-character base62
 *   strings cross that line about 1.5% of the time, 20-character ones about 4%.
 * - PEM blocks (certificates and public keys; private keys are the private-key detector's),
 *   SSH public keys (`ssh-ed25519 AAAAC3Nza...`), Subresource Integrity hashes (`sha384-...`),
 *   Shroud sealed values (`shroud:v1:...`).
 * - path-like tokens (`/` without `+`): each path segment is judged on its own.
 * - tokens shorter than {@link MIN_TOKEN} or longer than {@link MAX_TOKEN} (binary blobs, fonts
 *   and images embedded as base64 are data, not credentials).
 */
import { FindingList } from './text.js';
import type { Detector, Finding } from './types.js';

/** Shorter tokens cannot carry enough entropy to tell a secret from a word. */
export const MIN_TOKEN = 20;
/** Longer runs are embedded data (images, fonts, binary blobs), not credentials. */
export const MAX_TOKEN = 512;
/** Entropy ceiling for long tokens, in bits per character (random base64 reaches ~5.5). */
const ENTROPY_CEILING = 4.5;
/** How far below the maximum possible entropy of a short token a random one still lands. */
const SHORT_TOKEN_MARGIN = 0.6;

/** Tokens with at least this share of word-like runs are identifiers (see the module comment). */
const MAX_WORD_SHARE = 0.5;

const SSH_PUBLIC_KEY_BLOBS: readonly string[] = ['AAAAB3NzaC1', 'AAAAC3NzaC1', 'AAAAE2VjZHNh', 'AAAAGnNr', 'AAAAInNr'];
const SRI_PREFIXES: readonly string[] = ['sha256-', 'sha384-', 'sha512-'];
const SEALED_PREFIX = 'shroud:v1:';

/** letters, digits, `+ / _ -`: the base64 and base64url alphabets without padding. */
function isTokenChar(c: number): boolean {
  return (
    (c >= 48 && c <= 57) ||
    (c >= 65 && c <= 90) ||
    (c >= 97 && c <= 122) ||
    c === 43 ||
    c === 47 ||
    c === 95 ||
    c === 45
  );
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
  const counts = new Map<number, number>();
  for (let i = start; i < end; i++) {
    const c = value.charCodeAt(i);
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  const n = end - start;
  let bits = 0;
  for (const count of counts.values()) {
    const p = count / n;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/** The entropy a token of `length` characters needs to count as random-looking. */
export function entropyThreshold(length: number): number {
  return Math.min(ENTROPY_CEILING, Math.log2(length) - SHORT_TOKEN_MARGIN);
}

function isExplained(value: string, start: number, end: number): boolean {
  let hexish = true;
  let upper = false;
  let lower = false;
  let digit = false;
  for (let i = start; i < end; i++) {
    const c = value.charCodeAt(i);
    const isDigit = c >= 48 && c <= 57;
    const isUpper = c >= 65 && c <= 90;
    const isLower = c >= 97 && c <= 122;
    digit ||= isDigit;
    upper ||= isUpper;
    lower ||= isLower;
    if (!(isDigit || c === 45 || (c >= 65 && c <= 70) || (c >= 97 && c <= 102))) hexish = false;
  }
  if (hexish || !(upper && lower && digit)) return true;
  if (wordShare(value, start, end) >= MAX_WORD_SHARE) return true;
  if (start >= SEALED_PREFIX.length && value.startsWith(SEALED_PREFIX, start - SEALED_PREFIX.length)) return true;
  for (const prefix of SRI_PREFIXES) if (value.startsWith(prefix, start)) return true;
  for (const prefix of SSH_PUBLIC_KEY_BLOBS) if (value.startsWith(prefix, start)) return true;
  return false;
}

function isRandomLooking(value: string, start: number, end: number): boolean {
  const length = end - start;
  if (length < MIN_TOKEN || length > MAX_TOKEN) return false;
  return !isExplained(value, start, end) && shannonEntropy(value, start, end) >= entropyThreshold(length);
}

/** Judges one token, or each of its segments when it is path-like. */
function judge(value: string, start: number, end: number, list: FindingList): void {
  const pathLike = hasChar(value, start, end, 47) && !hasChar(value, start, end, 43);
  if (!pathLike) {
    if (isRandomLooking(value, start, end)) list.add(start);
    return;
  }
  let segmentStart = start;
  for (let i = start; i <= end && !list.full; i++) {
    if (i < end && value.charCodeAt(i) !== 47) continue;
    if (isRandomLooking(value, segmentStart, i)) list.add(segmentStart);
    segmentStart = i + 1;
  }
}

/** True when `value[start, end)` contains the character code `c` (bounded, unlike indexOf). */
function hasChar(value: string, start: number, end: number, c: number): boolean {
  for (let i = start; i < end; i++) if (value.charCodeAt(i) === c) return true;
  return false;
}

function scanHighEntropy(key: string, value: string): Finding[] {
  if (value.length < MIN_TOKEN) return [];
  const list = new FindingList(highEntropyDetector, key, value);
  // The next "-----END" at or after the cursor, found once and reused (see private-key.ts).
  let nextEnd = -2;
  let i = 0;
  while (i < value.length && !list.full) {
    if (!isTokenChar(value.charCodeAt(i))) {
      i++;
      continue;
    }
    const start = i;
    while (i < value.length && isTokenChar(value.charCodeAt(i))) i++;
    if (value.charCodeAt(start) === 45 && value.startsWith('-----BEGIN', start)) {
      if (nextEnd !== -1 && nextEnd < i) nextEnd = value.indexOf('-----END', i);
      i = nextEnd === -1 ? value.length : nextEnd + 8;
      continue;
    }
    // `=` is not a token character: it is base64 padding or the `key=value` separator, and
    // either way it ends a token.
    if (i - start >= MIN_TOKEN) judge(value, start, i, list);
  }
  return list.findings;
}

/** The `high-entropy` detector. */
export const highEntropyDetector: Detector = {
  name: 'high-entropy',
  confidence: 'low',
  description: 'a long random-looking string that may be a secret (no known format matched)',
  scan: scanHighEntropy,
};
