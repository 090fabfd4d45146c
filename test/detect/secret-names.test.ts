import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { isSecretName, keyWords } from '../../src/detect/secret-names.js';

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
