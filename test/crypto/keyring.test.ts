import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import {
  createKeyring,
  exportPublicKey,
  LocalKeyringProvider,
  openValue,
  parseEnvelope,
  parseKeyring,
  parsePublicKey,
  retireKeyVersion,
  rotateKeyring,
  sealValue,
  serializeKeyring,
  shredKeyVersion,
} from '../../src/crypto/index.js';
import { rejectsWithCode, throwsWithCode } from '../helpers/crypto.js';

const ctx = { namespace: 'n', serviceAccount: 's', name: 'c', key: 'k' };

test('rotation: new seals use the new primary, values under older versions still open', async () => {
  const k1 = createKeyring();
  const old = await sealValue('old', { scope: 'strict', context: ctx, provider: new LocalKeyringProvider(k1) });
  const oldPub = await sealValue('old-pub', {
    scope: 'strict',
    context: ctx,
    publicKey: parsePublicKey(exportPublicKey(k1)),
  });
  const k3 = rotateKeyring(rotateKeyring(k1));
  assert.deepEqual(
    k3.versions.map((v) => [v.version, v.state]),
    [
      [1, 'active'],
      [2, 'active'],
      [3, 'primary'],
    ],
  );
  const p3 = new LocalKeyringProvider(k3);
  assert.equal((await openValue(old, { provider: p3, expected: ctx })).plaintext.toString(), 'old');
  assert.equal((await openValue(oldPub, { provider: p3, expected: ctx })).plaintext.toString(), 'old-pub');
  const fresh = await sealValue('new', { scope: 'strict', context: ctx, provider: p3 });
  assert.equal(parseEnvelope(fresh).key.version, 3);
  assert.equal(parsePublicKey(exportPublicKey(k3)).ref.version, 3);
  assert.equal(k1.versions.length, 1, 'rotation does not change the old keyring value');
});

test('retire: only active versions; the retired version still opens', async () => {
  const k1 = createKeyring();
  const sealed = await sealValue('x', { scope: 'cluster', context: {}, provider: new LocalKeyringProvider(k1) });
  throwsWithCode(() => retireKeyVersion(k1, 1), 'CRYPTO_KEYRING_STATE');
  const k2 = retireKeyVersion(rotateKeyring(k1), 1);
  assert.equal(k2.versions[0]!.state, 'retired');
  throwsWithCode(() => retireKeyVersion(k2, 1), 'CRYPTO_KEYRING_STATE');
  throwsWithCode(() => retireKeyVersion(k2, 9), 'CRYPTO_UNKNOWN_KEY');
  assert.equal(
    (await openValue(sealed, { provider: new LocalKeyringProvider(k2), expected: {} })).plaintext.toString(),
    'x',
  );
});

test('shred: needs a retired version, then values under it fail with CRYPTO_KEY_DESTROYED and others still open', async () => {
  const k1 = createKeyring();
  const doomedKek = await sealValue('a', { scope: 'cluster', context: {}, provider: new LocalKeyringProvider(k1) });
  const doomedPub = await sealValue('b', {
    scope: 'cluster',
    context: {},
    publicKey: parsePublicKey(exportPublicKey(k1)),
  });
  const k2 = rotateKeyring(k1);
  const kept = await sealValue('c', { scope: 'cluster', context: {}, provider: new LocalKeyringProvider(k2) });
  throwsWithCode(() => shredKeyVersion(k2, 1), 'CRYPTO_KEYRING_STATE');
  throwsWithCode(() => shredKeyVersion(k2, 2), 'CRYPTO_KEYRING_STATE');
  const k3 = shredKeyVersion(retireKeyVersion(k2, 1), 1, { now: () => new Date('2026-05-01T00:00:00Z') });
  assert.deepEqual(k3.versions[0], {
    version: 1,
    state: 'destroyed',
    createdAt: k1.createdAt,
    tag: k1.versions[0]!.tag,
    destroyedAt: '2026-05-01T00:00:00.000Z',
  });
  throwsWithCode(() => shredKeyVersion(k3, 1), 'CRYPTO_KEYRING_STATE');
  const p3 = new LocalKeyringProvider(k3);
  await rejectsWithCode(openValue(doomedKek, { provider: p3, expected: {} }), 'CRYPTO_KEY_DESTROYED');
  await rejectsWithCode(openValue(doomedPub, { provider: p3, expected: {} }), 'CRYPTO_KEY_DESTROYED');
  assert.equal((await openValue(kept, { provider: p3, expected: {} })).plaintext.toString(), 'c');
  // Shredding survives a save and load: the destroyed version has no key material in the file.
  const text = serializeKeyring(k3);
  await rejectsWithCode(
    openValue(doomedKek, { provider: new LocalKeyringProvider(parseKeyring(text)), expected: {} }),
    'CRYPTO_KEY_DESTROYED',
  );
  assert.equal(JSON.parse(text).versions[0].kek, undefined);
});

test('a value from another keyring is CRYPTO_UNKNOWN_KEY, naming both keyring ids', async () => {
  const a = createKeyring();
  const b = createKeyring();
  const sealed = await sealValue('x', { scope: 'cluster', context: {}, provider: new LocalKeyringProvider(a) });
  const err = await rejectsWithCode(
    openValue(sealed, { provider: new LocalKeyringProvider(b), expected: {} }),
    'CRYPTO_UNKNOWN_KEY',
  );
  assert.match(err.message, new RegExp(`${a.keyringId}.*${b.keyringId}`));
});

test('a version the keyring does not have is CRYPTO_UNKNOWN_KEY', async () => {
  const k2 = rotateKeyring(createKeyring());
  const sealed = await sealValue('x', { scope: 'cluster', context: {}, provider: new LocalKeyringProvider(k2) });
  const older = { ...k2, versions: k2.versions.slice(0, 1).map((v) => ({ ...v, state: 'primary' as const })) };
  await rejectsWithCode(
    openValue(sealed, { provider: new LocalKeyringProvider(older), expected: {} }),
    'CRYPTO_UNKNOWN_KEY',
  );
});

test('keyring text round-trips through serialize and parse', () => {
  const k = retireKeyVersion(rotateKeyring(createKeyring()), 1);
  const parsed = parseKeyring(serializeKeyring(k));
  assert.equal(serializeKeyring(parsed), serializeKeyring(k));
  assert.equal(parsed.keyringId, k.keyringId);
});

const corruptions: { name: string; edit: (text: string) => string }[] = [
  { name: 'not JSON', edit: (t) => t.slice(0, t.length / 2) },
  {
    name: 'a changed key byte',
    edit: (t) => t.replace(/"kek": "(.)/, (_m, c: string) => `"kek": "${c === 'A' ? 'B' : 'A'}`),
  },
  { name: 'a changed state', edit: (t) => t.replace('"state": "active"', '"state": "retired"') },
  { name: 'a missing checksum', edit: (t) => t.replace(/,\s*"checksum": "[^"]*"/, '') },
  { name: 'another kind', edit: (t) => t.replace('"ShroudKeyring"', '"Other"') },
  { name: 'invalid base64url', edit: (t) => t.replace(/"kek": "./, '"kek": "*') },
];

for (const c of corruptions) {
  test(`keyring with ${c.name} is CRYPTO_KEYRING_CORRUPT`, () => {
    const text = serializeKeyring(rotateKeyring(createKeyring()));
    const edited = c.edit(text);
    assert.notEqual(edited, text);
    throwsWithCode(() => parseKeyring(edited), 'CRYPTO_KEYRING_CORRUPT');
  });
}

test('structural rules hold even with a valid checksum: one primary, matching key pairs', () => {
  const k = rotateKeyring(createKeyring());
  const twoPrimaries = { ...k, versions: k.versions.map((v) => ({ ...v, state: 'primary' as const })) };
  throwsWithCode(() => parseKeyring(serializeKeyring(twoPrimaries)), 'CRYPTO_KEYRING_CORRUPT');
  const [v1, v2] = k.versions;
  const swapped = {
    ...k,
    versions: [
      {
        ...v1!,
        material: { ...v1!.material!, seal: { ...v1!.material!.seal, publicKey: v2!.material!.seal.publicKey } },
      },
      v2!,
    ],
  };
  throwsWithCode(() => parseKeyring(serializeKeyring(swapped)), 'CRYPTO_KEYRING_CORRUPT');
});
