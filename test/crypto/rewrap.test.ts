import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { decodeSealedValue } from '../../src/crypto/envelope.js';
import {
  createKeyring,
  exportPublicKey,
  LocalKeyringProvider,
  openValue,
  parseEnvelope,
  parsePublicKey,
  retireKeyVersion,
  rewrapValue,
  rotateKeyring,
  sealValue,
  shredKeyVersion,
} from '../../src/crypto/index.js';
import { rejectsWithCode } from '../helpers/crypto.js';

const ctx = { namespace: 'n', serviceAccount: 's', name: 'c', key: 'k' };

for (const method of ['kek', 'x25519'] as const) {
  test(`rewrap of a ${method} value keeps plaintext, header and body and changes only the key slot`, async () => {
    const k1 = createKeyring();
    const target =
      method === 'kek'
        ? { provider: new LocalKeyringProvider(k1) }
        : { publicKey: parsePublicKey(exportPublicKey(k1)) };
    const sealed = await sealValue('keep me', { scope: 'strict', context: ctx, ...target });
    const k2 = rotateKeyring(k1);
    const p2 = new LocalKeyringProvider(k2);
    const result = await rewrapValue(sealed, { provider: p2 });
    assert.equal(result.changed, true);
    assert.deepEqual([result.from.version, result.to.version], [1, 2]);
    const before = decodeSealedValue(sealed);
    const after = decodeSealedValue(result.value);
    assert.ok(after.header.equals(before.header), 'header (AAD) unchanged');
    assert.ok(after.ciphertext.equals(before.ciphertext), 'ciphertext unchanged');
    assert.ok(after.tag.equals(before.tag), 'tag unchanged');
    assert.ok(!after.slot.wrapped.equals(before.slot.wrapped), 'wrapped DEK changed');
    assert.deepEqual(parseEnvelope(result.value).key.version, 2);
    assert.equal(parseEnvelope(result.value).method, 'kek');
    // The rewrapped value no longer needs version 1 at all.
    const k3 = shredKeyVersion(retireKeyVersion(k2, 1), 1);
    const p3 = new LocalKeyringProvider(k3);
    assert.equal((await openValue(result.value, { provider: p3, expected: ctx })).plaintext.toString(), 'keep me');
    await rejectsWithCode(openValue(sealed, { provider: p3, expected: ctx }), 'CRYPTO_KEY_DESTROYED');
  });
}

test('a value already under the primary version is returned unchanged', async () => {
  const k = createKeyring();
  const provider = new LocalKeyringProvider(k);
  for (const target of [{ provider }, { publicKey: parsePublicKey(exportPublicKey(k)) }]) {
    const sealed = await sealValue('x', { scope: 'cluster', context: {}, ...target });
    const result = await rewrapValue(sealed, { provider });
    assert.deepEqual(result, { value: sealed, changed: false, from: result.from, to: result.from });
  }
});

test('a tampered value is reported, never rewrapped', async () => {
  const k1 = createKeyring();
  const sealed = await sealValue('x', { scope: 'cluster', context: {}, provider: new LocalKeyringProvider(k1) });
  const bytes = Buffer.from(sealed.slice(10), 'base64url');
  bytes[bytes.length - 1]! ^= 0x80;
  await rejectsWithCode(
    rewrapValue(`shroud:v1:${bytes.toString('base64url')}`, { provider: new LocalKeyringProvider(rotateKeyring(k1)) }),
    'CRYPTO_INTEGRITY',
  );
});

test('a value under a shredded version cannot be rewrapped', async () => {
  const k1 = createKeyring();
  const sealed = await sealValue('x', { scope: 'cluster', context: {}, provider: new LocalKeyringProvider(k1) });
  const k3 = shredKeyVersion(retireKeyVersion(rotateKeyring(k1), 1), 1);
  await rejectsWithCode(rewrapValue(sealed, { provider: new LocalKeyringProvider(k3) }), 'CRYPTO_KEY_DESTROYED');
});

test('a damaged value under the primary version is reported, not passed as unchanged', async () => {
  const k = createKeyring();
  const provider = new LocalKeyringProvider(k);
  const targets = [
    { name: 'kek', target: { provider } },
    { name: 'x25519', target: { publicKey: parsePublicKey(exportPublicKey(k)) } },
  ];
  // Offsets from the end of the envelope: the last byte of the tag, the last byte of the body.
  const flips = [
    { name: 'tag', fromEnd: 1 },
    { name: 'body', fromEnd: 17 },
  ];
  for (const { name, target } of targets) {
    const sealed = await sealValue('intact', { scope: 'cluster', context: {}, ...target });
    const intact = await rewrapValue(sealed, { provider });
    assert.equal(intact.changed, false, `${name}: intact value is unchanged`);
    for (const flip of flips) {
      const bytes = Buffer.from(sealed.slice('shroud:v1:'.length), 'base64url');
      bytes[bytes.length - flip.fromEnd]! ^= 0x01;
      await rejectsWithCode(
        rewrapValue(`shroud:v1:${bytes.toString('base64url')}`, { provider }),
        'CRYPTO_INTEGRITY',
      ).catch((err: unknown) => {
        throw new Error(`${name}, ${flip.name} byte flipped: ${String(err)}`);
      });
    }
  }
});
