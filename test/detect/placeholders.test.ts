import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import { isPlaceholder, isVariableReference, unquote } from '../../src/detect/placeholders.js';
import { namedSettingTier } from '../../src/detect/secret-named-key.js';
import { isRealLookingSecret, isStrongSecret, namedValueTier } from '../../src/detect/secret-strength.js';
import { join } from './fixtures.js';

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
    { name: 'github actions expression', value: '${{ secrets.API_TOKEN }}' },
    { name: 'windows variable', value: '%DB_PASSWORD%' },
    { name: 'bracketed stand-in', value: '[YOUR_TOKEN]' },
    { name: 'template inside a longer value', value: 'Bearer ${TOKEN}' },
    { name: 'fake inside', value: 'a-fake-api-key' },
    { name: 'example inside (documentation keys)', value: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
    { name: 'not real', value: 'not-a-real-token' },
    { name: 'x run inside a token shape', value: 'sk_test_xxxxxxxxxxxxxxxxxxxxxxxx' },
    { name: 'made-up words', value: 'supersecretpassword123' },
    { name: 'made-up words with separators', value: 'my-secret-key' },
    { name: 'made-up words camel case', value: 'YourStrong(!)Password' },
    { name: 'leetspeak', value: 'P@ssw0rd' },
    { name: 'leetspeak with runs of symbols', value: 'P@$$w0rd!' },
    { name: 'leetspeak with digits', value: 'pa55word' },
    { name: 'word and short number', value: 'admin123' },
    { name: 'abbreviation, test word, sequence', value: 'sk_test_123' },
    { name: 'test word and number', value: 'test_api_key_1' },
    { name: 'repeated unit', value: 'abc123abc123abc123' },
    { name: 'repeated word', value: 'testtesttest' },
    { name: 'alphabet run', value: 'abcdefghijklmnop' },
    { name: 'digit run', value: '12345678901234567890' },
    { name: 'hex run', value: '0123456789abcdef' },
    { name: 'stepping letters', value: 'aaaabbbbccccdddd' },
    { name: 'keyboard row', value: 'qwertyuiopasdfgh' },
    { name: 'long run of one character', value: 'AKIAZZZZZZZZZZZZZZZZ' },
    { name: 'SOPS ciphertext', value: 'ENC[AES256_GCM,data:Zm9vYmFy,iv:aXY=,tag:dGFn,type:str]' },
    { name: 'Ansible Vault tag', value: '!vault |' },
  ];
  for (const c of cases) await t.test(c.name, () => assert.equal(isPlaceholder(c.value), true));
});

test('isPlaceholder leaves real-looking values alone', async (t) => {
  const cases = [
    { name: 'mixed password', value: 'Kq7vR2x9Lm!' },
    { name: 'dollar inside', value: 'x$$k7-2024Qv' },
    { name: 'braces inside', value: 'a{b}c9Xz' },
    { name: 'word with digits', value: 'sunshine42' },
    { name: 'random base62', value: 'q8Vf2LkP9sXw3RtZ' },
    { name: 'random hex', value: '9f3c1a7e5b2d8046c1e9a3f7' },
    { name: 'random lower-case with digits', value: 'k3j9x2m7q5w8z1v4' },
    { name: 'vocabulary word inside random text', value: 'Xq9testVb7Lp2Rw' },
  ];
  for (const c of cases) await t.test(c.name, () => assert.equal(isPlaceholder(c.value), false));
});

test('isRealLookingSecret', async (t) => {
  const cases = [
    { name: 'mixed password', value: 'Kq7vR2x9Lm!', expected: true },
    { name: 'quoted password', value: '"Kq7vR2x9Lm!"', expected: true },
    { name: 'made-up leetspeak password', value: 'S3cr3tPw!', expected: false },
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

test('isStrongSecret tells generated secrets from chosen passwords', async (t) => {
  const cases = [
    { name: 'pwgen -s', value: 'Kq7vR2x9Lm!', expected: true },
    { name: 'hex 32', value: '9f3c1a7e5b2d8046c1e9a3f7d2b8e4a6', expected: true },
    { name: 'base64 32 bytes', value: 'q3Jx9Vb+Lk2PzR8wYt5NmC7dHs1GfA4eUo6iWjXkTlQ=', expected: true },
    { name: 'one-case base36', value: 'k3j9x2m7q5w8z1v4n6b0', expected: true },
    { name: 'words and digits', value: 'Falcon!river42', expected: false },
    { name: 'too short', value: 'Kq7vR2x9', expected: false },
    { name: 'one class', value: 'qwhgkdlsurnvbxma', expected: false },
    { name: 'one-case with separators (a name)', value: 'orders-api-7d9f8c6b5', expected: false },
    { name: 'one-case words and digits', value: '32characterslongpassphrase12345', expected: false },
  ];
  for (const c of cases) await t.test(c.name, () => assert.equal(isStrongSecret(c.value), c.expected));
});

test('namedValueTier: high for generated, low for chosen, none for stand-ins and phrases', async (t) => {
  const cases = [
    { name: 'generated', value: 'Kq7vR2x9Lm!', expected: 'high' },
    { name: 'chosen password', value: 'sunshine42', expected: 'low' },
    { name: 'placeholder', value: 'changeme', expected: undefined },
    { name: 'made-up', value: 'supersecret123', expected: undefined },
    { name: 'identifier of words', value: 'secretKeyRef:orders-db:password', expected: undefined },
    { name: 'public ssh key', value: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIq ops@host', expected: undefined },
    {
      name: 'bcrypt hash',
      value: join('$2b$12$', 'KIXQJvC1xQ9zV3l8Yz9XeOe0b1q9Ue0c3Jm8cQ0W9p5wZk1Ll3Q2a'),
      expected: undefined,
    },
    { name: 'htpasswd line', value: join('admin:$apr1$', 'DZIImAvv$VeN464GNgOkRblFn5LNEHU'), expected: undefined },
    { name: 'LDAP hash', value: join('{SSHA}', 'W6ph5Mm5Pz8GgiULbPgzG37mj9g='), expected: undefined },
  ];
  for (const c of cases) await t.test(c.name, () => assert.equal(namedValueTier(c.value), c.expected));
});

test('isVariableReference is the ${VAR} template pattern, and such a value is never a secret', () => {
  const text = fc
    .array(fc.constantFrom('$', '{', '}', 'A', '_', ' ', '\n', 'x'), { maxLength: 16 })
    .map((parts) => parts.join(''));
  const reference = fc.tuple(text, fc.boolean()).map(([inner, wrap]) => (wrap ? `\${${inner}}` : inner));
  fc.assert(
    fc.property(reference, fc.constantFrom('password', 'API_KEY', 'mailer_key', 'LOG_LEVEL'), (value, name) => {
      const expected = /^\$\{[^{}]*\}$/.test(value);
      assert.equal(isVariableReference(value), expected, value);
      assert.equal(isVariableReference(`\${${value}}`, 2, 2 + value.length), expected, value);
      if (expected) {
        assert.equal(isPlaceholder(value), true, value);
        assert.equal(namedValueTier(value), undefined, value);
        assert.equal(namedSettingTier(name, value), undefined, value);
      }
    }),
    { numRuns: 3000 },
  );
});
