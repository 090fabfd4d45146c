/**
 * The frozen v1 layout's guarantees that do not depend on the provider: the slot MAC, opaque
 * key ids, annotations, equal limits on both sides, length hiding, key tags.
 */
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { decodeSealedValue, encodeSlot, formatSealedValue, type KeyRef, LIMITS } from '../../src/crypto/envelope.js';
import {
  createKeyring,
  type KekProvider,
  LocalKeyringProvider,
  openValue,
  parseEnvelope,
  parseKeyring,
  rewrapValue,
  rotateKeyring,
  sealValue,
  serializeKeyring,
} from '../../src/crypto/index.js';
import { isPaddedLength, MIN_PADDED_LEN, paddedLength } from '../../src/crypto/padding.js';
import { rejectsWithCode, throwsWithCode } from '../helpers/crypto.js';
import { TEST_KMS_REF, TestKmsProvider } from '../vectors/test-kms.js';

const TAG = 'ab'.repeat(16);

/** A provider like TestKmsProvider but with a chosen key reference and annotations. */
function kms(ref: Partial<KeyRef>, annotations?: Record<string, Uint8Array>, wrappedSize = 32): KekProvider {
  const base = new TestKmsProvider();
  return {
    id: base.id,
    async wrap(request) {
      const result = await base.wrap(request);
      const wrapped = Buffer.concat([Buffer.from(result.wrapped), Buffer.alloc(wrappedSize - 32)]);
      return { ...result, ref: { ...result.ref, ...ref }, annotations, wrapped };
    },
    async unwrap(request) {
      return base.unwrap({ ...request, slot: { ...request.slot, wrapped: request.slot.wrapped.subarray(0, 32) } });
    },
    status: () => base.status(),
  };
}

/** Rewrites a sealed value's key slot with `edit` and recomputes the corruption check (not the MAC). */
function relabel(sealed: string, edit: (ref: KeyRef) => KeyRef, annotations?: Record<string, Uint8Array>): string {
  const env = decodeSealedValue(sealed);
  const slot = { ...env.slot, ref: edit(env.slot.ref), annotations: annotations ?? env.slot.annotations };
  const headerAndSlot = Buffer.concat([env.header, encodeSlot(slot)]);
  const check = createHash('sha256')
    .update(Buffer.concat([headerAndSlot, env.slotMac]))
    .digest()
    .subarray(0, 4);
  return formatSealedValue(Buffer.concat([headerAndSlot, env.slotMac, check, env.ciphertext, env.tag]));
}

const relabellings: { name: string; edit: (ref: KeyRef) => KeyRef; annotations?: Record<string, Uint8Array> }[] = [
  { name: 'version 7 -> 8', edit: (r) => ({ ...r, version: r.version + 1 }) },
  { name: 'another key id', edit: (r) => ({ ...r, keyId: `${r.keyId}-other` }) },
  { name: 'another key tag', edit: (r) => ({ ...r, keyTag: TAG }) },
  { name: 'annotations changed', edit: (r) => r, annotations: { 'version.kms.test.example': Buffer.from('8') } },
  { name: 'annotations dropped', edit: (r) => r, annotations: {} },
];

for (const r of relabellings) {
  test(`a slot relabelled (${r.name}) under a provider that ignores the wrap AAD fails the slot MAC`, async () => {
    const provider = new TestKmsProvider();
    const sealed = await sealValue('relabel me', { scope: 'cluster', context: {}, provider, timeoutMs: 1000 });
    const forged = relabel(sealed, r.edit, r.annotations);
    assert.notEqual(forged, sealed);
    decodeSealedValue(forged); // structurally valid: only the MAC can tell
    await rejectsWithCode(openValue(forged, { provider, expected: {} }), 'CRYPTO_INTEGRITY');
    // keys rewrap authenticates before it says "unchanged", so it reports the forgery too.
    await rejectsWithCode(rewrapValue(forged, { provider }), 'CRYPTO_INTEGRITY');
  });
}

test('rewrap replaces the slot and its MAC: the rewrapped value opens and its body is byte-identical', async () => {
  const k1 = createKeyring();
  const sealed = await sealValue('rotate me', {
    scope: 'cluster',
    context: {},
    provider: new LocalKeyringProvider(k1),
  });
  const provider = new LocalKeyringProvider(rotateKeyring(k1));
  const result = await rewrapValue(sealed, { provider });
  assert.equal(result.changed, true);
  assert.equal(result.to.version, 2);
  const before = decodeSealedValue(sealed);
  const after = decodeSealedValue(result.value);
  assert.ok(before.header.equals(after.header) && before.ciphertext.equals(after.ciphertext));
  assert.ok(!before.slotMac.equals(after.slotMac));
  assert.equal((await openValue(result.value, { provider, expected: {} })).plaintext.toString(), 'rotate me');
});

test('a KMS key id is opaque text up to 1 KiB, the same limit when sealing and opening', async () => {
  const longest = `${'é'.repeat(400)}${'k'.repeat(LIMITS.keyId - 800)}`;
  assert.equal(Buffer.byteLength(longest), LIMITS.keyId);
  const sealed = await sealValue('x', { scope: 'cluster', context: {}, provider: kms({ keyId: longest }) });
  assert.equal(parseEnvelope(sealed).key.keyId, longest);
  assert.equal((await openValue(sealed, { provider: kms({}), expected: {} })).plaintext.toString(), 'x');
  for (const keyId of [`${longest}k`, 'tab\there', 'nul\u0000', 'c1\u0085control', '']) {
    await rejectsWithCode(
      sealValue('x', { scope: 'cluster', context: {}, provider: kms({ keyId }) }),
      'CRYPTO_PROVIDER_UNAVAILABLE',
    );
  }
});

test('a decoder refuses what the encoder refuses: key ids, annotations and wrapped DEKs past their limits', async () => {
  const sealed = await sealValue('x', { scope: 'cluster', context: {}, provider: new TestKmsProvider() });
  const bytes = Buffer.from(sealed.slice('shroud:v1:'.length), 'base64url');
  // Raise the key id length field past 1 KiB (and pad the bytes so the structure still adds up).
  const keyIdLenAt = 64 + 1 + 1 + TEST_KMS_REF.provider.length;
  const oldLen = bytes.readUInt16BE(keyIdLenAt);
  const grown = Buffer.concat([
    bytes.subarray(0, keyIdLenAt + 2 + oldLen),
    Buffer.alloc(LIMITS.keyId + 1 - oldLen, 0x6b),
    bytes.subarray(keyIdLenAt + 2 + oldLen),
  ]);
  grown.writeUInt16BE(LIMITS.keyId + 1, keyIdLenAt);
  throwsWithCode(() => decodeSealedValue(formatSealedValue(grown)), 'CRYPTO_MALFORMED');

  const cases: { name: string; provider: KekProvider }[] = [
    { name: 'a wrapped DEK over 4096 bytes', provider: kms({}, undefined, LIMITS.wrapped + 1) },
    { name: 'annotations over 32 KiB', provider: kms({}, { 'big.kms.test': Buffer.alloc(32 * 1024) }) },
    { name: 'an annotation name without a dot', provider: kms({}, { nodot: Buffer.from('1') }) },
    { name: 'an upper-case annotation name', provider: kms({}, { 'Upper.kms.test': Buffer.from('1') }) },
  ];
  for (const c of cases) {
    await rejectsWithCode(
      sealValue('x', { scope: 'cluster', context: {}, provider: c.provider }),
      'CRYPTO_PROVIDER_UNAVAILABLE',
    );
  }
  const atLimit = kms({}, { 'big.kms.test': Buffer.alloc(32 * 1024 - 'big.kms.test'.length) }, LIMITS.wrapped);
  const big = await sealValue('x', { scope: 'cluster', context: {}, provider: atLimit });
  assert.equal((await openValue(big, { provider: atLimit, expected: {} })).plaintext.toString(), 'x');
});

test('padding hides the length inside a bucket: 0..31 bytes all seal to the same length', async () => {
  const provider = new LocalKeyringProvider(createKeyring());
  const lengths = new Set<number>();
  for (let n = 0; n < 32; n++) {
    lengths.add((await sealValue('p'.repeat(n), { scope: 'cluster', context: {}, provider })).length);
  }
  assert.equal(lengths.size, 1);
  assert.equal(
    parseEnvelope(await sealValue('p'.repeat(40), { scope: 'cluster', context: {}, provider })).paddedLength,
    44,
  );
});

test('padding buckets: every length has one bucket, at most 12% larger, and isPaddedLength knows them all', () => {
  const buckets = new Set<number>();
  for (let n = 0; n < 70_000; n++) {
    const p = paddedLength(n);
    assert.ok(p > n && isPaddedLength(p), `length ${n}`);
    assert.ok(p <= MIN_PADDED_LEN || p <= (n + 1) * 1.125, `length ${n} padded to ${p}`);
    buckets.add(p);
  }
  for (let m = 0; m < 70_000; m++) assert.equal(isPaddedLength(m), buckets.has(m), `bucket ${m}`);
  assert.equal(paddedLength(1024 * 1024), 1081344);
});

test('a value sealed to the same version number of another key is CRYPTO_UNKNOWN_KEY, not tampering', async () => {
  const mine = createKeyring();
  const forkedVersion = { ...createKeyring().versions[0]!, version: 1 };
  const fork = { ...mine, versions: [forkedVersion] };
  const sealed = await sealValue('x', { scope: 'cluster', context: {}, provider: new LocalKeyringProvider(fork) });
  assert.equal(parseEnvelope(sealed).key.keyTag, forkedVersion.tag);
  const err = await rejectsWithCode(
    openValue(sealed, { provider: new LocalKeyringProvider(mine), expected: {} }),
    'CRYPTO_UNKNOWN_KEY',
  );
  assert.match(err.message, /another key that is also called version 1/);
});

test('a keyring file whose stored key tag does not match its keys is refused as corrupt', () => {
  const file = JSON.parse(serializeKeyring(createKeyring()));
  assert.match(file.versions[0].tag, /^[0-9a-f]{32}$/);
  file.versions[0].tag = TAG;
  const { checksum: _, ...rest } = file;
  const body = JSON.stringify({
    kind: rest.kind,
    formatVersion: rest.formatVersion,
    keyringId: rest.keyringId,
    createdAt: rest.createdAt,
    versions: rest.versions,
  });
  file.checksum = `sha256:${createHash('sha256').update(body).digest('hex')}`;
  throwsWithCode(() => parseKeyring(JSON.stringify(file)), 'CRYPTO_KEYRING_CORRUPT');
});
