/**
 * What explains a random-looking token (high-entropy's explanations, entropy.ts lists them): its
 * characters alone (isExplained: hex, too few character classes, word-like, ULIDs, public and
 * sealed prefixes) and its context (a hash label before it, a password hash or SOPS value it
 * belongs to, a URL it sits in, the name it is the value of, base64 of readable text).
 */
import { PASSWORD_HASH } from './placeholders.js';
import { isWordy } from './secret-strength.js';
import { isSecretName, keyWords } from './secret-names.js';
import { wordShare } from './text.js';

/** Tokens with at least this share of word-like runs are identifiers (see entropy.ts's module comment). */
const MAX_WORD_SHARE = 0.5;

/** SSH public key blobs and age recipients: public keys. */
const SSH_PUBLIC_KEY_BLOBS: readonly string[] = [
  'AAAAB3NzaC1',
  'AAAAC3NzaC1',
  'AAAAE2VjZHNh',
  'AAAAGnNr',
  'AAAAInNr',
  'age1',
];
/** Subresource Integrity, npm, Nix and similar `algorithm-base64` hashes. */
export const HASH_PREFIXES: readonly string[] = [
  'sha1-',
  'sha256-',
  'sha384-',
  'sha512-',
  'md5-',
  'sha224-',
  'blake2b-',
  'nonce-', // a CSP nonce: public in every page it protects
];
/** Labels right before a hash: go.sum and Terraform `h1:`/`zh:`, `sha256:`, ssh fingerprints, jasypt `ENC(`. */
export const HASH_LABELS: readonly string[] = [
  'h1:',
  'zh:',
  'sha1:',
  'sha256:',
  'sha384:',
  'sha512:',
  'md5:',
  'enc(',
  'base64,', // the payload of a data: URI (an image, a font)
  '{ssha}', // LDAP password hashes
  '{sha}',
  '{ssha256}',
  '{ssha512}',
];
/** Shortest one-case token judged (see isExplained). */
const MIN_ONE_CASE = 24;
const SEALED_PREFIX = 'shroud:v1:';

/**
 * True when the characters alone explain the token: hex, fewer than three character classes
 * (except long one-case keys, below), word-like, or a known public or sealed prefix.
 *
 * One-case keys (`[a-z0-9]` or `[A-Z0-9]`, many services issue them) are judged when they are
 * at least {@link MIN_ONE_CASE} characters, have no `-` or `_` (which join the words of names
 * like `k8s-app-v2-canary`) and between 10% and 60% digits, as random draws from those alphabets do.
 */
export function isExplained(value: string, start: number, end: number): boolean {
  let hexish = true;
  let upper = false;
  let lower = false;
  let digits = 0;
  let joiners = false;
  for (let i = start; i < end; i++) {
    const c = value.charCodeAt(i);
    const isDigit = c >= 48 && c <= 57;
    const isUpper = c >= 65 && c <= 90;
    const isLower = c >= 97 && c <= 122;
    if (isDigit) digits++;
    upper ||= isUpper;
    lower ||= isLower;
    joiners ||= c === 45 || c === 95;
    if (!(isDigit || c === 45 || (c >= 65 && c <= 70) || (c >= 97 && c <= 102))) hexish = false;
  }
  if (hexish || digits === 0 || isUlid(value, start, end)) return true;
  if (!(upper && lower)) {
    const length = end - start;
    if (!(upper || lower) || joiners || length < MIN_ONE_CASE) return true;
    if (digits < length * 0.1 || digits > length * 0.6 || isWordy(value.slice(start, end))) return true;
  } else if (wordShare(value, start, end) >= MAX_WORD_SHARE) return true;
  if (start >= SEALED_PREFIX.length && value.startsWith(SEALED_PREFIX, start - SEALED_PREFIX.length)) return true;
  for (const prefix of HASH_PREFIXES) if (startsWithIgnoreCase(value, prefix, start)) return true;
  for (const prefix of SSH_PUBLIC_KEY_BLOBS) if (value.startsWith(prefix, start)) return true;
  return false;
}

/**
 * ULIDs: 26 characters of Crockford base32 whose first ten encode a millisecond timestamp, so
 * they start with 0 to 7 (`01…` until the year 2109). Identifiers, not keys.
 */
function isUlid(value: string, start: number, end: number): boolean {
  if (end - start !== 26) return false;
  const first = value.charCodeAt(start);
  if (first < 48 || first > 55) return false;
  for (let i = start; i < end; i++) if (CROCKFORD.indexOf(value[i] as string) === -1) return false;
  return true;
}
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export function startsWithIgnoreCase(value: string, prefix: string, at: number): boolean {
  if (at + prefix.length > value.length) return false;
  for (let i = 0; i < prefix.length; i++) {
    let c = value.charCodeAt(at + i);
    if (c >= 65 && c <= 90) c += 32;
    if (c !== prefix.charCodeAt(i)) return false;
  }
  return true;
}

/** True when the text right before `start` (same line) ends with one of `labels`, ignoring case. */
export function precededBy(value: string, start: number, labels: readonly string[]): boolean {
  for (const label of labels)
    if (start >= label.length && startsWithIgnoreCase(value, label, start - label.length)) return true;
  return false;
}

/** The setting name right before a token (`name=`, `name: `, `"name": "`), or undefined. */
export function nameBefore(value: string, start: number): string | undefined {
  let i = start;
  const stop = Math.max(0, start - 8);
  while (i > stop && SEPARATOR_CHARS.includes(value[i - 1] as string)) i--;
  if (i === start || !/[:=]/.test(value.slice(i, start))) return undefined;
  const end = i;
  const nameStop = Math.max(0, end - 64);
  while (i > nameStop && /[A-Za-z0-9_.-]/.test(value[i - 1] as string)) i--;
  return i === end ? undefined : value.slice(i, end);
}
const SEPARATOR_CHARS = ' \t"\'\\:=';

/** True when the token sits inside a URL: `://` earlier in the same whitespace-free run. */
export function insideUrl(value: string, start: number): boolean {
  const stop = Math.max(0, start - 2048);
  for (let i = start - 1; i >= stop; i--) {
    const c = value.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13 || c === 34 || c === 39) return false;
    if (c === 47 && i >= 2 && value.charCodeAt(i - 1) === 47 && value.charCodeAt(i - 2) === 58) return true;
  }
  return false;
}

/**
 * True when the name the token is the value of says it is an identifier, a hash or public
 * (`request_id`, `checksum`, `integrity`, `etag`, `commit`, a JWK's `x`, `y`, `n`, `e`,
 * `site_key`). The ConfigMap key names a token that starts the value.
 */
export function namedAsNotSecret(name: string): boolean {
  const words = keyWords(name);
  const last = words[words.length - 1];
  if (last === undefined) return false;
  if (NOT_SECRET_LAST_WORDS.has(last) || (words.length === 1 && JWK_PUBLIC_MEMBERS.has(last))) return true;
  for (const w of words) if (PUBLIC_WORDS.has(w)) return true;
  return false;
}
const NOT_SECRET_LAST_WORDS: ReadonlySet<string> = new Set(
  (
    'id ids uuid guid ulid hash hashes digest checksum checksums sum integrity sha sha1 sha256 sha512 md5 etag ' +
    'fingerprint commit revision rev version tag ref url uri link href src image kid nonce state'
  ).split(' '),
);
const JWK_PUBLIC_MEMBERS: ReadonlySet<string> = new Set(['x', 'y', 'n', 'e', 'x5t', 'x5c']);
const PUBLIC_WORDS: ReadonlySet<string> = new Set(['public', 'publishable', 'site', 'pub']);

/** Query parameters and settings inside URLs whose values are credentials (`?sig=`, `&access_token=`). */
export function isSecretParameter(name: string): boolean {
  return isSecretName(name) || URL_SECRET_PARAMETERS.has(name.toLowerCase());
}
const URL_SECRET_PARAMETERS: ReadonlySet<string> = new Set([
  'sig',
  'signature',
  'key',
  'code',
  'auth',
  'x-amz-signature',
]);

/**
 * True when the token is base64 of readable text (prose, a config snippet, JSON): valid UTF-8
 * without control characters other than tab and newline, with spaces or newlines in it.
 */
export function isBase64OfText(value: string, start: number, end: number): boolean {
  let bytes: Buffer;
  try {
    bytes = Buffer.from(value.slice(start, end), 'base64');
  } catch {
    return false;
  }
  if (bytes.length < 12) return false;
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    return false;
  }
  // PEM text (a certificate or public key; private keys are the private-key detector's).
  if (text.startsWith('-----BEGIN ')) return true;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters mean binary data
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\ufffd]/.test(text)) return false;
  const spaces = text.match(/[\s{}":,]/g)?.length ?? 0;
  return spaces >= text.length / 16;
}
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * True when the token is part of a password hash (`$2b$12$…`, `user:$apr1$…`, `{SSHA}…`): the
 * text from the start of the word it belongs to (at most 128 characters back) is one.
 */
export function inPasswordHash(value: string, start: number, end: number): boolean {
  let from = start;
  const stop = Math.max(0, start - 128);
  while (from > stop && !WORD_BREAKS.includes(value[from - 1] as string)) from--;
  return PASSWORD_HASH.test(value.slice(from, end));
}
const WORD_BREAKS = ' \t\r\n"\'=,';

/** True when the token sits inside a SOPS `ENC[AES256_GCM,data:…,iv:…,tag:…]` value on its line. */
export function inSopsValue(value: string, start: number): boolean {
  const stop = Math.max(0, start - 4096);
  for (let i = start - 1; i >= stop; i--) {
    const c = value.charCodeAt(i);
    if (c === 10 || c === 93) return false; // a newline or a `]` closes first
    if (c === 91 && value.startsWith('ENC', i - 3)) return true;
  }
  return false;
}
