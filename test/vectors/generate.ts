/**
 * Generates the frozen known-answer vectors of the shroud:v1 format: run ONCE, commit the
 * output, never regenerate to make a failing test pass (that would hide a format break that
 * strands every value already in git). Refuses to overwrite unless given --force.
 *
 *   npx tsx test/vectors/generate.ts [--force]
 *
 * Writes insecure-test-keyring.json (TEST MATERIAL ONLY: its keys are public in this
 * repository and protect nothing) and v1.json. Every value is sealed from fixed inputs (DEK,
 * body nonce, and the wrap nonce or ephemeral X25519 key, each SHA-256 of a label naming the
 * vector), and the vector records them, so a test (and another implementation) can seal again
 * and must produce the same bytes.
 */
import { createHash } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gcmEncrypt } from '../../src/crypto/aead.js';
import { encodeEnvelope, encodeHeader, formatSealedValue } from '../../src/crypto/envelope.js';
import {
  createKeyring,
  exportPublicKey,
  LocalKeyringProvider,
  parsePublicKey,
  retireKeyVersion,
  rotateKeyring,
  serializeKeyring,
  shredKeyVersion,
  type Keyring,
  type ScopeContext,
  type ScopeKind,
} from '../../src/crypto/index.js';
import { bindScope, deriveKeys, macSlot } from '../../src/crypto/key-schedule.js';
import { encodeScope } from '../../src/crypto/scope.js';
import { sealValueWith } from '../../src/crypto/seal.js';
import { TestKmsProvider } from './test-kms.js';

export interface Vector {
  name: string;
  /** Context the test opens with (for success vectors, the one sealed for). */
  context: ScopeContext;
  sealed: string;
  /** `local` (the test keyring) or `test-kms` (test/vectors/test-kms.ts). */
  provider: 'local' | 'test-kms';
  /** Present for values that open. */
  plaintextHex?: string;
  scope?: ScopeKind;
  method?: 'kek' | 'x25519';
  version?: number;
  /** The fixed inputs of the seal: the DEK, the body nonce, and the wrap nonce (kek) or ephemeral key (x25519). */
  dekHex?: string;
  nonceHex?: string;
  wrapNonceHex?: string;
  ephemeralPrivateKeyHex?: string;
  /** Present for values that must fail, with this code. */
  expectError?: string;
}

const KEYRING_FILE = new URL('./insecure-test-keyring.json', import.meta.url);
const VECTORS_FILE = new URL('./v1.json', import.meta.url);
const at = (date: string) => () => new Date(date);
const strict: ScopeContext = {
  namespace: 'payments',
  serviceAccount: 'api',
  name: 'api-secrets',
  key: 'DATABASE_PASSWORD',
};

/** The fixed input `what` of vector `name`: SHA-256("shroud:v1 vector|name|what"), cut to `size`. */
export function fixedBytes(name: string, what: string, size: number): Buffer {
  return createHash('sha256').update(`shroud:v1 vector|${name}|${what}`).digest().subarray(0, size);
}

/** The keyring as it was when version `version` was primary (to seal to an older version). */
export function withPrimary(keyring: Keyring, version: number): Keyring {
  return {
    ...keyring,
    versions: keyring.versions.map((v) => ({
      ...v,
      state: v.version === version ? 'primary' : v.state === 'primary' ? 'active' : v.state,
    })),
  };
}

async function main(): Promise<void> {
  if (!process.argv.includes('--force') && (existsSync(KEYRING_FILE) || existsSync(VECTORS_FILE))) {
    throw new Error('vectors exist and are frozen; pass --force only if you mean to break the format');
  }
  const vectors: Vector[] = [];
  let keyring = createKeyring({ now: at('2026-01-01T00:00:00Z') });

  async function seal(
    name: string,
    plaintext: Buffer,
    scope: ScopeKind,
    context: ScopeContext,
    method: 'kek' | 'x25519' | 'test-kms',
  ): Promise<Vector> {
    const dek = fixedBytes(name, 'dek', 32);
    const nonce = fixedBytes(name, 'nonce', 12);
    const v: Vector = {
      name,
      context,
      sealed: '',
      provider: method === 'test-kms' ? 'test-kms' : 'local',
      plaintextHex: plaintext.toString('hex'),
      scope,
      method: method === 'x25519' ? 'x25519' : 'kek',
      dekHex: dek.toString('hex'),
      nonceHex: nonce.toString('hex'),
    };
    const randomness = { dek: Buffer.from(dek), nonce: Buffer.from(nonce) };
    if (method === 'test-kms') {
      v.sealed = await sealValueWith(plaintext, { scope, context, provider: new TestKmsProvider() }, randomness);
      v.version = 7;
    } else if (method === 'kek') {
      const wrapNonce = fixedBytes(name, 'wrap-nonce', 12);
      v.wrapNonceHex = wrapNonce.toString('hex');
      const provider = new LocalKeyringProvider(keyring, { randomBytes: () => Buffer.from(wrapNonce) });
      v.sealed = await sealValueWith(plaintext, { scope, context, provider }, randomness);
    } else {
      const ephemeral = fixedBytes(name, 'ephemeral', 32);
      v.ephemeralPrivateKeyHex = ephemeral.toString('hex');
      const publicKey = parsePublicKey(exportPublicKey(keyring));
      v.sealed = await sealValueWith(
        plaintext,
        { scope, context, publicKey },
        { ...randomness, ephemeralPrivateKey: Buffer.from(ephemeral) },
      );
    }
    v.version ??= keyring.versions.find((k) => k.state === 'primary')!.version;
    vectors.push(v);
    return v;
  }

  // Version 1 (ends active): every scope kind, both wrap methods, edge plaintexts and padding buckets.
  await seal('v1-strict-kek-utf8', Buffer.from('correct horse battery staple'), 'strict', strict, 'kek');
  await seal('v1-namespace-kek', Buffer.from('namespace-wide token'), 'namespace', { namespace: 'payments' }, 'kek');
  await seal('v1-cluster-kek-binary', Buffer.from(Array.from({ length: 256 }, (_, i) => i)), 'cluster', {}, 'kek');
  await seal('v1-strict-x25519', Buffer.from('sealed offline with the public key'), 'strict', strict, 'x25519');
  await seal('v1-namespace-x25519', Buffer.from('team token'), 'namespace', { namespace: 'payments' }, 'x25519');
  await seal('v1-cluster-x25519', Buffer.from('cluster-wide value'), 'cluster', {}, 'x25519');
  await seal('v1-strict-kek-empty', Buffer.alloc(0), 'strict', { ...strict, key: 'EMPTY' }, 'kek');
  await seal('v1-cluster-kek-31-bytes-last-in-first-bucket', Buffer.alloc(31, 0x41), 'cluster', {}, 'kek');
  await seal('v1-cluster-kek-32-bytes-second-bucket', Buffer.alloc(32, 0x42), 'cluster', {}, 'kek');
  await seal('v1-cluster-kek-trailing-zero-bytes', Buffer.from([0x80, 0, 0]), 'cluster', {}, 'kek');

  // Version 2: sealed, then retired and shredded: these must report CRYPTO_KEY_DESTROYED forever.
  keyring = rotateKeyring(keyring, { now: at('2026-02-01T00:00:00Z') });
  const doomed = [
    await seal('v2-destroyed-kek', Buffer.from('shredded'), 'cluster', {}, 'kek'),
    await seal('v2-destroyed-x25519', Buffer.from('shredded too'), 'cluster', {}, 'x25519'),
  ];

  // Version 3 (ends primary).
  keyring = rotateKeyring(keyring, { now: at('2026-03-01T00:00:00Z') });
  await seal('v3-strict-kek-unicode-multiline', Buffer.from('línea 1\nzeile 2 ✓\n🔑\n'), 'strict', strict, 'kek');
  await seal(
    'v3-namespace-x25519-1KiB',
    Buffer.alloc(1024, 'shroud'),
    'namespace',
    { namespace: 'payments' },
    'x25519',
  );
  const moved = await seal('v3-strict-kek-for-scope-test', Buffer.from('bound to its key'), 'strict', strict, 'kek');

  // A remote-KMS-like provider: a long opaque key id, annotations, wrap AAD ignored.
  const kms = await seal(
    'kms-namespace-annotations',
    Buffer.from('wrapped by a KMS'),
    'namespace',
    { namespace: 'payments' },
    'test-kms',
  );

  keyring = shredKeyVersion(retireKeyVersion(keyring, 2), 2, { now: at('2026-03-02T00:00:00Z') });
  for (const v of doomed) {
    v.expectError = 'CRYPTO_KEY_DESTROYED';
    for (const field of ['plaintextHex', 'dekHex', 'nonceHex', 'wrapNonceHex', 'ephemeralPrivateKeyHex'] as const)
      delete v[field];
  }

  // Failure vectors: codes that must not change.
  const fail = (name: string, provider: Vector['provider'], context: ScopeContext, sealed: string, code: string) =>
    vectors.push({ name, provider, context, sealed, expectError: code });
  fail(
    'scope-moved-to-other-key',
    'local',
    { ...moved.context, key: 'OTHER_KEY' },
    moved.sealed,
    'CRYPTO_SCOPE_MISMATCH',
  );
  const body = Buffer.from(moved.sealed.slice('shroud:v1:'.length), 'base64url');
  body[body.length - 20]! ^= 0x01;
  fail('tampered-body', 'local', strict, `shroud:v1:${body.toString('base64url')}`, 'CRYPTO_INTEGRITY');
  fail('malformed-text', 'local', strict, 'shroud:v1:not*base64url', 'CRYPTO_MALFORMED');
  fail('future-version', 'local', strict, 'shroud:v2:AAAA', 'CRYPTO_UNSUPPORTED_VERSION');

  // The KMS value relabelled from version 7 to 8, with the corruption check recomputed: the
  // provider ignores the label, so only the slot MAC can refuse it.
  const relabelled = Buffer.from(kms.sealed.slice('shroud:v1:'.length), 'base64url');
  const versionAt = 64 + 1 + 1 + 'test-kms'.length + 2 + relabelled.readUInt16BE(64 + 2 + 'test-kms'.length);
  relabelled.writeUInt32BE(8, versionAt);
  const macEnd = relabelled.length - 16 - paddedBodyLength(kms) - 4;
  createHash('sha256').update(relabelled.subarray(0, macEnd)).digest().copy(relabelled, macEnd, 0, 4);
  fail(
    'kms-slot-relabelled',
    'test-kms',
    kms.context,
    `shroud:v1:${relabelled.toString('base64url')}`,
    'CRYPTO_INTEGRITY',
  );

  // Authentic, but padded past its bucket: the decoder accepts the length, the unpadding refuses it.
  fail('padding-not-canonical', 'local', {}, await sealWithPadding(keyring, 64), 'CRYPTO_MALFORMED');

  const stranger = createKeyring({ now: at('2026-01-01T00:00:00Z') });
  const foreign = await sealValueWith(
    'other keyring',
    { scope: 'cluster', context: {}, provider: new LocalKeyringProvider(stranger) },
    { dek: fixedBytes('other-keyring', 'dek', 32), nonce: fixedBytes('other-keyring', 'nonce', 12) },
  );
  fail('other-keyring', 'local', {}, foreign, 'CRYPTO_UNKNOWN_KEY');
  // The same keyring id and version number with other key material (a keyring restored from
  // another copy): refused by the key tag as an unknown key, not reported as tampering.
  const twin = withPrimary(
    { ...keyring, versions: [...createKeyring().versions.map((v) => ({ ...v, version: 3 }))] },
    3,
  );
  const forked = await sealValueWith(
    'forked keyring',
    { scope: 'cluster', context: {}, provider: new LocalKeyringProvider(twin) },
    { dek: fixedBytes('forked', 'dek', 32), nonce: fixedBytes('forked', 'nonce', 12) },
  );
  fail('same-version-other-key', 'local', {}, forked, 'CRYPTO_UNKNOWN_KEY');

  writeFileSync(KEYRING_FILE, serializeKeyring(keyring), { mode: 0o600 });
  const doc = {
    comment:
      'shroud:v1 known-answer vectors. Frozen: never regenerate. Key material is in insecure-test-keyring.json (TEST ONLY). Each success vector lists the fixed inputs it was sealed from; sealing again from them must give the same text.',
    keyring: 'insecure-test-keyring.json',
    vectors,
  };
  writeFileSync(VECTORS_FILE, `${JSON.stringify(doc, null, 2)}\n`);
  console.log(`wrote ${vectors.length} vectors to ${fileURLToPath(VECTORS_FILE)}`);
}

function paddedBodyLength(v: Vector): number {
  const bytes = Buffer.from(v.sealed.slice('shroud:v1:'.length), 'base64url');
  // Walk the slot: header, method, provider, key id, version, tag, annotations, wrapped.
  let o = 64 + 1;
  o += 1 + bytes[o]!;
  o += 2 + bytes.readUInt16BE(o);
  o += 4 + 16;
  o += 2 + bytes.readUInt16BE(o);
  o += 2 + bytes.readUInt16BE(o);
  return bytes.length - o - 32 - 4 - 16;
}

/** A value whose authenticated body is 10 bytes + 0x80 padded to `bucket` (not its own bucket, 32). */
async function sealWithPadding(keyring: Keyring, bucket: number): Promise<string> {
  const name = 'padding-not-canonical';
  const dek = fixedBytes(name, 'dek', 32);
  const nonce = fixedBytes(name, 'nonce', 12);
  const keys = deriveKeys(dek);
  const header = encodeHeader('cluster', keys.commitment, bindScope(keys.scopeKey, encodeScope('cluster', {})), nonce);
  const provider = new LocalKeyringProvider(keyring, { randomBytes: () => fixedBytes(name, 'wrap-nonce', 12) });
  const wrap = await provider.wrap({ dek, context: header });
  const padded = Buffer.alloc(bucket);
  Buffer.from('ten bytes!').copy(padded);
  padded[10] = 0x80;
  const { ciphertext, tag } = gcmEncrypt(keys.encKey, nonce, header, padded);
  const slot = { method: wrap.method, ref: wrap.ref, wrapped: Buffer.from(wrap.wrapped) };
  return formatSealedValue(encodeEnvelope(header, slot, (b) => macSlot(keys.slotKey, b), ciphertext, tag));
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) await main();
