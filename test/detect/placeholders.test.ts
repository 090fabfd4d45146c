import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { isPlaceholder, isRealLookingSecret, unquote } from '../../src/detect/placeholders.js';

test('isPlaceholder recognises stand-ins', async (t) => {
  const cases = [
    { name: 'empty', value: '' },
    { name: 'blank', value: '   ' },
    { name: 'shell variable in braces', value: '${DB_PASSWORD}' },
    { name: 'shell variable with default', value: '${DB_PASSWORD:-dev}' },
    { name: 'kubernetes env expansion', value: '$(DB_PASSWORD)' },
    { name: 'bare shell variable', value: '$DB_PASSWORD' },
    { name: 'argo cd secret reference', value: '$dex.github.clientSecret' },
    { name: 'argo cd named secret reference', value: '$oidc-secret:oidc.clientSecret' },
    { name: 'helm template', value: '{{ .Values.db.password }}' },
    { name: 'angle brackets', value: '<password>' },
    { name: 'spring expression', value: '#{db.password}' },
    { name: 'maven filter', value: '@db.password@' },
    { name: 'printf', value: '%s' },
    { name: 'jasypt ciphertext', value: 'ENC(G6N718UuyPE5bHyWKyuLQSm02auQPUtm)' },
    { name: 'sealed value', value: 'shroud:v1:AAECAwQFBgcICQ' },
    { name: 'sealed value with padding', value: 'shroud:v1:AAECAwQFBgcICQ==' },
    { name: 'vault reference', value: 'vault:secret/data/db#password' },
    { name: 'aws secrets manager arn', value: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:db' },
    { name: 'changeme', value: 'changeme' },
    { name: 'CHANGE_ME', value: 'CHANGE_ME' },
    { name: 'changeit (java keystore default)', value: 'changeit' },
    { name: 'REPLACE_ME', value: 'REPLACE_ME' },
    { name: 'replace with', value: 'REPLACE_WITH_REAL_TOKEN' },
    { name: 'your token here', value: 'your-token-here' },
    { name: 'insert key here', value: 'INSERT_API_KEY_HERE' },
    { name: 'xxx', value: 'xxx' },
    { name: 'many x', value: 'xxxxxxxxxxxxxxxx' },
    { name: 'stars', value: '***' },
    { name: 'mask with dashes', value: 'xxxx-xxxx-xxxx' },
    { name: 'one repeated character', value: '0000000000' },
    { name: 'the word password', value: 'password' },
    { name: 'redacted', value: 'REDACTED' },
    { name: 'todo', value: 'TODO' },
  ];
  for (const c of cases) await t.test(c.name, () => assert.equal(isPlaceholder(c.value), true));
});

test('isPlaceholder leaves real-looking values alone', async (t) => {
  const cases = [
    { name: 'mixed password', value: 'S3cr3tPw!' },
    { name: 'dollar inside', value: 'pa$$w0rd-2024' },
    { name: 'braces inside', value: 'a{b}c9Xz' },
    { name: 'word with digits', value: 'sunshine42' },
  ];
  for (const c of cases) await t.test(c.name, () => assert.equal(isPlaceholder(c.value), false));
});

test('isRealLookingSecret', async (t) => {
  const cases = [
    { name: 'mixed password', value: 'S3cr3tPw!', expected: true },
    { name: 'quoted password', value: '"S3cr3tPw!"', expected: true },
    { name: 'lower-case word password', value: 'sunshine', expected: true },
    { name: 'long number', value: '4929123456781234', expected: true },
    { name: 'passphrase of three words', value: 'correct horse battery', expected: true },
    { name: 'too short', value: 'abc12', expected: false },
    { name: 'boolean', value: 'true', expected: false },
    { name: 'boolean word', value: 'enabled', expected: false },
    { name: 'short number', value: '86400000', expected: false },
    { name: 'placeholder', value: '${TOKEN}', expected: false },
    { name: 'url', value: 'https://auth.example.com/oauth/token', expected: false },
    { name: 'absolute path', value: '/run/secrets/db-password', expected: false },
    { name: 'relative path', value: './secrets/token.txt', expected: false },
    { name: 'sentence', value: 'set this in the vault please', expected: false },
    { name: 'multi-line', value: 'line one\nline two', expected: false },
    { name: 'json document', value: '{"a": "b", "c": "d"}', expected: false },
    { name: 'ordinary setting word', value: 'bearer', expected: false },
    { name: 'over the candidate bound', value: 'a1'.repeat(600), expected: false },
  ];
  for (const c of cases) await t.test(c.name, () => assert.equal(isRealLookingSecret(c.value), c.expected));
});

test('unquote strips one matching pair only', () => {
  assert.equal(unquote('"abc"'), 'abc');
  assert.equal(unquote("'abc'"), 'abc');
  assert.equal(unquote('"abc\''), '"abc\'');
  assert.equal(unquote('  abc  '), 'abc');
});
