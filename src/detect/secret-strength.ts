/**
 * How real and how strong a value under a secret-sounding name looks: real-looking (not a
 * placeholder, an ordinary setting word, a number, an identifier, an address, a hash or a public
 * key: {@link isRealLookingSecret}), with the entropy of a generated secret
 * ({@link isStrongSecret}), and the tier that makes of it ({@link namedValueTier}).
 */
import { isPlaceholder, MAX_CANDIDATE_LENGTH, MIN_SECRET_LENGTH, PASSWORD_HASH, unquote } from './placeholders.js';
import { shannonEntropy, wordShare } from './text.js';

/** Digits-only values shorter than this are ports, counts, timeouts, not secrets. */
const MIN_NUMERIC_SECRET_LENGTH = 10;

/** Ordinary setting values that may sit under a secret-sounding key (`token_auth: bearer`). */
const ORDINARY_WORDS: ReadonlySet<string> = new Set([
  'true',
  'false',
  'yes',
  'no',
  'on',
  'off',
  'enabled',
  'disabled',
  'enable',
  'disable',
  'optional',
  'required',
  'always',
  'never',
  'auto',
  'automatic',
  'manual',
  'internal',
  'external',
  'basic',
  'bearer',
  'oauth',
  'oauth2',
  'jwt',
  'hmac',
  'sha256',
  'rs256',
  'hs256',
  'file',
  'env',
  'vault',
  'kubernetes',
  'secret',
  'plain',
  'plaintext',
  'none',
  'random',
  'generated',
  'header',
  'cookie',
]);

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const DIGEST = /^(?:sha256:[0-9a-f]{64}|sha384:[0-9a-f]{96}|sha512:[0-9a-f]{128})$/;

/**
 * True when a value found under a secret-sounding name looks like a real secret: at least
 * {@link MIN_SECRET_LENGTH} characters, one line, not a placeholder, not a boolean or ordinary
 * setting word, not a short number, not a URL without credentials, not a file path, not a JSON
 * document, not a sentence of four or more words. Quotes around the value are ignored.
 */
export function isRealLookingSecret(value: string): boolean {
  const v = unquote(value);
  if (v.length < MIN_SECRET_LENGTH || v.length > MAX_CANDIDATE_LENGTH) return false;
  // Multi-line values are files; the private-key and config-file detectors look inside them.
  if (v.indexOf('\n') !== -1) return false;
  if (ORDINARY_WORDS.has(v.toLowerCase())) return false;
  if (/^\d+$/.test(v) && v.length < MIN_NUMERIC_SECRET_LENGTH) return false;
  // Identifiers, not credentials (the product contract: UUIDs and digests are never flagged).
  // Known miss: services whose tokens are bare UUIDs (Consul ACL tokens).
  if (UUID.test(v) || DIGEST.test(v)) return false;
  // A URL is an address; credentials inside one are the url-credentials detector's business.
  if (/^[A-Za-z][A-Za-z0-9+.-]{0,31}:\/\//.test(v)) return false;
  if (/^(?:\/|\.\.?\/|~\/)\S*$/.test(v)) return false;
  // Password hashes (crypt formats, htpasswd lines, LDAP, Django): hashes are not secrets.
  if (PASSWORD_HASH.test(v)) return false;
  // Public keys, not secrets: OpenSSH authorized_keys lines and age recipients.
  if (/^(?:ssh-(?:rsa|dss|ed25519)|ecdsa-sha2-|sk-ssh-|sk-ecdsa-)\S* /.test(v) || /^age1[a-z0-9]{50,}$/.test(v))
    return false;
  // A JSON object or array on one line is a document; config-file-secret looks inside it.
  if (v.startsWith('{') || v.startsWith('[')) return false;
  if (v.split(/\s+/).length >= 4) return false;
  // Last: the placeholder judgement reads the value several times over, and every test above is
  // a single pass that rules out far more values in config files (paths, URLs, numbers).
  return !isPlaceholder(v);
}

/** Generated secrets are at least this long; shorter real-looking values are passwords people chose. */
const MIN_STRONG_LENGTH = 10;
/** One-case generated keys are long; shorter one-case values are words with digits (`sunshine42`). */
const MIN_STRONG_ONE_CASE = 16;
/** Entropy cap for {@link isStrongSecret}: random hex reaches ~3.9 bits per character at 32+ characters. */
const STRONG_ENTROPY_CAP = 3.5;

/** How many of lower case, upper case, digits and other characters `value` has (0 to 4). */
export function charClasses(value: string): number {
  let lower = 0;
  let upper = 0;
  let digit = 0;
  let other = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 97 && c <= 122) lower = 1;
    else if (c >= 65 && c <= 90) upper = 1;
    else if (c >= 48 && c <= 57) digit = 1;
    else other = 1;
  }
  return lower + upper + digit + other;
}

/**
 * True when a value has the entropy of a generated secret rather than of something a person
 * typed: at least {@link MIN_STRONG_LENGTH} characters, two or more character classes, less than
 * half of it in word-like runs (see wordShare), and a Shannon entropy near the maximum for its
 * length (log2(length) - 0.9 bits per character, capped at 3.5 so that random hex qualifies).
 * `openssl rand -hex 16`, `pwgen -s 16`, a base64 key qualify; `Falcon!river42` does not.
 */
export function isStrongSecret(value: string): boolean {
  const v = unquote(value);
  if (v.length < MIN_STRONG_LENGTH || v.length > MAX_CANDIDATE_LENGTH) return false;
  if (charClasses(v) < 2) return false;
  if (isOneCase(v)) {
    // Word runs say nothing about one-case text; separators and the share of digits do.
    if (/[-_.]/.test(v) || v.length < MIN_STRONG_ONE_CASE || isWordy(v)) return false;
    const digits = v.replace(/\D/g, '').length;
    // Random base36 has ~28% digits, random hex ~62%; words with a number have few.
    if (digits < v.length * 0.1 || digits > v.length * 0.8) return false;
  } else if (wordShare(v) >= 0.5) return false;
  return shannonEntropy(v) >= Math.min(STRONG_ENTROPY_CAP, Math.log2(v.length) - 0.9);
}

/** The thirty most frequent letter pairs of English text. */
const COMMON_BIGRAMS: ReadonlySet<string> = new Set(
  'th he in er an re on at en nd ti es or te of ed is it al ar st to nt ng se ha as ou io le'.split(' '),
);

/**
 * True when a one-case value reads like words (`32characterslongpassphrase12345`): of its pairs
 * of adjacent letters (eight or more), a fifth or more are among English's thirty most frequent
 * pairs. Random letters hit that list 30 times in 676 (4%); English text about half the time.
 */
export function isWordy(value: string): boolean {
  let pairs = 0;
  let common = 0;
  for (let i = 1; i < value.length; i++) {
    const a = value.charCodeAt(i - 1) | 32;
    const b = value.charCodeAt(i) | 32;
    if (a < 97 || a > 122 || b < 97 || b > 122) continue;
    pairs++;
    if (COMMON_BIGRAMS.has(String.fromCharCode(a, b))) common++;
  }
  return pairs >= 8 && common >= pairs * 0.2;
}

/** True when `value` has letters of one case only (and something else: digits or symbols). */
function isOneCase(value: string): boolean {
  return /[a-z]/.test(value) !== /[A-Z]/.test(value);
}

/**
 * True for identifiers and phrases made of three or more words and no digits
 * (`secretKeyRef:orders-db:password`, `Use a long passphrase`): words, not a password.
 */
function isWordsOnly(value: string): boolean {
  if (/\d/.test(value)) return false;
  const words = value.match(/[A-Z]?[a-z]{3,}|[A-Z]{3,}/g);
  return words !== null && words.length >= 3 && wordShare(value) >= 0.6;
}

/**
 * The tier of a value found under a secret-named key or setting: `high` when it looks real and
 * strong ({@link isRealLookingSecret} and {@link isStrongSecret}), `low` when it looks real but
 * could be a password a person chose (`sunshine42`), `undefined` when it is not a secret at all.
 */
export function namedValueTier(value: string): 'high' | 'low' | undefined {
  if (!isRealLookingSecret(value)) return undefined;
  if (isStrongSecret(value)) return 'high';
  return isWordsOnly(unquote(value)) ? undefined : 'low';
}
