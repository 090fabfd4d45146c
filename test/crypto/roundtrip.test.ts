import { paddedLength } from '../../src/crypto/padding.js';
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import {
  createKeyring,
  exportPublicKey,
  isSealedValue,
  LocalKeyringProvider,
  openValue,
  parseEnvelope,
  parsePublicKey,
  sealValue,
} from '../../src/crypto/index.js';

const keyring = createKeyring();
const provider = new LocalKeyringProvider(keyring);
const publicKey = parsePublicKey(exportPublicKey(keyring));
const context = { namespace: 'shop', serviceAccount: 'checkout', name: 'checkout-secrets', key: 'STRIPE_KEY' };
const SIZES = [0, 1, 15, 16, 17, 1000, 1024, 65_536, 1024 * 1024];

for (const method of ['kek', 'x25519'] as const) {
  for (const size of SIZES) {
    test(`round trip ${size} B sealed by ${method}`, async () => {
      const plaintext = randomBytes(size);
      const target = method === 'kek' ? { provider } : { publicKey };
      const sealed = await sealValue(plaintext, { scope: 'strict', context, ...target });
      assert.ok(isSealedValue(sealed));
      assert.match(sealed, /^shroud:v1:[A-Za-z0-9_-]+$/);
      const info = parseEnvelope(sealed);
      assert.deepEqual(
        { method: info.method, scope: info.scope, length: info.paddedLength, key: info.key },
        {
          method,
          scope: 'strict',
          length: paddedLength(size),
          key: { provider: 'local', keyId: keyring.keyringId, version: 1, keyTag: keyring.versions[0]!.tag },
        },
      );
      const opened = await openValue(sealed, { provider, expected: context });
      assert.ok(opened.plaintext.equals(plaintext));
      assert.deepEqual(opened.key, info.key);
    });
  }
}

test('a string is sealed as UTF-8', async () => {
  const sealed = await sealValue('grüße ✓', { scope: 'cluster', context: {}, provider });
  assert.equal((await openValue(sealed, { provider, expected: {} })).plaintext.toString('utf8'), 'grüße ✓');
});

test('every seal uses a fresh DEK and nonce: the same plaintext never gives the same text', async () => {
  const a = await sealValue('same', { scope: 'cluster', context: {}, provider });
  const b = await sealValue('same', { scope: 'cluster', context: {}, provider });
  assert.notEqual(a, b);
  const bodyA = Buffer.from(a.slice(10), 'base64url');
  const bodyB = Buffer.from(b.slice(10), 'base64url');
  assert.notDeepEqual(bodyA.subarray(4, 64), bodyB.subarray(4, 64));
});

test('sealValue needs exactly one of provider and publicKey', async () => {
  await assert.rejects(sealValue('x', { scope: 'cluster', context: {} }), TypeError);
  await assert.rejects(sealValue('x', { scope: 'cluster', context: {}, provider, publicKey }), TypeError);
});
