/**
 * Deciding whether a value is a real-looking secret or a stand-in for one.
 *
 * Detectors that trust a name (`secret-named-key`, `config-file-secret`, `url-credentials`) flag a
 * value only when it looks like something a person would actually have to keep secret. Everything
 * here runs on one candidate value at most {@link MAX_CANDIDATE_LENGTH} characters long; regexes
 * are anchored and have no nested quantifiers, so each test is linear in that bound.
 */

import { isRecord } from '../util/is-record.js';
import { shannonEntropy, wordShare } from './text.js';

/** Candidates longer than this are never placeholders (templates and stand-ins are short). */
export const MAX_CANDIDATE_LENGTH = 1024;

/** A real-looking secret has at least this many characters; shorter ones are not flagged. */
export const MIN_SECRET_LENGTH = 6;

/** Digits-only values shorter than this are ports, counts, timeouts, not secrets. */
const MIN_NUMERIC_SECRET_LENGTH = 10;

/** Template and reference syntaxes: the secret is elsewhere, resolved at deploy or run time. */
const TEMPLATE_PATTERNS: readonly RegExp[] = [
  /^\$\{[^{}]*\}$/, // ${VAR}, ${VAR:-default}: shell, docker compose, Spring
  /^\$\{\{[^{}]*\}\}$/, // ${{ secrets.X }}: GitHub Actions, Azure Pipelines
  /^%[A-Za-z_][A-Za-z0-9_]*%$/, // %VAR%: Windows, Octopus
  /^\[[A-Za-z][A-Za-z _-]*\]$/, // [YOUR_TOKEN]: documentation stand-ins (letters only)
  /^\$\([^()]*\)$/, // $(VAR): Kubernetes env expansion
  /^\$[A-Za-z_][A-Za-z0-9_.:-]*$/, // $VAR; Argo CD's $dex.github.clientSecret, $secret-name:key
  /^\{\{[\s\S]*\}\}$/, // {{ .Values.x }}: Helm, Go templates, Jinja
  /^<[^<>]*>$/, // <password>
  /^#\{[^{}]*\}$/, // #{...}: Spring EL, Ruby, Octopus
  /^@[A-Za-z0-9_.-]+@$/, // @db.password@: Maven resource filtering
  /^%\([A-Za-z0-9_]*\)s$|^%s$/, // printf-style
  /^ENC\([\s\S]*\)$/, // ENC(...): jasypt ciphertext, not plaintext
  /^ENC\[[A-Z0-9_]+,data:[\s\S]*\]$/, // ENC[AES256_GCM,data:...]: SOPS ciphertext
  /^(?:!vault\b|\$ANSIBLE_VAULT;)/, // Ansible Vault ciphertext
  /^shroud:v1:[A-Za-z0-9_-]*=*$/, // a Shroud sealed value (base64url, padding tolerated)
  /^(?:vault|arn|ref\+[a-z0-9]+|secretref|awssm|gcpsm|azkv|op):/i, // secret-manager references
];

/**
 * True when `value` (or `value[start, end)`) is exactly a `${VAR}` reference (TEMPLATE_PATTERNS'
 * first pattern, tested with character checks): the commonest placeholder in config files, so callers that see many
 * settings (config-file-secret) reject it before anything costlier. Such a value is always a
 * placeholder ({@link isPlaceholder}).
 */
export function isVariableReference(value: string, start = 0, end = value.length): boolean {
  const last = end - 1;
  if (
    last - start < 2 ||
    value.charCodeAt(start) !== 36 ||
    value.charCodeAt(start + 1) !== 123 ||
    value.charCodeAt(last) !== 125
  )
    return false;
  for (let i = start + 2; i < last; i++) {
    const c = value.charCodeAt(i);
    if (c === 123 || c === 125) return false;
  }
  return true;
}

/**
 * Words that stand for "a secret goes here" (compared lower-case, with `-`, `_`, `.`, `/` and
 * spaces removed). `changeme` and `changeit` (the Java keystore default) are on the list on
 * purpose: they are the conventional "replace this" markers in charts and examples, and flagging
 * them would block every chart default. A deployment that really runs with such a value has a
 * weak-password problem, which is not what this detector is for.
 */
const PLACEHOLDER_WORDS: ReadonlySet<string> = new Set([
  'changeme',
  'changeit',
  'changethis',
  'replaceme',
  'replace',
  'todo',
  'tbd',
  'fixme',
  'none',
  'null',
  'nil',
  'undefined',
  'empty',
  'blank',
  'redacted',
  'hidden',
  'masked',
  'removed',
  'secret',
  'secrets',
  'password',
  'passwd',
  'pass',
  'pwd',
  'token',
  'apikey',
  'key',
  'credentials',
  'example',
  'sample',
  'dummy',
  'placeholder',
  'default',
  'notset',
  'unset',
  'na',
  'notapplicable',
  'yourpassword',
  'yoursecret',
  'yourtoken',
  'yourapikey',
  'yourkey',
  'mypassword',
  'mysecret',
  'secretvalue',
  'value',
  'string',
  'xxx',
  'foo',
  'foobar',
  'bar',
  'test',
  'testing',
]);

/** Stand-ins that start like an instruction: `your-token-here`, `INSERT_KEY`, `REPLACE_WITH_...`. */
const PLACEHOLDER_PREFIXES: readonly string[] = [
  'your',
  'insert',
  'enter',
  'putyour',
  'replace',
  'changeme',
  'changeit',
  'todo',
  'fixme',
  'tbd',
  'placeholder',
  'redacted',
  'dummy',
  'example',
  'sample',
  'fake',
];

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

/**
 * A password hash, alone or after a user name (htpasswd `user:$apr1$…`): modular crypt formats
 * (`$2b$12$…` bcrypt, `$argon2id$…`, `$6$…` sha512-crypt, `$5$`, `$1$`, `$apr1$`, `$y$` yescrypt,
 * `$scrypt$`, `$pbkdf2-sha256$`), LDAP `{SSHA}…`, Django `pbkdf2_sha256$…`.
 */
export const PASSWORD_HASH =
  /^(?:[^:\s]{1,64}:)?(?:\$(?:2[abxy]?|argon2(?:id|i|d)|[156]|apr1|y|gy|scrypt|pbkdf2(?:-sha\d+)?|sha1|md5)\$|\{(?:SSHA|SHA|SSHA256|SSHA512|CRYPT|PBKDF2[\w-]*)\}|(?:pbkdf2_sha\d+|argon2|bcrypt_sha256|scrypt)\$)/;

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const DIGEST = /^(?:sha256:[0-9a-f]{64}|sha384:[0-9a-f]{96}|sha512:[0-9a-f]{128})$/;

function compact(value: string): string {
  return value.toLowerCase().replace(/[-_./\s]/g, '');
}

/** True when every character is a masking character (`xxxx`, `****`, `----`, `....`, `????`). */
function isMask(value: string): boolean {
  return /^[xX*#.?_-]+$/.test(value) || /^(.)\1*$/.test(value);
}

/**
 * Fragments that mark a value as a stand-in wherever they occur in it (compared lower-case with
 * separators removed): `a-fake-api-key`, `AKIA...EXAMPLE`, `not-a-real-token`, `sk_test_xxxx...`.
 * A random 32-character base62 string contains one of them by chance about once in 20,000.
 */
const PLACEHOLDER_FRAGMENTS: readonly string[] = [
  'example',
  'sample',
  'dummy',
  'fake',
  'placeholder',
  'changeme',
  'changeit',
  'changethis',
  'replaceme',
  'replacewith',
  'redacted',
  'notreal',
  'notasecret',
  'insertyour',
  'goeshere',
  // "your" + what to put there: `your-client-secret`, `YOUR_API_KEY_HERE`, `yourtoken123`
  'yourapi',
  'yourclient',
  'yourkey',
  'yourpass',
  'yoursecret',
  'yourtoken',
  'xxxx',
];

/**
 * Words that made-up values are built from (`supersecret123`, `my-secret-key`, `P@ssw0rd`,
 * `test_api_key_1`, `YourStrong(!)Password`, `admin123`): secret words, filler words, test and
 * environment words, default account names and the usual weak passwords. A value whose letters
 * split entirely into these words (with short or sequential numbers between them) is an example,
 * not a credential; see {@link isMadeUp}.
 */
const MADE_UP_WORDS: ReadonlySet<string> = new Set(
  (
    'secret secrets password passwords passwd pass pwd pw key keys api apikey token tokens test tests testing ' +
    'demo dev devel develop development local localhost sample example dummy fake mock mocked stub placeholder ' +
    'change changeme changeit me my your our the a an is not this that it to with for of here there super very ' +
    'default admin administrator root user username guest foo bar baz qux quux hello world abc xyz value insert ' +
    'put replace fill in real todo tbd none null nil string text temp tmp sandbox app application client access ' +
    'auth jwt session cookie signing sign hmac secure strong random some any letmein qwerty welcome login please ' +
    'set must be changed do use only dont no yes db database postgres mysql redis mongo rabbit rabbitmq kafka ' +
    'alice bob carol dave john jane doe service svc private public shared master new old top s3cr3t ' +
    // Products' documented default credentials and the most common weak examples.
    'minio wordpress nextcloud grafana jenkins keycloak elastic kibana sonar airflow superset ' +
    'keyboard cat love you i'
  ).split(' '),
);
/** The longest word in MADE_UP_WORDS, bounding the segmentation below. */
const MAX_MADE_UP_WORD = 16;
/** Values longer than this are not checked for made-up words (stand-ins are short). */
const MAX_MADE_UP_LENGTH = 64;

/** Digit and symbol stand-ins for letters, applied only between two letters (`p@ssw0rd`). */
const LEET: Readonly<Record<string, string>> = {
  '0': 'o',
  '1': 'i',
  '3': 'e',
  '4': 'a',
  '5': 's',
  '7': 't',
  '@': 'a',
  $: 's',
};

function isLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** True when the lower-case letters `run` split entirely into MADE_UP_WORDS (dynamic programming, O(n·16)). */
function segments(run: string): boolean {
  const ok: boolean[] = [true];
  for (let end = 1; end <= run.length; end++) {
    ok[end] = false;
    for (let start = Math.max(0, end - MAX_MADE_UP_WORD); start < end; start++) {
      if (ok[start] === true && MADE_UP_WORDS.has(run.slice(start, end))) {
        ok[end] = true;
        break;
      }
    }
  }
  return ok[run.length] === true;
}

/**
 * True for a value made only of stand-in words and small numbers: `supersecret123`,
 * `my-secret-key`, `P@ssw0rd`, `Password1`, `test_api_key_1`, `ChangeMe123!`. Leetspeak between
 * letters is read as letters first. At least one word of four or more letters must be present,
 * and numbers longer than four digits must be sequential (`12345678`).
 */
export function isMadeUp(value: string): boolean {
  if (value.length > MAX_MADE_UP_LENGTH) return false;
  // A leet character is read as a letter between letters or other leet characters (`P@$$w0rd`).
  const isLetterish = (i: number): boolean =>
    i >= 0 && i < value.length && (isLetter(value.charCodeAt(i)) || LEET[value[i] as string] !== undefined);
  let text = '';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i] as string;
    const leet = LEET[ch];
    text += leet !== undefined && isLetterish(i - 1) && isLetterish(i + 1) ? leet : ch.toLowerCase();
  }
  let longWord = false;
  for (const run of text.split(/[^a-z0-9]+/)) {
    for (const part of run.split(/(\d+)/)) {
      if (part === '') continue;
      if (/^\d+$/.test(part)) {
        if (part.length > 4 && !isSequential(part)) return false;
        continue;
      }
      // Parts of one or two letters (`sk`, `db`, `v`) are abbreviations; random text has longer runs.
      if (part.length > 2 && !segments(part)) return false;
      if (part.length >= 4) longWord = true;
    }
  }
  return longWord;
}

/** True when the characters step through a sequence: `abcdef`, `987654`, `aaaabbbb`, `qwertyuiop`. */
function isSequential(text: string): boolean {
  let steps = 0;
  for (let i = 1; i < text.length; i++) {
    const a = text.charCodeAt(i - 1);
    const b = text.charCodeAt(i);
    if (Math.abs(a - b) <= 1 || keyboardNeighbours(a, b)) steps++;
  }
  return steps >= (text.length - 1) * 0.75;
}

const KEYBOARD_ROWS: readonly string[] = ['1234567890', 'qwertyuiop', 'asdfghjkl', 'zxcvbnm'];
function keyboardNeighbours(a: number, b: number): boolean {
  for (const row of KEYBOARD_ROWS) {
    const i = row.indexOf(String.fromCharCode(a));
    if (
      i !== -1 &&
      Math.abs(row.indexOf(String.fromCharCode(b)) - i) === 1 &&
      row.indexOf(String.fromCharCode(b)) !== -1
    )
      return true;
  }
  return false;
}

/** True when the text repeats a unit of at most 12 characters (`testtesttest`, `abc123abc123`). */
function isRepetition(text: string): boolean {
  for (let period = 1; period <= Math.min(12, text.length >> 1); period++) {
    let i = period;
    while (i < text.length && text.charCodeAt(i) === text.charCodeAt(i - period)) i++;
    if (i === text.length) return true;
  }
  return false;
}

/**
 * True for values with too little variety to be a secret: one unit repeated, characters that
 * step through a sequence (`abcdefgh`, `12345678`, `qwertyuiop`, `aaaabbbbcccc`), three or fewer
 * distinct characters in eight or more, or a run of eight identical characters inside an
 * otherwise real-looking value (`AKIAZZZZZZZZZZZZZZZZ`).
 */
export function isTrivial(value: string): boolean {
  const c = value.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (c.length === 0) return false;
  if (isRepetition(c) || (c.length >= 6 && isSequential(c))) return true;
  if (c.length >= 8 && new Set(c).size <= 3) return true;
  return /(.)\1{7}/.test(c);
}

/**
 * True when a JWT payload segment (base64url JSON) has only stand-in claims: every string claim
 * (and `sub`, also as a number) is a placeholder (`"sub": "1234567890"`, `"name": "John Doe"`,
 * `"iss": "https://example.com"`). Documentation example tokens look like that; real ones carry
 * ids, e-mail addresses and host names. Payloads that are not JSON objects, or have fewer than
 * two string claims, are not examples.
 */
export function hasExampleClaims(segment: string): boolean {
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    return false;
  }
  if (!isRecord(payload)) return false;
  let claims = 0;
  for (const [name, claim] of Object.entries(payload)) {
    const text =
      typeof claim === 'string' ? claim : name === 'sub' && typeof claim === 'number' ? String(claim) : undefined;
    if (text === undefined) continue;
    claims++;
    if (!isPlaceholder(text) && !isPlaceholder(text.replace(/^https?:\/\//, ''))) return false;
  }
  // One stand-in-looking claim (`"sub": "user-1"`) may be a real, simple id; two or more are an example.
  return claims >= 2;
}

/** A whole value that is a signed JWT (three base64url segments, the first `eyJ`). */
const JWT_SHAPE = /^eyJ[A-Za-z0-9_-]*\.([A-Za-z0-9_-]+)\.[A-Za-z0-9_-]*$/;

/**
 * True when `value` is a stand-in rather than a secret: empty, a template or reference
 * (`${VAR}`, `$(VAR)`, `{{ .Values.x }}`, `<password>`, `ENC(...)`, `vault:...`), a sealed
 * Shroud value, a mask (`xxx`, `***`), a conventional placeholder word (`changeme`,
 * `REPLACE_ME`, `your-token-here`), a value with a placeholder fragment (`a-fake-api-key`,
 * `...EXAMPLE`), a made-up value ({@link isMadeUp}), a trivial one ({@link isTrivial}) or a
 * JWT whose claims are all stand-ins ({@link hasExampleClaims}).
 */
export function isPlaceholder(value: string): boolean {
  const v = value.trim();
  if (v.length === 0) return true;
  if (v.length > MAX_CANDIDATE_LENGTH) return false;
  if (isMask(v)) return true;
  for (const pattern of TEMPLATE_PATTERNS) if (pattern.test(v)) return true;
  // A template expression inside a longer value (`Bearer ${TOKEN}`, `{{ .Values.user }}:{{ .Values.pw }}`).
  if ((v.includes('${') && v.includes('}')) || (v.includes('{{') && v.includes('}}'))) return true;
  const c = compact(v);
  if (c.length === 0 || PLACEHOLDER_WORDS.has(c)) return true;
  for (const prefix of PLACEHOLDER_PREFIXES) if (c.startsWith(prefix)) return true;
  if (c.endsWith('here') && c.length <= 40) return true;
  for (const fragment of PLACEHOLDER_FRAGMENTS) if (c.includes(fragment)) return true;
  if (isMadeUp(v) || isTrivial(v)) return true;
  // A documentation example token (jwt.io's "John Doe"): claims that are all stand-ins.
  const jwt = v.startsWith('eyJ') ? JWT_SHAPE.exec(v) : null;
  return jwt !== null && hasExampleClaims(jwt[1] as string);
}

/** Strips one pair of matching surrounding quotes. */
export function unquote(value: string): string {
  const v = value.trim();
  if (v.length >= 2) {
    const q = v.charCodeAt(0);
    if ((q === 34 || q === 39) && v.charCodeAt(v.length - 1) === q) return v.slice(1, -1);
  }
  return v;
}

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
  if (isPlaceholder(v)) return false;
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
  return v.split(/\s+/).length < 4;
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
