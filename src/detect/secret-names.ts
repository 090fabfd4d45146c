/**
 * Recognising key names that say "this holds a secret": `password`, `DB_PASSWORD`,
 * `spring.datasource.password`, `apiKey`, `x-api-key`, `client_secret`, `JWT_SECRET`,
 * `AWS_SECRET_ACCESS_KEY`, `credentials`, and not `password_file`, `secretName`, `tokenUrl`,
 * `access_key_id`, `token_ttl` (names that describe a secret without holding it).
 *
 * Words are compared in their base form: a number written onto a word (`DB_PASSWORD2`,
 * `_pwd1`, `apiKey2`) numbers the setting, and a plural of a secret word (`passwords`,
 * `apiKeys`, `Secrets`, `tokens`) holds several secrets. Only secret words lose a plural `s`, so
 * `keyboards`, `monkeys` or `tokenizers` stay what they are.
 */

/** Key names longer than this are not examined (no real key name is). */
const MAX_KEY_LENGTH = 256;

/**
 * Every secret word below contains one of these fragments; a name without any is rejected
 * with one regex test (a case-insensitive alternation of literals: linear, no backtracking)
 * before it is split into words.
 */
export const SECRET_HINT = /pass|pw|secret|token|key|cred/i;

/** A word that is, or ends with, one of these names a secret (`dbpassword`, `clientsecret`). */
const SECRET_WORD_ENDINGS: readonly string[] = [
  'password',
  'passwd',
  'passphrase',
  'secret',
  'token',
  'apikey',
  'privatekey',
  'accesskey',
  'secretkey',
  'credential',
  'credentials',
  'creds',
];

/** Whole words that name a secret on their own. `pass` only counts as the last word (`DB_PASS`). */
const SECRET_WORDS: ReadonlySet<string> = new Set(['pwd', 'pw', 'cred']);

/**
 * Words that make the secret words after them a number about secrets, not a secret:
 * `max_tokens`, `OPENAI_MAX_NEW_TOKENS`, `num_secrets`, `total_api_keys`. (`count` and `limit`
 * come after the word, `token_limit`, and are metadata words; `rate_limit_token` is a token.)
 * Also `per` after a secret word: `tokens_per_minute` is a rate.
 */
const QUANTITY_WORDS: ReadonlySet<string> = new Set(['max', 'maximum', 'min', 'minimum', 'num', 'number', 'total']);

/** Two adjacent words that name a secret (`api_key`, `privateKey`, `signing-key`). */
const SECRET_PAIRS: ReadonlySet<string> = new Set([
  'api key',
  'private key',
  'access key',
  'secret key',
  'signing key',
  'encryption key',
  'hmac key',
  'master key',
  'auth key',
  'client secret',
]);

/**
 * A last word that makes the name describe a secret rather than hold it: where it is
 * (`file`, `path`, `url`, `ref`, `name`), what it is like (`length`, `ttl`, `type`, `format`) or
 * whether it is used (`enabled`, `required`).
 */
const METADATA_WORDS: ReadonlySet<string> = new Set([
  'file',
  'files',
  'path',
  'paths',
  'dir',
  'directory',
  'url',
  'uri',
  'endpoint',
  'host',
  'name',
  'names',
  'ref',
  'reference',
  'id',
  'ids',
  'type',
  'kind',
  'header',
  'length',
  'len',
  'min',
  'max',
  'ttl',
  'expiry',
  'expires',
  'expiration',
  'expire',
  'timeout',
  'lifetime',
  'duration',
  'age',
  'rotation',
  'interval',
  'period',
  'enabled',
  'enable',
  'disabled',
  'required',
  'policy',
  'format',
  'mode',
  'regex',
  'pattern',
  'prefix',
  'suffix',
  'hint',
  'label',
  'field',
  'count',
  'size',
  'location',
  'mount',
  'store',
  'provider',
  'source',
  'version',
  'algorithm',
  'alg',
  'hash',
  'hashed',
  'digest',
  'salt',
  'env',
  'var',
  'selector',
  'namespace',
  'audience',
  'issuer',
  'scope',
  'scopes',
  'usage',
  'description',
  'help',
  'placeholder',
  'method',
  'strategy',
  'backend',
  'manager',
  'service',
  'class',
  'template',
  'param',
  'parameter',
  'arn',
  'generator',
  'validator',
  'validation',
  'at',
  'time',
  'seconds',
  'ms',
  'minutes',
  'hours',
  'days',
  'limit',
  'retries',
  'attempts',
  'cache',
  'config',
  'settings',
  'key',
  'keys',
  'storage',
  'secretref',
  'lookup',
]);

/**
 * Splits a key name into lower-case words on separators and camelCase boundaries:
 * `spring.datasource.password` -> spring datasource password, `APIKey` -> api key,
 * `--db-password` -> db password.
 */
export function keyWords(key: string): string[] {
  const words: string[] = [];
  let wordStart = -1;
  for (let i = 0; i <= key.length; i++) {
    const c = i < key.length ? key.charCodeAt(i) : 0;
    const isUpper = c >= 65 && c <= 90;
    const isWordChar = isUpper || (c >= 97 && c <= 122) || (c >= 48 && c <= 57);
    let boundary = !isWordChar;
    if (isUpper && wordStart !== -1 && i > wordStart) {
      const prev = key.charCodeAt(i - 1);
      const next = i + 1 < key.length ? key.charCodeAt(i + 1) : 0;
      // "dbPassword" splits before P; "APIKey" splits before K (an upper run ending in a word).
      boundary = !(prev >= 65 && prev <= 90) || (next >= 97 && next <= 122);
    }
    if (boundary && wordStart !== -1) {
      words.push(key.slice(wordStart, i).toLowerCase());
      wordStart = -1;
    }
    if (isWordChar && wordStart === -1) wordStart = i;
  }
  return words;
}

/** True for a metadata word or its plural (`hashes`, `urls`, `policies`). */
function isMetadataWord(word: string): boolean {
  if (METADATA_WORDS.has(word)) return true;
  if (!word.endsWith('s')) return false;
  if (METADATA_WORDS.has(word.slice(0, -1))) return true;
  if (word.endsWith('es') && METADATA_WORDS.has(word.slice(0, -2))) return true;
  return word.endsWith('ies') && METADATA_WORDS.has(`${word.slice(0, -3)}y`);
}

/** True for a word that names a secret, alone or as the second word of a pair (`key`). */
function isSecretWord(word: string): boolean {
  if (SECRET_WORDS.has(word) || word === 'key' || word === 'pass') return true;
  for (const ending of SECRET_WORD_ENDINGS) if (word.endsWith(ending)) return true;
  return false;
}

/**
 * The base form of a lower-case word: without digits at its end (`password2` -> password,
 * `key1` -> key; a word of digits only stays) and, for secret words only, without a plural `s`
 * (`passwords` -> password, `keys` -> key; `monkeys` stays).
 */
export function baseWord(word: string): string {
  const lastChar = word.charCodeAt(word.length - 1);
  if (lastChar !== 115 && (lastChar < 48 || lastChar > 57)) return word; // neither `s` nor a digit: most words
  let end = word.length;
  while (end > 0 && word.charCodeAt(end - 1) >= 48 && word.charCodeAt(end - 1) <= 57) end--;
  const stem = end === 0 ? word : word.slice(0, end);
  if (stem.length > 1 && stem.endsWith('s') && isSecretWord(stem.slice(0, -1))) return stem.slice(0, -1);
  return stem;
}

/** What a key name says of its value: nothing, a secret ({@link isSecretName}), a credential ({@link isKeyLikeName}); never both. */
export const NAME_SAYS_NOTHING = 0;
export const SECRET_NAME = 1;
export const KEY_LIKE_NAME = 2;
export type NameKind = typeof NAME_SAYS_NOTHING | typeof SECRET_NAME | typeof KEY_LIKE_NAME;

/**
 * Key names repeat from one admission review to the next (the same ConfigMaps are applied again
 * and again), so a name's kind is remembered, up to {@link NAME_CACHE_SIZE} names (then the
 * memory starts over): one lookup answers both questions. Names are not secret; values are never
 * cached here.
 */
const NAME_CACHE_SIZE = 4096;
const nameKinds = new Map<string, NameKind>();

/** The kind of a key name (see {@link NAME_SAYS_NOTHING}); names over MAX_KEY_LENGTH say nothing. */
export function nameKind(key: string): NameKind {
  if (key.length === 0 || key.length > MAX_KEY_LENGTH) return NAME_SAYS_NOTHING;
  let kind = nameKinds.get(key);
  if (kind === undefined) {
    kind = judgeSecretName(key) ? SECRET_NAME : judgeKeyLikeName(key) ? KEY_LIKE_NAME : NAME_SAYS_NOTHING;
    if (nameKinds.size >= NAME_CACHE_SIZE) nameKinds.clear();
    nameKinds.set(key, kind);
  }
  return kind;
}

/** True when a key name says its value is a secret (see the module comment for examples). */
export function isSecretName(key: string): boolean {
  return nameKind(key) === SECRET_NAME;
}

function judgeSecretName(key: string): boolean {
  if (!SECRET_HINT.test(key)) return false;
  const words = keyWords(key);
  for (let i = 0; i < words.length; i++) words[i] = baseWord(words[i] as string);
  // A numeric suffix (`PASSWORD_FILE_2`, `token.1`) numbers the setting; the word before it counts.
  while (words.length > 0 && /^\d+$/.test(words[words.length - 1] as string)) words.pop();
  const last = words[words.length - 1];
  if (last === undefined) return false;
  // Public by design: `MAPBOX_PUBLIC_TOKEN`, `publishable_key`, `public-key`.
  for (const w of words) if (w === 'public' || w === 'publishable') return false;
  // `secret_key`, `api_key` and `private_key` end in "key" yet hold the secret.
  if (
    isMetadataWord(last) &&
    !(last === 'key' && words.length >= 2 && SECRET_PAIRS.has(`${words[words.length - 2]} key`))
  ) {
    return false;
  }
  let counted = false;
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as string;
    // After `max`, `num`, `total`...: a count or a limit of secrets, as is a secret word before `per`.
    if (QUANTITY_WORDS.has(w)) counted = true;
    if (counted || words[i + 1] === 'per') continue;
    if (w === 'pass' && i === words.length - 1) return true;
    if (SECRET_WORDS.has(w)) return true;
    for (const ending of SECRET_WORD_ENDINGS) if (w.endsWith(ending)) return true;
    if (i > 0 && SECRET_PAIRS.has(`${words[i - 1]} ${w}`)) return true;
  }
  return false;
}

/** Last words that suggest, without saying it, that a value is a credential (`MAILER_KEY`, `ALGOLIA_AUTH`). */
const KEY_LIKE_LAST_WORDS: ReadonlySet<string> = new Set(['key', 'auth', 'license', 'licence', 'seed']);

/** Words before `key` that make it an ordinary key (`cache_key`, `routing_key`) or a public one (`site_key`). */
const ORDINARY_KEY_WORDS: ReadonlySet<string> = new Set(
  (
    'cache routing partition sort primary foreign idempotency lookup dedup dedupe shard hash object bucket map ' +
    'group label annotation translation i18n message config env feature flag index row column public publishable ' +
    'pub site host primary composite unique natural surrogate storage s3 blob file hot short cut sign'
  ).split(' '),
);

/**
 * True when a key name suggests a credential without a secret word: the last word is `key`,
 * `auth`, `license` or `seed` (`MAILER_KEY`, `SEARCH_ADMIN_KEY`, `algolia.auth`), the word before
 * it does not make it an ordinary or public key (`cache_key`, `routing_key`, `RECAPTCHA_SITE_KEY`,
 * `public_key`), and it is not already a secret name. Such names only warn, and only for values
 * with the entropy of a generated secret.
 */
export function isKeyLikeName(key: string): boolean {
  return nameKind(key) === KEY_LIKE_NAME;
}

/** Judged only for names that are not secret names (nameKind). */
function judgeKeyLikeName(key: string): boolean {
  const words = keyWords(key).map(baseWord);
  while (words.length > 0 && /^\d+$/.test(words[words.length - 1] as string)) words.pop();
  const last = words[words.length - 1];
  if (last === undefined || !KEY_LIKE_LAST_WORDS.has(last)) return false;
  for (const w of words) if (ORDINARY_KEY_WORDS.has(w)) return false;
  return true;
}
