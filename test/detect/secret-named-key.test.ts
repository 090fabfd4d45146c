import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  mayNameSecret,
  namedSettingTier,
  secretNamedKeyDetector,
  secretNamedKeyLowDetector,
} from '../../src/detect/secret-named-key.js';
import { isKeyLikeName, isSecretName } from '../../src/detect/secret-names.js';
import { isStrongSecret, namedValueTier } from '../../src/detect/secret-strength.js';
import { join } from './fixtures.js';

const pw = join('Kq7', 'vR2x9Lm!');

test('secret-named-key flags real-looking values under secret names', async (t) => {
  const cases = [
    { name: 'DB_PASSWORD', key: 'DB_PASSWORD', value: pw },
    { name: 'dotted spring key', key: 'spring.datasource.password', value: pw },
    { name: 'api key with trailing newline', key: 'api-key', value: join(pw, 'x9\n') },
    { name: 'client secret quoted', key: 'clientSecret', value: join('"', pw, '"') },
    { name: 'file name key', key: 'db-password.txt', value: pw },
  ];
  for (const c of cases) {
    await t.test(c.name, () => {
      assert.deepEqual(secretNamedKeyDetector.scan(c.key, c.value), [
        {
          detector: 'secret-named-key',
          confidence: 'high',
          key: c.key,
          description: secretNamedKeyDetector.description,
        },
      ]);
    });
  }
});

test('secret-named-key leaves placeholders, settings and other names alone', async (t) => {
  const cases = [
    { name: 'empty', key: 'password', value: '' },
    { name: 'env placeholder', key: 'password', value: '${DB_PASSWORD}' },
    { name: 'helm placeholder', key: 'token', value: '{{ .Values.token }}' },
    { name: 'angle placeholder', key: 'api_key', value: '<api-key>' },
    { name: 'changeme', key: 'password', value: 'changeme' },
    { name: 'REPLACE_ME', key: 'secret', value: 'REPLACE_ME' },
    { name: 'xxx', key: 'token', value: 'xxx' },
    { name: 'stars', key: 'password', value: '********' },
    { name: 'boolean', key: 'enable_token_auth', value: 'true' },
    { name: 'short number', key: 'token', value: '3600' },
    { name: 'path', key: 'credentials', value: '/var/run/secrets/creds.json' },
    { name: 'sealed value', key: 'password', value: join('shroud:v1:', 'AAECAwQFBgcICQoLDA0ODw') },
    { name: 'name that describes', key: 'password_file', value: pw },
    { name: 'secret name reference', key: 'secretName', value: 'db-credentials' },
    { name: 'ordinary key', key: 'LOG_LEVEL', value: pw },
    { name: 'a UUID is an identifier', key: 'request_token', value: '123e4567-e89b-12d3-a456-426614174000' },
    {
      name: 'a digest is an identifier',
      key: 'secret_digest',
      value: join('sha256:', '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'),
    },
    { name: 'multi-line file under a secret name', key: 'credentials', value: join('[default]\nregion = eu-west-1\n') },
  ];
  for (const c of cases) await t.test(c.name, () => assert.deepEqual(secretNamedKeyDetector.scan(c.key, c.value), []));
});

test('secret-named-key-low warns for chosen passwords and key-like names with generated values', async (t) => {
  const cases = [
    { name: 'word password under a secret name', key: 'password', value: 'sunshine42', low: true },
    { name: 'words and symbols', key: 'DB_PASSWORD', value: 'Falcon!river42', low: true },
    { name: 'key-like name, generated value', key: 'MAILER_KEY', value: 'k3j9x2m7q5w8z1v4n6b0x8s2', low: true },
    { name: 'key-like name, word value', key: 'cache_key', value: 'user-profile-v2', low: false },
    { name: 'public key name', key: 'RECAPTCHA_SITE_KEY', value: 'Kq7vR2x9Lm2Pz8Wq4Tx6', low: false },
    { name: 'generated value is high, not low', key: 'password', value: pw, low: false },
  ];
  for (const c of cases)
    await t.test(c.name, () => {
      assert.equal(secretNamedKeyLowDetector.scan(c.key, c.value).length, c.low ? 1 : 0);
      assert.equal(secretNamedKeyDetector.scan(c.key, c.value).length, 0 + (c.name.startsWith('generated') ? 1 : 0));
    });
});

test('secret-named-key leaves one-line files under secret-named keys to config-file-secret', () => {
  assert.deepEqual(secretNamedKeyDetector.scan('secrets.yaml', join('password: ', pw, '\n')), []);
  assert.deepEqual(secretNamedKeyDetector.scan('db-credentials.env', join('DB_PASSWORD=', pw)), []);
});

test('the remembered kind of a name gives what both name judgements give', () => {
  // namedSettingTier as it read before it remembered a name's kind: both judgements asked in turn.
  const reference = (name: string, value: string): 'high' | 'low' | undefined => {
    if (value.length < 6) return undefined;
    const secret = isSecretName(name);
    if (!secret && !isKeyLikeName(name)) return undefined;
    if (/^\s*[A-Za-z_][\w.-]{0,63}: \S/.test(value)) return undefined;
    if (secret) return namedValueTier(value);
    return namedValueTier(value) !== undefined && isStrongSecret(value) ? 'low' : undefined;
  };
  const word = fc.constantFrom(
    'db',
    'password',
    'api',
    'key',
    'mailer',
    'cache',
    'token',
    'ttl',
    'file',
    'auth',
    'public',
    '2',
  );
  const name = fc
    .tuple(fc.array(word, { minLength: 1, maxLength: 4 }), fc.constantFrom('_', '.', '-'))
    .map(([w, sep]) => w.join(sep));
  const value = fc.constantFrom(
    join('Kq7vR2x9', 'Lm!Wp4Zs'),
    'sunshine42',
    '${DB_PASSWORD}',
    'abc',
    'user: app',
    join('a8F3kQ9z', 'L2mX7vB1'),
  );
  fc.assert(
    fc.property(name, value, (n, v) => {
      // Twice: the first call judges the name, the second reads what was remembered.
      for (let round = 0; round < 2; round++) {
        assert.equal(mayNameSecret(n), isSecretName(n) || isKeyLikeName(n), n);
        assert.equal(namedSettingTier(n, v), reference(n, v), `${n} ${v}`);
      }
    }),
    { numRuns: 1000 },
  );
});
