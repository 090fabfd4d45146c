/**
 * Generates the frozen known-answer vectors of the shroud:v1 format: run ONCE, commit the
 * output, never regenerate to make a failing test pass (that would hide a format break that
 * strands every value already in git). Refuses to overwrite unless given --force.
 *
 *   npx tsx test/vectors/generate.ts [--force]
 *
 * Writes insecure-test-keyring.json (TEST MATERIAL ONLY: its keys are public in this
 * repository and protect nothing) and v1.json (sealed values, their contexts, plaintexts, DEKs,
 * and the errors some must produce).
 */
import { existsSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  createKeyring,
  LocalKeyringProvider,
  parsePublicKey,
  exportPublicKey,
  retireKeyVersion,
  rotateKeyring,
  sealValue,
  serializeKeyring,
  shredKeyVersion,
  type ScopeContext,
  type ScopeKind,
} from '../../src/crypto/index.js';
import { decodeSealedValue } from '../../src/crypto/envelope.js';
import { unwrapEnvelopeDek } from '../../src/crypto/open.js';

export interface Vector {
  name: string;
  /** Context the test opens with (for success vectors, the one sealed for). */
  context: ScopeContext;
  sealed: string;
  /** Present for values that open. */
  plaintextHex?: string;
  scope?: ScopeKind;
  method?: 'kek' | 'x25519';
  version?: number;
  /** The DEK the provider must unwrap (known-answer for the key schedule). */
  dekHex?: string;
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
    method: 'kek' | 'x25519',
  ): Promise<Vector> {
    const provider = new LocalKeyringProvider(keyring);
    const target = method === 'kek' ? { provider } : { publicKey: parsePublicKey(exportPublicKey(keyring)) };
    const sealed = await sealValue(plaintext, { scope, context, ...target });
    const env = decodeSealedValue(sealed);
    const { dek } = await unwrapEnvelopeDek(env, provider, {});
    const v: Vector = {
      name,
      context,
      sealed,
      plaintextHex: plaintext.toString('hex'),
      scope,
      method,
      version: env.slot.ref.version,
      dekHex: dek.toString('hex'),
    };
    vectors.push(v);
    return v;
  }

  // Version 1 (ends active): every scope kind, both wrap methods, edge plaintexts.
  await seal('v1-strict-kek-utf8', Buffer.from('correct horse battery staple'), 'strict', strict, 'kek');
  await seal('v1-namespace-kek', Buffer.from('namespace-wide token'), 'namespace', { namespace: 'payments' }, 'kek');
  await seal('v1-cluster-kek-binary', Buffer.from(Array.from({ length: 256 }, (_, i) => i)), 'cluster', {}, 'kek');
  await seal('v1-strict-x25519', Buffer.from('sealed offline with the public key'), 'strict', strict, 'x25519');
  await seal('v1-strict-kek-empty', Buffer.alloc(0), 'strict', { ...strict, key: 'EMPTY' }, 'kek');

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

  keyring = shredKeyVersion(retireKeyVersion(keyring, 2), 2, { now: at('2026-03-02T00:00:00Z') });
  for (const v of doomed) {
    v.expectError = 'CRYPTO_KEY_DESTROYED';
    delete v.plaintextHex;
    delete v.dekHex;
  }

  // Failure vectors: codes that must not change.
  vectors.push({
    name: 'scope-moved-to-other-key',
    context: { ...moved.context, key: 'OTHER_KEY' },
    sealed: moved.sealed,
    expectError: 'CRYPTO_SCOPE_MISMATCH',
  });
  const body = Buffer.from(moved.sealed.slice('shroud:v1:'.length), 'base64url');
  body[body.length - 20]! ^= 0x01;
  vectors.push({
    name: 'tampered-body',
    context: strict,
    sealed: `shroud:v1:${body.toString('base64url')}`,
    expectError: 'CRYPTO_INTEGRITY',
  });
  vectors.push({
    name: 'malformed-text',
    context: strict,
    sealed: 'shroud:v1:not*base64url',
    expectError: 'CRYPTO_MALFORMED',
  });
  vectors.push({
    name: 'future-version',
    context: strict,
    sealed: 'shroud:v2:AAAA',
    expectError: 'CRYPTO_UNSUPPORTED_VERSION',
  });
  const stranger = createKeyring({ now: at('2026-01-01T00:00:00Z') });
  const foreign = await sealValue('other keyring', {
    scope: 'cluster',
    context: {},
    provider: new LocalKeyringProvider(stranger),
  });
  vectors.push({ name: 'other-keyring', context: {}, sealed: foreign, expectError: 'CRYPTO_UNKNOWN_KEY' });

  writeFileSync(KEYRING_FILE, serializeKeyring(keyring), { mode: 0o600 });
  const doc = {
    comment:
      'shroud:v1 known-answer vectors. Frozen: never regenerate. Key material is in insecure-test-keyring.json (TEST ONLY).',
    keyring: 'insecure-test-keyring.json',
    vectors,
  };
  writeFileSync(VECTORS_FILE, `${JSON.stringify(doc, null, 2)}\n`);
  console.log(`wrote ${vectors.length} vectors to ${fileURLToPath(VECTORS_FILE)}`);
}

await main();
