/**
 * The frozen shroud:v1 vectors: every committed value must keep opening (or keep failing with
 * the same code) with the committed test keyring. If this fails, the change breaks ciphertexts
 * that live in git: revert it, or add a new format version instead.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { gcmEncrypt } from '../../src/crypto/aead.js';
import { decodeSealedValue, encodeHeader } from '../../src/crypto/envelope.js';
import { bindScope, deriveKeys } from '../../src/crypto/key-schedule.js';
import { unwrapEnvelopeDek } from '../../src/crypto/open.js';
import { encodeScope } from '../../src/crypto/scope.js';
import { LocalKeyringProvider, openValue, parseEnvelope, parseKeyring } from '../../src/crypto/index.js';
import type { Vector } from '../vectors/generate.js';
import { rejectsWithCode } from '../helpers/crypto.js';
import type { ErrorCode } from '../../src/errors.js';

const doc = JSON.parse(readFileSync(new URL('../vectors/v1.json', import.meta.url), 'utf8')) as { vectors: Vector[] };
// The committed test keyring is read directly: git does not keep mode 0600, so loadKeyring would refuse it.
const keyring = parseKeyring(readFileSync(new URL('../vectors/insecure-test-keyring.json', import.meta.url), 'utf8'));
const provider = new LocalKeyringProvider(keyring);

test('the vector set covers both wrap methods, every scope and every failure code', () => {
  const ok = doc.vectors.filter((v) => v.expectError === undefined);
  assert.deepEqual([...new Set(ok.map((v) => v.method))].sort(), ['kek', 'x25519']);
  assert.deepEqual([...new Set(ok.map((v) => v.scope))].sort(), ['cluster', 'namespace', 'strict']);
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
    if (v.expectError !== undefined) {
      await rejectsWithCode(openValue(v.sealed, { provider, expected: v.context }), v.expectError as ErrorCode);
      return;
    }
    const opened = await openValue(v.sealed, { provider, expected: v.context });
    assert.equal(opened.plaintext.toString('hex'), v.plaintextHex);
    assert.equal(opened.scope, v.scope);
    assert.equal(opened.key.version, v.version);
    const info = parseEnvelope(v.sealed);
    assert.equal(info.method, v.method);

    // Known answers for the key schedule and layout: from the recorded DEK, the header and
    // body must come out byte for byte.
    const env = decodeSealedValue(v.sealed);
    const { dek } = await unwrapEnvelopeDek(env, provider, {});
    assert.equal(dek.toString('hex'), v.dekHex);
    const keys = deriveKeys(Buffer.from(v.dekHex!, 'hex'));
    const header = encodeHeader(
      v.scope!,
      keys.commitment,
      bindScope(keys.scopeKey, encodeScope(v.scope!, v.context)),
      env.nonce,
    );
    assert.equal(header.toString('hex'), env.header.toString('hex'));
    const body = gcmEncrypt(keys.encKey, env.nonce, header, Buffer.from(v.plaintextHex!, 'hex'));
    assert.equal(body.ciphertext.toString('hex'), env.ciphertext.toString('hex'));
    assert.equal(body.tag.toString('hex'), env.tag.toString('hex'));
  });
}
