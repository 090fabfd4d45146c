import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import {
  checkPublicKeyExpiry,
  createKeyring,
  exportPublicKey,
  LocalKeyringProvider,
  openValue,
  parsePublicKey,
  publicKeyFingerprint,
  sealValue,
  serializeKeyring,
} from '../../src/crypto/index.js';
import { rejectsWithCode, throwsWithCode } from '../helpers/crypto.js';

test('the exported public key names its key version and holds no secret', () => {
  const k = createKeyring();
  const text = exportPublicKey(k);
  const doc = JSON.parse(text);
  assert.deepEqual(Object.keys(doc).sort(), [
    'algorithm',
    'expires',
    'fingerprint',
    'formatVersion',
    'keyId',
    'keyTag',
    'kind',
    'provider',
    'publicKey',
    'version',
  ]);
  const secrets = JSON.parse(serializeKeyring(k)).versions[0];
  assert.ok(!text.includes(secrets.kek) && !text.includes(secrets.sealPrivateKey));
  const parsed = parsePublicKey(text);
  assert.deepEqual(parsed.ref, { provider: 'local', keyId: k.keyringId, version: 1, keyTag: k.versions[0]!.tag });
  assert.equal(doc.fingerprint, publicKeyFingerprint(parsed.publicKey));
});

test('a value sealed with the public key opens only with that keyring', async () => {
  const k = createKeyring();
  const sealed = await sealValue('x', { scope: 'cluster', context: {}, publicKey: parsePublicKey(exportPublicKey(k)) });
  assert.equal(
    (await openValue(sealed, { provider: new LocalKeyringProvider(k), expected: {} })).plaintext.toString(),
    'x',
  );
  // The same public key bytes under another keyring's id do not help that keyring.
  const other = createKeyring();
  await rejectsWithCode(
    openValue(sealed, { provider: new LocalKeyringProvider(other), expected: {} }),
    'CRYPTO_UNKNOWN_KEY',
  );
});

const bad: { name: string; edit: (doc: Record<string, unknown>) => unknown }[] = [
  { name: 'not JSON', edit: () => '{' },
  { name: 'another kind', edit: (d) => ({ ...d, kind: 'Secret' }) },
  { name: 'a short key', edit: (d) => ({ ...d, publicKey: 'AAAA', fingerprint: undefined }) },
  { name: 'a fingerprint of another key', edit: (d) => ({ ...d, fingerprint: 'sha256:00' }) },
  { name: 'a bad key id', edit: (d) => ({ ...d, keyId: 'has\nnewline' }) },
  { name: 'an empty key id', edit: (d) => ({ ...d, keyId: '' }) },
  { name: 'a key id over 1 KiB', edit: (d) => ({ ...d, keyId: 'k'.repeat(1025) }) },
  { name: 'no key tag', edit: (d) => ({ ...d, keyTag: undefined }) },
  { name: 'a key tag that is not 32 hex digits', edit: (d) => ({ ...d, keyTag: 'ABCD' }) },
  { name: 'no version', edit: (d) => ({ ...d, version: undefined }) },
  { name: 'an unknown format', edit: (d) => ({ ...d, formatVersion: 2 }) },
];

for (const b of bad) {
  test(`a public key file with ${b.name} is CRYPTO_PUBLIC_KEY_INVALID`, () => {
    const doc = JSON.parse(exportPublicKey(createKeyring()));
    const edited = b.edit(doc);
    throwsWithCode(
      () => parsePublicKey(typeof edited === 'string' ? edited : JSON.stringify(edited)),
      'CRYPTO_PUBLIC_KEY_INVALID',
    );
  });
}

const NOW = new Date('2026-11-29T12:00:00Z');
const DAY = 86_400_000;

test('an exported public key expires after --valid-for days (default 90), written as RFC 3339 UTC', () => {
  const k = createKeyring();
  const cases: { validForDays: number | undefined; expires: string }[] = [
    { validForDays: undefined, expires: '2027-02-27T12:00:00Z' },
    { validForDays: 1, expires: '2026-11-30T12:00:00Z' },
    { validForDays: 3650, expires: '2036-11-26T12:00:00Z' },
  ];
  for (const c of cases) {
    const text = exportPublicKey(k, { now: () => NOW, ...(c.validForDays ? { validForDays: c.validForDays } : {}) });
    assert.equal(JSON.parse(text).expires, c.expires, `valid for ${c.validForDays}`);
    assert.equal(parsePublicKey(text).expires, c.expires);
  }
  for (const validForDays of [0, -1, 1.5, 3651])
    throwsWithCode(() => exportPublicKey(k, { now: () => NOW, validForDays }), 'CONFIG_INVALID');
});

const expiryCases: { name: string; expires: string | undefined; state?: string; daysLeft?: number }[] = [
  { name: 'far from expiry', expires: new Date(NOW.getTime() + 60 * DAY).toISOString(), state: 'valid', daysLeft: 60 },
  { name: '15 days before expiry', expires: new Date(NOW.getTime() + 15 * DAY).toISOString(), state: 'valid' },
  {
    name: '14 days before expiry (warns)',
    expires: new Date(NOW.getTime() + 14 * DAY).toISOString(),
    state: 'expiring',
  },
  { name: 'an hour before expiry (warns)', expires: '2026-11-29T13:00:00+00:00', state: 'expiring', daysLeft: 0 },
  { name: 'at expiry', expires: '2026-11-29T12:00:00Z' },
  { name: 'a year after expiry', expires: '2025-11-29T12:00:00Z' },
  { name: 'expired in another time zone', expires: '2026-11-29T12:30:00+01:00' },
  { name: 'no expires (an older export)', expires: undefined, state: 'no-expiry' },
];

for (const c of expiryCases) {
  test(`a public key file ${c.name} is ${c.state ?? 'refused as CRYPTO_PUBLIC_KEY_EXPIRED'}`, () => {
    const doc = JSON.parse(exportPublicKey(createKeyring()));
    const key = parsePublicKey(JSON.stringify({ ...doc, expires: c.expires }));
    if (c.state === undefined) {
      const err = throwsWithCode(() => checkPublicKeyExpiry(key, NOW, 'pub.json'), 'CRYPTO_PUBLIC_KEY_EXPIRED');
      assert.match(err.message, /^pub\.json expired at .*shroud keys export-public/);
      return;
    }
    const expiry = checkPublicKeyExpiry(key, NOW, 'pub.json');
    assert.equal(expiry.state, c.state);
    if (c.daysLeft !== undefined && expiry.state !== 'no-expiry') assert.equal(expiry.daysLeft, c.daysLeft);
  });
}

for (const expires of [
  '2027-02-30',
  '2027-02-29T00:00:00Z',
  '2027-04-31T00:00:00Z',
  '2027-01-01T24:00:00Z',
  '2027-02-27T12:00:00',
  'tomorrow',
  1_900_000_000,
  '2027-13-01T00:00:00Z',
  null,
]) {
  test(`a public key file whose expires is ${JSON.stringify(expires)} is CRYPTO_PUBLIC_KEY_INVALID`, () => {
    const doc = JSON.parse(exportPublicKey(createKeyring()));
    throwsWithCode(() => parsePublicKey(JSON.stringify({ ...doc, expires })), 'CRYPTO_PUBLIC_KEY_INVALID');
  });
}
