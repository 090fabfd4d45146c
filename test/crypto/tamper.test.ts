/**
 * Any change to a sealed value fails with CRYPTO_INTEGRITY or CRYPTO_MALFORMED: never opens to
 * garbage, never another error type (a corrupted key reference is caught by the header check
 * before it could be reported as an unknown key).
 */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import { isShroudError } from '../../src/errors.js';
import {
  createKeyring,
  exportPublicKey,
  LocalKeyringProvider,
  openValue,
  parsePublicKey,
  sealValue,
} from '../../src/crypto/index.js';

const keyring = createKeyring();
const provider = new LocalKeyringProvider(keyring);
const publicKey = parsePublicKey(exportPublicKey(keyring));
const context = { namespace: 'ns', serviceAccount: 'sa', name: 'cm', key: 'k' };
const ALLOWED = new Set(['CRYPTO_INTEGRITY', 'CRYPTO_MALFORMED']);

async function failsCleanly(text: string): Promise<boolean> {
  try {
    await openValue(text, { provider, expected: context });
    return false;
  } catch (err) {
    return isShroudError(err) && ALLOWED.has(err.code);
  }
}

function toText(bytes: Buffer): string {
  return `shroud:v1:${bytes.toString('base64url')}`;
}

const sealedFixtures = async () => [
  await sealValue('s3cr3t', { scope: 'strict', context, provider }),
  await sealValue('s3cr3t', { scope: 'strict', context, publicKey }),
  await sealValue('', { scope: 'cluster', context: {}, provider }),
];

test('every single bit flip of a small value fails cleanly (exhaustive)', async () => {
  for (const sealed of await sealedFixtures()) {
    const bytes = Buffer.from(sealed.slice(10), 'base64url');
    for (let bit = 0; bit < bytes.length * 8; bit++) {
      const copy = Buffer.from(bytes);
      copy[bit >> 3]! ^= 1 << (bit & 7);
      assert.ok(await failsCleanly(toText(copy)), `bit ${bit} of ${bytes.length * 8}`);
    }
  }
});

const plaintexts = fc.uint8Array({ minLength: 0, maxLength: 300 });

test('property: a flipped bit anywhere fails with INTEGRITY or MALFORMED', async () => {
  await fc.assert(
    fc.asyncProperty(plaintexts, fc.boolean(), fc.nat(), async (plaintext, byKek, at) => {
      const sealed = await sealValue(plaintext, {
        scope: 'strict',
        context,
        ...(byKek ? { provider } : { publicKey }),
      });
      const bytes = Buffer.from(sealed.slice(10), 'base64url');
      const bit = at % (bytes.length * 8);
      bytes[bit >> 3]! ^= 1 << (bit & 7);
      return failsCleanly(toText(bytes));
    }),
    { numRuns: 200 },
  );
});

test('property: any truncation fails with INTEGRITY or MALFORMED', async () => {
  await fc.assert(
    fc.asyncProperty(plaintexts, fc.nat(), async (plaintext, at) => {
      const sealed = await sealValue(plaintext, { scope: 'strict', context, provider });
      const bytes = Buffer.from(sealed.slice(10), 'base64url');
      return failsCleanly(toText(bytes.subarray(0, at % bytes.length)));
    }),
    { numRuns: 200 },
  );
});

test('property: any appended bytes fail with INTEGRITY or MALFORMED', async () => {
  await fc.assert(
    fc.asyncProperty(plaintexts, fc.uint8Array({ minLength: 1, maxLength: 64 }), async (plaintext, extra) => {
      const sealed = await sealValue(plaintext, { scope: 'strict', context, provider });
      const bytes = Buffer.from(sealed.slice(10), 'base64url');
      return failsCleanly(toText(Buffer.concat([bytes, extra])));
    }),
    { numRuns: 200 },
  );
});

test('property: any changed character of the text fails with INTEGRITY or MALFORMED', async () => {
  const sealed = await sealValue('text-level', { scope: 'strict', context, provider });
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/ .*\n';
  await fc.assert(
    fc.asyncProperty(fc.nat(), fc.nat(), async (at, pick) => {
      const i = 10 + (at % (sealed.length - 10));
      let c = alphabet[pick % alphabet.length]!;
      if (c === sealed[i]) c = c === 'A' ? 'B' : 'A';
      return failsCleanly(sealed.slice(0, i) + c + sealed.slice(i + 1));
    }),
    { numRuns: 300 },
  );
});

test('text that is not a shroud value is CRYPTO_MALFORMED; another version is CRYPTO_UNSUPPORTED_VERSION', async () => {
  for (const text of ['', 'shroud:v1:', 'shroud:v1', 'hello', 'SHROUD:V1:AAAA', 'shroud:v1:AAAA']) {
    await assert.rejects(openValue(text, { provider, expected: context }), (e: unknown) =>
      isShroudError(e, 'CRYPTO_MALFORMED'),
    );
  }
  await assert.rejects(openValue('shroud:v9:AAAA', { provider, expected: context }), (e: unknown) =>
    isShroudError(e, 'CRYPTO_UNSUPPORTED_VERSION'),
  );
});
