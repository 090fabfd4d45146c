import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import {
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
