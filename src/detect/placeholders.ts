/**
 * Deciding whether a value is a stand-in for a secret rather than a secret: a template or
 * reference, a mask, a placeholder word or fragment, a made-up or trivial value (made-up.ts), a
 * documentation example JWT. How real and how strong a value looks is secret-strength.ts's.
 *
 * Detectors that trust a name (`secret-named-key`, `config-file-secret`, `url-credentials`) flag a
 * value only when it looks like something a person would actually have to keep secret. Everything
 * here runs on one candidate value at most {@link MAX_CANDIDATE_LENGTH} characters long; regexes
 * are anchored and have no nested quantifiers, so each test is linear in that bound.
 */

import { isRecord } from '../util/is-record.js';
import { isMadeUp, isTrivial } from './made-up.js';

/** Candidates longer than this are never placeholders (templates and stand-ins are short). */
export const MAX_CANDIDATE_LENGTH = 1024;

/** A real-looking secret has at least this many characters; shorter ones are not flagged. */
export const MIN_SECRET_LENGTH = 6;

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

/**
 * A password hash, alone or after a user name (htpasswd `user:$apr1$…`): modular crypt formats
 * (`$2b$12$…` bcrypt, `$argon2id$…`, `$6$…` sha512-crypt, `$5$`, `$1$`, `$apr1$`, `$y$` yescrypt,
 * `$scrypt$`, `$pbkdf2-sha256$`), LDAP `{SSHA}…`, Django `pbkdf2_sha256$…`.
 */
export const PASSWORD_HASH =
  /^(?:[^:\s]{1,64}:)?(?:\$(?:2[abxy]?|argon2(?:id|i|d)|[156]|apr1|y|gy|scrypt|pbkdf2(?:-sha\d+)?|sha1|md5)\$|\{(?:SSHA|SHA|SSHA256|SSHA512|CRYPT|PBKDF2[\w-]*)\}|(?:pbkdf2_sha\d+|argon2|bcrypt_sha256|scrypt)\$)/;

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
