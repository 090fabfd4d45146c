/**
 * Crypto benchmark: seal and unseal of 64 B, 1 KiB and 64 KiB against raw AES-256-GCM of the
 * same size measured in the same run, plus public-key sealing. The budget (DESIGN.md): a
 * cached unseal of 1 KiB within 2x a raw AES-GCM decrypt. Seal/unseal are async (the KEK
 * provider interface is), so their figures include an await per operation; raw GCM does not.
 *
 * The machine is shared and its load swings (other test runs), so each case is measured in
 * several short rounds interleaved with its baseline, and the fastest round of each is kept:
 * the ratio then compares both at the same (least disturbed) moment of the run.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import {
  createKeyring,
  DekCache,
  exportPublicKey,
  LocalKeyringProvider,
  openValue,
  parsePublicKey,
  sealValue,
} from '../src/crypto/index.js';
import { measure, measureAsync, printTable, type Measurement } from './harness.js';

const ROUNDS = 5;
type Case = { name: string; sync?: () => unknown; async?: () => Promise<unknown> };

/** Measures the cases in ROUNDS interleaved rounds and keeps each one's fastest round. */
async function bestOf(cases: Case[]): Promise<Measurement[]> {
  const best = new Map<string, Measurement>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const c of cases) {
      const m =
        c.sync !== undefined
          ? measure(c.name, c.sync, { timeMs: 150, warmupMs: 30 })
          : await measureAsync(c.name, c.async!, { timeMs: 150, warmupMs: 30 });
      const prev = best.get(c.name);
      if (prev === undefined || m.usPerOp < prev.usPerOp) best.set(c.name, m);
    }
  }
  return cases.map((c) => best.get(c.name)!);
}

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
    const rows = await bestOf([
      { name: `raw aes-256-gcm decrypt ${label}`, sync: raw.decrypt },
      { name: `raw aes-256-gcm encrypt ${label}`, sync: raw.encrypt },
      { name: `unseal cached DEK ${label}`, async: () => openValue(sealed, { provider, expected: context, cache }) },
      { name: `unseal uncached ${label}`, async: () => openValue(sealed, { provider, expected: context }) },
      { name: `seal (local KEK) ${label}`, async: () => sealValue(plaintext, { scope: 'strict', context, provider }) },
    ]);
    printTable(
      `seal/unseal ${label} (x = time relative to raw AES-256-GCM decrypt of the same size)`,
      rows,
      `raw aes-256-gcm decrypt ${label}`,
    );
    if (size === 1024) budget = { ratio: rows[2]!.usPerOp / rows[0]!.usPerOp };
  }

  const raw1k = rawGcm(1024);
  const plain1k = randomBytes(1024);
  const pubSealed = await sealValue(plain1k, { scope: 'strict', context, publicKey });
  printTable(
    'public-key sealing 1 KiB (offline, X25519 + HKDF-SHA256)',
    await bestOf([
      { name: 'raw aes-256-gcm encrypt 1 KiB', sync: raw1k.encrypt },
      { name: 'seal (public key) 1 KiB', async: () => sealValue(plain1k, { scope: 'strict', context, publicKey }) },
      {
        name: 'unseal uncached (x25519 slot) 1 KiB',
        async: () => openValue(pubSealed, { provider, expected: context }),
      },
    ]),
    'raw aes-256-gcm encrypt 1 KiB',
  );
  if (budget !== undefined) {
    console.log(
      `\nbudget: cached unseal of 1 KiB = ${budget.ratio.toFixed(2)}x raw AES-256-GCM decrypt (target <= 2x): ${budget.ratio <= 2 ? 'within' : 'OVER'}`,
    );
  }
}
