/**
 * Crypto benchmark: seal and unseal of 64 B, 1 KiB and 64 KiB against raw AES-256-GCM of the
 * same size measured in the same run, plus public-key sealing. The budget (DESIGN.md): a
 * cached unseal of 1 KiB within 2x a raw AES-GCM decrypt. Seal/unseal are async (the KEK
 * provider interface is), so their figures include an await per operation; raw GCM does not.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { createKeyring, DekCache, exportPublicKey, LocalKeyringProvider, openValue, parsePublicKey, sealValue } from '../src/crypto/index.js';
import { measure, measureAsync, printTable, type Measurement } from './harness.js';

const SIZES: [string, number][] = [
  ['64 B', 64],
  ['1 KiB', 1024],
  ['64 KiB', 65_536],
];

function rawGcm(size: number): { encrypt: () => Buffer; decrypt: () => Buffer } {
  const key = randomBytes(32);
  const nonce = randomBytes(12);
  const aad = randomBytes(64);
  const plaintext = randomBytes(size);
  const c = createCipheriv('aes-256-gcm', key, nonce);
  c.setAAD(aad);
  const ciphertext = Buffer.concat([c.update(plaintext), c.final()]);
  const tag = c.getAuthTag();
  return {
    encrypt: () => {
      const e = createCipheriv('aes-256-gcm', key, nonce);
      e.setAAD(aad);
      const out = Buffer.concat([e.update(plaintext), e.final()]);
      e.getAuthTag();
      return out;
    },
    decrypt: () => {
      const d = createDecipheriv('aes-256-gcm', key, nonce);
      d.setAAD(aad);
      d.setAuthTag(tag);
      return Buffer.concat([d.update(ciphertext), d.final()]);
    },
  };
}

/** Runs the crypto benchmark and prints its tables. */
export async function run(): Promise<void> {
  const keyring = createKeyring();
  const provider = new LocalKeyringProvider(keyring);
  const publicKey = parsePublicKey(exportPublicKey(keyring));
  const context = { namespace: 'shop', serviceAccount: 'web', name: 'web-secrets', key: 'API_KEY' };
  let budget: { ratio: number } | undefined;

  for (const [label, size] of SIZES) {
    const raw = rawGcm(size);
    const plaintext = randomBytes(size);
    const sealed = await sealValue(plaintext, { scope: 'strict', context, provider });
    const cache = new DekCache();
    await openValue(sealed, { provider, expected: context, cache });
    const rows: Measurement[] = [
      measure(`raw aes-256-gcm decrypt ${label}`, raw.decrypt),
      measure(`raw aes-256-gcm encrypt ${label}`, raw.encrypt),
      await measureAsync(`unseal cached DEK ${label}`, () => openValue(sealed, { provider, expected: context, cache })),
      await measureAsync(`unseal uncached ${label}`, () => openValue(sealed, { provider, expected: context })),
      await measureAsync(`seal (local KEK) ${label}`, () => sealValue(plaintext, { scope: 'strict', context, provider })),
    ];
    printTable(`seal/unseal ${label} (x = time relative to raw AES-256-GCM decrypt of the same size)`, rows, `raw aes-256-gcm decrypt ${label}`);
    if (size === 1024) budget = { ratio: rows[2]!.usPerOp / rows[0]!.usPerOp };
  }

  const raw1k = rawGcm(1024);
  const plain1k = randomBytes(1024);
  const pubSealed = await sealValue(plain1k, { scope: 'strict', context, publicKey });
  printTable(
    'public-key sealing 1 KiB (offline, X25519 + HKDF-SHA256)',
    [
      measure('raw aes-256-gcm encrypt 1 KiB', raw1k.encrypt),
      await measureAsync('seal (public key) 1 KiB', () => sealValue(plain1k, { scope: 'strict', context, publicKey })),
      await measureAsync('unseal uncached (x25519 slot) 1 KiB', () => openValue(pubSealed, { provider, expected: context })),
    ],
    'raw aes-256-gcm encrypt 1 KiB',
  );
  if (budget !== undefined) {
    console.log(`\nbudget: cached unseal of 1 KiB = ${budget.ratio.toFixed(2)}x raw AES-256-GCM decrypt (target <= 2x): ${budget.ratio <= 2 ? 'within' : 'OVER'}`);
  }
}
