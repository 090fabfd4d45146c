/**
 * The frozen shroud:v1 vectors: every committed value must keep opening (or keep failing with
 * the same code) with the committed test keyring, and sealing again from a vector's fixed
 * inputs must give its exact text. If this fails, the change breaks ciphertexts that live in
 * git: revert it, or add a new format version instead.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  exportPublicKey,
  type KekProvider,
  LocalKeyringProvider,
  openValue,
  parseEnvelope,
  parseKeyring,
  parsePublicKey,
} from '../../src/crypto/index.js';
import { sealValueWith } from '../../src/crypto/seal.js';
import type { ErrorCode } from '../../src/errors.js';
import { rejectsWithCode } from '../helpers/crypto.js';
import { type Vector, withPrimary } from '../vectors/generate.js';
import { TEST_KMS_REF, TestKmsProvider } from '../vectors/test-kms.js';

const doc = JSON.parse(readFileSync(new URL('../vectors/v1.json', import.meta.url), 'utf8')) as { vectors: Vector[] };
// The committed test keyring is read directly: git does not keep mode 0600, so loadKeyring would refuse it.
const keyring = parseKeyring(readFileSync(new URL('../vectors/insecure-test-keyring.json', import.meta.url), 'utf8'));
const providers: Record<Vector['provider'], KekProvider> = {
  local: new LocalKeyringProvider(keyring),
  'test-kms': new TestKmsProvider(),
};
const hex = (text: string | undefined) => Buffer.from(text!, 'hex');

test('the vector set covers both wrap methods, every scope, annotations and every failure code', () => {
  const ok = doc.vectors.filter((v) => v.expectError === undefined);
  assert.deepEqual([...new Set(ok.map((v) => v.method))].sort(), ['kek', 'x25519']);
  for (const method of ['kek', 'x25519']) {
    const scopes = ok.filter((v) => v.method === method && v.provider === 'local').map((v) => v.scope);
    assert.deepEqual([...new Set(scopes)].sort(), ['cluster', 'namespace', 'strict'], method);
  }
  assert.ok(ok.some((v) => v.provider === 'test-kms'));
  assert.deepEqual([...new Set(doc.vectors.map((v) => v.expectError).filter(Boolean))].sort(), [
    'CRYPTO_INTEGRITY',
    'CRYPTO_KEY_DESTROYED',
    'CRYPTO_MALFORMED',
    'CRYPTO_SCOPE_MISMATCH',
    'CRYPTO_UNKNOWN_KEY',
    'CRYPTO_UNSUPPORTED_VERSION',
  ]);
});

for (const v of doc.vectors) {
  test(`vector ${v.name}`, async () => {
    const provider = providers[v.provider];
    if (v.expectError !== undefined) {
      await rejectsWithCode(openValue(v.sealed, { provider, expected: v.context }), v.expectError as ErrorCode);
      return;
    }
    const opened = await openValue(v.sealed, { provider, expected: v.context });
    assert.equal(opened.plaintext.toString('hex'), v.plaintextHex);
    assert.equal(opened.scope, v.scope);
    assert.equal(opened.key.version, v.version);
    assert.equal(parseEnvelope(v.sealed).method, v.method);
  });
}

// Sealing known answers: the same fixed inputs must give the same bytes, for every method,
// scope and provider, so a second implementation can be checked against these.
for (const v of doc.vectors.filter((x) => x.dekHex !== undefined)) {
  test(`sealing known answer ${v.name}`, async () => {
    const plaintext = hex(v.plaintextHex);
    const randomness = { dek: hex(v.dekHex), nonce: hex(v.nonceHex) };
    const at = withPrimary(keyring, v.version!);
    let sealed: string;
    if (v.provider === 'test-kms') {
      sealed = await sealValueWith(
        plaintext,
        { scope: v.scope!, context: v.context, provider: providers['test-kms'] },
        randomness,
      );
      assert.equal(parseEnvelope(sealed).key.keyId, TEST_KMS_REF.keyId);
      assert.deepEqual(parseEnvelope(sealed).annotations.sort(), ['kms.test.example', 'version.kms.test.example']);
    } else if (v.method === 'kek') {
      const provider = new LocalKeyringProvider(at, { randomBytes: () => hex(v.wrapNonceHex) });
      sealed = await sealValueWith(plaintext, { scope: v.scope!, context: v.context, provider }, randomness);
    } else {
      const publicKey = parsePublicKey(exportPublicKey(at));
      sealed = await sealValueWith(
        plaintext,
        { scope: v.scope!, context: v.context, publicKey },
        { ...randomness, ephemeralPrivateKey: hex(v.ephemeralPrivateKeyHex) },
      );
    }
    assert.equal(sealed, v.sealed);
  });
}
