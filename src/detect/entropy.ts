/**
 * `high-entropy` (low confidence): long base64-ish tokens whose characters are spread like
 * random data, when nothing else explains them. Generated passwords, API keys of unknown
 * vendors and signing secrets look like this; so do some harmless things, which is why the
 * findings only warn and why these explanations are ruled out first (entropy-explain.ts):
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
import {
  HASH_LABELS,
  HASH_PREFIXES,
  inPasswordHash,
  insideUrl,
  inSopsValue,
  isBase64OfText,
  isExplained,
  isSecretParameter,
  nameBefore,
  namedAsNotSecret,
  precededBy,
  startsWithIgnoreCase,
} from './entropy-explain.js';
import { isPlaceholder, PASSWORD_HASH } from './placeholders.js';
import { isStrongSecret } from './secret-strength.js';
import { hasLongTokenRun, isTokenChar, longTokenRuns } from './runs.js';
import { FindingList, shannonEntropy } from './text.js';

export { shannonEntropy, wordShare } from './text.js';
import type { Detector, Finding } from './types.js';

/** Shorter tokens cannot carry enough entropy to tell a secret from a word. */
export const MIN_TOKEN = 20;
/** Longer runs are embedded data (images, fonts, binary blobs), not credentials. */
export const MAX_TOKEN = 512;
/** Entropy ceiling for long tokens, in bits per character (random base64 reaches ~5.5). */
const ENTROPY_CEILING = 4.5;
/** How far below the maximum possible entropy of a short token a random one still lands. */
const SHORT_TOKEN_MARGIN = 0.6;

/** The entropy a token of `length` characters needs to count as random-looking. */
export function entropyThreshold(length: number, oneCase = false): number {
  // A one-case alphabet has 36 symbols (5.2 bits at most), so its tokens land lower.
  if (oneCase) return Math.min(ONE_CASE_CEILING, Math.log2(length) - 1.3);
  return Math.min(ENTROPY_CEILING, Math.log2(length) - SHORT_TOKEN_MARGIN);
}
const ONE_CASE_CEILING = 4;

function isOneCaseToken(value: string, start: number, end: number): boolean {
  let upper = false;
  let lower = false;
  for (let i = start; i < end; i++) {
    const c = value.charCodeAt(i);
    upper ||= c >= 65 && c <= 90;
    lower ||= c >= 97 && c <= 122;
  }
  return upper !== lower;
}

/** Whether the value being scanned has one line, found once per scan (not once per token). */
let singleLineOf: string | undefined;
let singleLine = false;
function isSingleLine(value: string): boolean {
  if (singleLineOf !== value) {
    singleLine = value.indexOf('\n') === -1;
    singleLineOf = value;
  }
  return singleLine;
}

/** Explanations that need the context of the token (run only for tokens that look random). */
function isExplainedByContext(key: string, value: string, start: number, end: number): boolean {
  if (precededBy(value, start, HASH_LABELS)) return true;
  if (inPasswordHash(value, start, end) || inSopsValue(value, start)) return true;
  // The setting the token is the value of; for a one-line value without one, the ConfigMap key.
  const name = start === 0 ? key : (nameBefore(value, start) ?? (isSingleLine(value) ? key : undefined));
  if (insideUrl(value, start)) return name === undefined || !isSecretParameter(name);
  if (name !== undefined && namedAsNotSecret(name)) return true;
  return isBase64OfText(value, start, end);
}

function isRandomLooking(key: string, value: string, start: number, end: number): boolean {
  const length = end - start;
  if (length < MIN_TOKEN || length > MAX_TOKEN) return false;
  return (
    !isExplained(value, start, end) &&
    shannonEntropy(value, start, end) >= entropyThreshold(length, isOneCaseToken(value, start, end)) &&
    !isExplainedByContext(key, value, start, end)
  );
}

/** Judges one token, or each of its segments when it is path-like. */
function judge(key: string, value: string, start: number, end: number, list: FindingList): void {
  const pathLike = hasChar(value, start, end, 47) && !hasChar(value, start, end, 43);
  if (!pathLike) {
    // isRandomLooking rules out the hash labels and prefixes itself (isExplained,
    // isExplainedByContext), after the cheaper character-class tests that reject most tokens
    // (hex digests, UUIDs, identifiers).
    if (isRandomLooking(key, value, start, end)) list.add(start);
    return;
  }
  // A hash label or prefix explains the whole token, before it is split at `/` (base64 has `/`).
  if (precededBy(value, start, HASH_LABELS)) return;
  for (const prefix of HASH_PREFIXES) if (startsWithIgnoreCase(value, prefix, start)) return;
  let segmentStart = start;
  for (let i = start; i <= end && !list.full; i++) {
    if (i < end && value.charCodeAt(i) !== 47) continue;
    if (isRandomLooking(key, value, segmentStart, i)) list.add(segmentStart);
    segmentStart = i + 1;
  }
}

/** What {@link tokenKind} says of a character: not a token character, a hex one (`0-9a-fA-F-`), another one. */
const NOT_TOKEN = 0;
const HEX_TOKEN = 1;
const OTHER_TOKEN = 2;
const TOKEN_KINDS = new Uint8Array(128);
for (let c = 0; c < 128; c++)
  TOKEN_KINDS[c] = !isTokenChar(c)
    ? NOT_TOKEN
    : (c >= 48 && c <= 57) || c === 45 || (c >= 65 && c <= 70) || (c >= 97 && c <= 102)
      ? HEX_TOKEN
      : OTHER_TOKEN;

/** The kind of the character code `c`. */
function tokenKind(c: number): number {
  return c < 128 ? (TOKEN_KINDS[c] as number) : NOT_TOKEN;
}

/** True when every character of `value[start, end)` is a hex digit or a dash. */
function isHexOnly(value: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (tokenKind(value.charCodeAt(i)) !== HEX_TOKEN) return false;
  return true;
}

/** True when `value[start, end)` contains the character code `c` (bounded, unlike indexOf). */
function hasChar(value: string, start: number, end: number, c: number): boolean {
  for (let i = start; i < end; i++) if (value.charCodeAt(i) === c) return true;
  return false;
}

/**
 * True when the whole value is one generated password: 12 to 64 characters without spaces,
 * lower and upper case and at least one of digits and symbols, the entropy of a generated secret
 * (isStrongSecret), not a placeholder, hash, regular expression, URL or path. Symbols split the
 * tokens judged below and passwords are often shorter than {@link MIN_TOKEN}, so a value that is
 * one such string is judged whole here.
 */
function isRandomPassword(key: string, value: string): boolean {
  // Paths and JSON first: a first character that spares the pass below (the trimmed value starts
  // with it too, and such a value is never judged a password).
  const first = value.charCodeAt(0);
  if (first === 47 || first === 123 || first === 91) return false;
  // One pass: both cases and a digit or symbol, and no whitespace inside (surrounding blanks are trimmed).
  let lower = false;
  let upper = false;
  let other = false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 97 && c <= 122) lower = true;
    else if (c >= 65 && c <= 90) upper = true;
    else if (c === 32 || c === 9 || c === 10 || c === 13) {
      if (value.trim().length !== value.length) return isRandomPassword(key, value.trim());
      return false;
    } else other = true;
  }
  if (!(lower && upper && other)) return false;
  const v = value;
  if (v.length < MIN_PASSWORD || v.length > MAX_PASSWORD || v.startsWith('{') || v.startsWith('[')) return false;
  if (v.includes('://') || v.startsWith('/') || (key !== '' && namedAsNotSecret(key))) return false;
  for (const label of HASH_LABELS) if (startsWithIgnoreCase(v, label, 0)) return false;
  for (const prefix of HASH_PREFIXES) if (startsWithIgnoreCase(v, prefix, 0)) return false;
  // Regular expressions (`^[A-Za-z0-9._%+-]+@...$`) mix every class too.
  if (/^\^|\$$|\[[^\]]*[A-Za-z0-9]-[A-Za-z0-9][^\]]*\]/.test(v)) return false;
  return isStrongSecret(v) && !isPlaceholder(v) && !PASSWORD_HASH.test(v) && !isBase64OfText(v, 0, v.length);
}
const MIN_PASSWORD = 12;
const MAX_PASSWORD = 64;

/**
 * Runs of digits, found by the regex engine (native code). Every token judged contains one
 * (isExplained rules out tokens without digits) and is one of the value's long token runs
 * (runs.ts), so the scan goes from long run to long run and, within each, looks for a digit once.
 * Global, so lastIndex is set before every use; scans are synchronous and never nested.
 */
const DIGIT = /[0-9]+/g;

function scanHighEntropy(key: string, value: string): Finding[] {
  if (value.length < MIN_PASSWORD) return [];
  if (value.length <= MAX_PASSWORD + 2 && isRandomPassword(key, value)) {
    const list = new FindingList(highEntropyDetector, key, value);
    list.add(0);
    return list.findings;
  }
  // Every token judged below is a run of token characters at least MIN_TOKEN long.
  if (value.length < MIN_TOKEN || !hasLongTokenRun(value)) return [];
  // A value of hex digits and dashes only (a UUID, a digest) holds hex tokens only, which are
  // never reported (below): one pass, which stops at the first other character, spares the search.
  if (isHexOnly(value, 0, value.length)) return [];
  const runs = longTokenRuns(value);
  let list: FindingList | undefined;
  // PEM blocks ([BEGIN, the end of its END marker)) are skipped whole, taken in order.
  let pemBegin = value.indexOf('-----BEGIN');
  let pemEnd = pemBegin === -1 ? -1 : value.indexOf('-----END', pemBegin);
  let from = 0; // where the search for a digit goes on
  let walked = 0; // no token starts before this index (the end of the last token or PEM block)
  for (let r = 0; r < runs.length; ) {
    const runStart = runs[r] as number;
    const runEnd = runs[r + 1] as number;
    if (runEnd <= from) {
      r += 2;
      continue;
    }
    DIGIT.lastIndex = Math.max(runStart, from);
    const m = DIGIT.exec(value);
    if (m === null) break;
    const at = m.index;
    if (at >= runEnd) {
      // No digit in the rest of this run: go on from the next digit.
      from = at;
      r += 2;
      continue;
    }
    if (pemBegin !== -1 && at >= pemBegin) {
      if (pemEnd === -1) break; // an unterminated block runs to the end of the value
      if (at < pemEnd + 8) {
        from = pemEnd + 8;
        walked = from;
      }
      pemBegin = value.indexOf('-----BEGIN', pemEnd + 8);
      pemEnd = pemBegin === -1 ? -1 : value.indexOf('-----END', pemBegin);
      continue;
    }
    // The token is the run, less any part inside a PEM block just skipped.
    const start = Math.max(runStart, walked);
    from = runEnd;
    walked = runEnd;
    r += 2;
    // Hex tokens (with dashes) are the commonest long tokens of configs (digests, UUIDs) and are
    // never reported (isExplained, and with neither `/` nor `+` they are not path-like): ruled
    // out here before judge's several passes.
    if (runEnd - start < MIN_TOKEN || isHexOnly(value, start, runEnd)) continue;
    // `=` is not a token character: it is base64 padding or the `key=value` separator, and
    // either way it ends a token.
    list ??= new FindingList(highEntropyDetector, key, value);
    judge(key, value, start, runEnd, list);
    if (list.full) break;
  }
  DIGIT.lastIndex = 0;
  singleLineOf = undefined;
  return list === undefined ? [] : list.findings;
}

/** The `high-entropy` detector. */
export const highEntropyDetector: Detector = {
  name: 'high-entropy',
  minLength: 12, // the shortest whole-value password
  confidence: 'low',
  description: 'a long random-looking string that may be a secret (no known format matched)',
  scan: scanHighEntropy,
};
