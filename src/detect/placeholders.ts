/**
 * Deciding whether a value is a real-looking secret or a stand-in for one.
 *
 * Detectors that trust a name (`secret-named-key`, `config-file-secret`, `url-credentials`) flag a
 * value only when it looks like something a person would actually have to keep secret. Everything
 * here runs on one candidate value at most {@link MAX_CANDIDATE_LENGTH} characters long; regexes
 * are anchored and have no nested quantifiers, so each test is linear in that bound.
 */

/** Candidates longer than this are never placeholders (templates and stand-ins are short). */
export const MAX_CANDIDATE_LENGTH = 1024;

/** A real-looking secret has at least this many characters; shorter ones are not flagged. */
export const MIN_SECRET_LENGTH = 6;

/** Digits-only values shorter than this are ports, counts, timeouts, not secrets. */
const MIN_NUMERIC_SECRET_LENGTH = 10;

/** Template and reference syntaxes: the secret is elsewhere, resolved at deploy or run time. */
const TEMPLATE_PATTERNS: readonly RegExp[] = [
  /^\$\{[^{}]*\}$/, // ${VAR}, ${VAR:-default}: shell, docker compose, Spring
  /^\$\([^()]*\)$/, // $(VAR): Kubernetes env expansion
  /^\$[A-Za-z_][A-Za-z0-9_.:-]*$/, // $VAR; Argo CD's $dex.github.clientSecret, $secret-name:key
  /^\{\{[\s\S]*\}\}$/, // {{ .Values.x }}: Helm, Go templates, Jinja
  /^<[^<>]*>$/, // <password>
  /^#\{[^{}]*\}$/, // #{...}: Spring EL, Ruby, Octopus
  /^@[A-Za-z0-9_.-]+@$/, // @db.password@: Maven resource filtering
  /^%\([A-Za-z0-9_]*\)s$|^%s$/, // printf-style
  /^ENC\([\s\S]*\)$/, // ENC(...): jasypt ciphertext, not plaintext
  /^shroud:v1:[A-Za-z0-9_-]*=*$/, // a Shroud sealed value (base64url, padding tolerated)
  /^(?:vault|arn|ref\+[a-z0-9]+|secretref|awssm|gcpsm|azkv|op):/i, // secret-manager references
];

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
 * True when `value` is a stand-in rather than a secret: empty, a template or reference
 * (`${VAR}`, `$(VAR)`, `{{ .Values.x }}`, `<password>`, `ENC(...)`, `vault:...`), a sealed
 * Shroud value, a mask (`xxx`, `***`) or a conventional placeholder word (`changeme`,
 * `REPLACE_ME`, `your-token-here`).
 */
export function isPlaceholder(value: string): boolean {
  const v = value.trim();
  if (v.length === 0) return true;
  if (v.length > MAX_CANDIDATE_LENGTH) return false;
  if (isMask(v)) return true;
  for (const pattern of TEMPLATE_PATTERNS) if (pattern.test(v)) return true;
  const c = compact(v);
  if (c.length === 0 || PLACEHOLDER_WORDS.has(c)) return true;
  for (const prefix of PLACEHOLDER_PREFIXES) if (c.startsWith(prefix)) return true;
  return c.endsWith('here') && c.length <= 40;
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
  // A JSON object or array on one line is a document; config-file-secret looks inside it.
  if (v.startsWith('{') || v.startsWith('[')) return false;
  return v.split(/\s+/).length < 4;
}
