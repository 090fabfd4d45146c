/**
 * Errors never carry plaintext or key material: every failure path of the library is driven
 * with a canary plaintext, and no message, detail, stack or cause mentions the canary, a KEK,
 * a private sealing key or the DEK.
 */
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import {
  createKeyring,
  exportPublicKey,
  LocalKeyringProvider,
  openValue,
  parsePublicKey,
  retireKeyVersion,
  rewrapValue,
  rotateKeyring,
  sealValue,
  serializeKeyring,
  shredKeyVersion,
  type KekProvider,
} from '../../src/crypto/index.js';
import { decodeSealedValue } from '../../src/crypto/envelope.js';
import { unwrapEnvelopeDek } from '../../src/crypto/open.js';
import { errorText } from '../helpers/crypto.js';

test('no error of the crypto library contains the plaintext, a key or the DEK', async () => {
  const canary = `CANARY-${randomBytes(8).toString('hex')}`;
  const k1 = createKeyring();
  const p1 = new LocalKeyringProvider(k1);
  const ctx = { namespace: 'n', serviceAccount: 's', name: 'c', key: 'k' };
  const sealed = await sealValue(canary, { scope: 'strict', context: ctx, provider: p1 });
  const sealedPub = await sealValue(canary, {
    scope: 'strict',
    context: ctx,
    publicKey: parsePublicKey(exportPublicKey(k1)),
  });
  const { dek } = await unwrapEnvelopeDek(decodeSealedValue(sealed), p1, {});
  const k3 = shredKeyVersion(retireKeyVersion(rotateKeyring(k1), 1), 1);
  const tampered = (() => {
    const b = Buffer.from(sealed.slice(10), 'base64url');
    b[b.length - 17]! ^= 1;
    return `shroud:v1:${b.toString('base64url')}`;
  })();
  const failing: KekProvider = {
    id: 'local',
    wrap: () => Promise.reject(new Error('down')),
    unwrap: () => Promise.reject(new Error('down')),
    status: () => p1.status(),
  };

  const attempts: Promise<unknown>[] = [
    openValue(sealed, { provider: p1, expected: { ...ctx, key: 'other' } }),
    openValue(sealedPub, { provider: p1, expected: { ...ctx, namespace: 'other' } }),
    openValue(tampered, { provider: p1, expected: ctx }),
    openValue(sealed, { provider: new LocalKeyringProvider(k3), expected: ctx }),
    openValue(sealed, { provider: new LocalKeyringProvider(createKeyring()), expected: ctx }),
    openValue(sealed, { provider: failing, expected: ctx }),
    openValue(sealed, { provider: p1, expected: {} }),
    openValue(sealed.slice(0, -3), { provider: p1, expected: ctx }),
    rewrapValue(tampered, { provider: new LocalKeyringProvider(rotateKeyring(k1)) }),
    sealValue(canary, { scope: 'strict', context: { namespace: 'n' }, provider: p1 }),
    sealValue(canary, { scope: 'cluster', context: {}, provider: failing }),
  ];
  const secrets = [canary, dek.toString('hex'), dek.toString('base64url'), Buffer.from(canary).toString('base64url')];
  for (const v of JSON.parse(serializeKeyring(k1)).versions) secrets.push(v.kek, v.sealPrivateKey);
  const results = await Promise.allSettled(attempts);
  for (const [i, r] of results.entries()) {
    assert.equal(r.status, 'rejected', `attempt ${i} should fail`);
    const text = errorText((r as PromiseRejectedResult).reason);
    for (const s of secrets) assert.ok(!text.includes(s), `attempt ${i} leaks a secret`);
  }
});
