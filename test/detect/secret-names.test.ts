import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { baseWord, isKeyLikeName, isSecretName, keyWords } from '../../src/detect/secret-names.js';

test('keyWords splits separators and camelCase', async (t) => {
  const cases = [
    { name: 'snake', key: 'DB_PASSWORD', expected: ['db', 'password'] },
    { name: 'dotted', key: 'spring.datasource.password', expected: ['spring', 'datasource', 'password'] },
    { name: 'camel', key: 'dbPassword', expected: ['db', 'password'] },
    { name: 'upper run then word', key: 'APIKey', expected: ['api', 'key'] },
    { name: 'flag', key: '--db-password', expected: ['db', 'password'] },
    { name: 'digits stay in words', key: 'oauth2Token', expected: ['oauth2', 'token'] },
    { name: 'nothing', key: '--', expected: [] },
  ];
  for (const c of cases) await t.test(c.name, () => assert.deepEqual(keyWords(c.key), c.expected));
});

test('isSecretName: names that hold secrets', async (t) => {
  const keys = [
    'password',
    'PASSWORD',
    'DB_PASSWORD',
    'spring.datasource.password',
    'dbPassword',
    'passwd',
    'pwd',
    'DB_PWD',
    'SMTP_PASS',
    'secret',
    'client_secret',
    'clientSecret',
    'JWT_SECRET',
    'JWTSecret',
    'token',
    'GITHUB_TOKEN',
    'authToken',
    'access-token',
    'api_key',
    'apiKey',
    'APIKey',
    'x-api-key',
    'apikey',
    'private_key',
    'privateKey',
    'credential',
    'credentials',
    'AWS_SECRET_ACCESS_KEY',
    'access_key',
    'secret_key_base',
    'signing-key',
    'encryption_key',
    'passphrase',
    'password.txt',
    'mysqlRootPassword',
    'redis-creds',
    'DB_PASSWORD_2',
    'token.1',
  ];
  for (const key of keys) await t.test(key, () => assert.equal(isSecretName(key), true));
});

test('isSecretName: names that describe a secret or are unrelated', async (t) => {
  const keys = [
    '',
    'username',
    'LOG_LEVEL',
    'key',
    'cache_key',
    'password_file',
    'MAPBOX_PUBLIC_TOKEN',
    'publishable_key',
    'PASSWORD_FILE',
    'passwordPath',
    'secretName',
    'secretRef',
    'secret_key_ref',
    'tokenUrl',
    'token_endpoint',
    'TOKEN_TTL',
    'AWS_ACCESS_KEY_ID',
    'api_key_header',
    'password_min_length',
    'passwordless',
    'bypass',
    'pass_through',
    'max_tokens',
    'tokenizer',
    'secretary',
    'secret_store',
    'credentials_file',
    'AWS_SHARED_CREDENTIALS_FILE',
    'token_expiry',
    'password_hash',
    'ssh_key',
    'x'.repeat(300),
    'PASSWORD_FILE_6',
    'secretName.2',
    '12345',
  ];
  for (const key of keys) await t.test(key || '(empty)', () => assert.equal(isSecretName(key), false));
});

test('baseWord drops a number written onto a word, and the plural s of secret words only', async (t) => {
  const cases = [
    { word: 'password2', expected: 'password' },
    { word: 'pwd1', expected: 'pwd' },
    { word: 'key12', expected: 'key' },
    { word: 'passwords', expected: 'password' },
    { word: 'secrets', expected: 'secret' },
    { word: 'keys', expected: 'key' },
    { word: 'passwords2', expected: 'password' },
    { word: 'dbpasswords', expected: 'dbpassword' },
    { word: 'monkeys', expected: 'monkeys' },
    { word: 'tokenizers', expected: 'tokenizers' },
    { word: 'files', expected: 'files' },
    { word: '2024', expected: '2024' },
    { word: 's', expected: 's' },
  ];
  for (const c of cases) await t.test(c.word, () => assert.equal(baseWord(c.word), c.expected));
});

test('isSecretName: numbered and plural forms of secret names hold secrets too', async (t) => {
  const cases = [
    { name: 'a number after the word', key: 'DB_PASSWORD2' },
    { name: 'a number after a short word', key: 'token2' },
    { name: 'a number after secret', key: 'secret1' },
    { name: 'an abbreviation with a number', key: '_pwd1' },
    { name: 'a long number', key: 'password123' },
    { name: 'a number after a pair', key: 'apiKey2' },
    { name: 'a number after pass', key: 'SMTP_PASS1' },
    { name: 'plural', key: 'passwords' },
    { name: 'plural, capitalised', key: 'Secrets' },
    { name: 'plural, upper case', key: 'GITHUB_TOKENS' },
    { name: 'plural camelCase pair', key: 'apiKeys' },
    { name: 'plural snake_case pair', key: 'API_KEYS' },
    { name: 'plural kebab-case pair', key: 'x-api-keys' },
    { name: 'plural private keys', key: 'privateKeys' },
    { name: 'plural client secrets', key: 'clientSecrets' },
    { name: 'plural access tokens', key: 'accessTokens' },
    { name: 'plural passphrases', key: 'passphrases' },
    { name: 'plural with a number', key: 'passwords2' },
    { name: 'credential singular abbreviation', key: 'db_cred' },
    { name: 'creds with a number', key: 'creds2' },
    { name: 'a version word after the secret', key: 'JWT_SECRET_V2' },
    { name: 'a limit word before the secret is part of a name', key: 'rate_limit_token' },
  ];
  for (const c of cases) await t.test(`${c.name}: ${c.key}`, () => assert.equal(isSecretName(c.key), true));
});

test('isSecretName: words that only look inflected, counts and descriptions stay neutral', async (t) => {
  const cases = [
    { name: 'a word that starts like token', key: 'tokenizer' },
    { name: 'its plural', key: 'tokenizers' },
    { name: 'a word that starts like secret', key: 'secretary' },
    { name: 'its plural', key: 'secretaries' },
    // A login method without passwords: the value is a setting, and -less negates the word.
    { name: 'passwordless, a feature', key: 'passwordless' },
    { name: 'passwordless flag', key: 'passwordless_login_enabled' },
    { name: 'a word that starts like key', key: 'keyboard' },
    { name: 'its plural', key: 'keyboards' },
    { name: 'a word that ends like key', key: 'monkey' },
    { name: 'its plural, not a plural of key', key: 'monkeys' },
    { name: 'a word ending in key with a number', key: 'turkey2' },
    { name: 'a count of tokens', key: 'max_tokens' },
    { name: 'a count of new tokens', key: 'OPENAI_MAX_NEW_TOKENS' },
    { name: 'a number of secrets', key: 'num_secrets' },
    { name: 'a total of api keys', key: 'total_api_keys' },
    { name: 'a rate', key: 'tokens_per_minute' },
    { name: 'a numbered file setting', key: 'password_file2' },
    { name: 'plural files', key: 'PASSWORD_FILES' },
    { name: 'a numbered name setting', key: 'secretName2' },
    { name: 'a numbered url', key: 'tokenUrl2' },
    { name: 'plural hashes', key: 'password_hashes' },
    { name: 'plural policies', key: 'password_policies' },
    { name: 'keys alone', key: 'keys' },
    { name: 'cache keys', key: 'cache_keys' },
    { name: 'ssh keys (public or a path, as ssh_key)', key: 'ssh_keys' },
    { name: 'passport', key: 'passport' },
    { name: 'bypass with a number', key: 'bypass1' },
    { name: 'credits', key: 'credits' },
  ];
  for (const c of cases) await t.test(`${c.name}: ${c.key}`, () => assert.equal(isSecretName(c.key), false));
});

test('isKeyLikeName: names that only suggest a credential', async (t) => {
  const cases = [
    { key: 'MAILER_KEY', expected: true },
    { key: 'SEARCH_ADMIN_KEY', expected: true },
    { key: 'algolia.auth', expected: true },
    { key: 'LICENSE_KEY', expected: true },
    { key: 'cache_key', expected: false },
    { key: 'routing-key', expected: false },
    { key: 'RECAPTCHA_SITE_KEY', expected: false },
    { key: 'public_key', expected: false },
    { key: 'API_KEY', expected: false }, // a secret name, not merely key-like
    { key: 'KEY_ID', expected: false },
  ];
  for (const c of cases) await t.test(c.key, () => assert.equal(isKeyLikeName(c.key), c.expected));
});
