/** Sealing a value: fresh DEK, key schedule, body AEAD, DEK wrapped by a provider or a public key. */
import { randomBytes } from 'node:crypto';
import { ShroudError } from '../errors.js';
import { gcmEncrypt } from './aead.js';
import { zero } from './encoding.js';
import { NONCE_LEN, encodeEnvelope, encodeHeader, encodeSlot, formatSealedValue, type KeySlot } from './envelope.js';
import { DEK_LEN, bindScope, deriveKeys, macSlot, zeroKeys } from './key-schedule.js';
import { pad } from './padding.js';
import { callProvider, type KekProvider, type ProviderCallOptions, type WrapResult } from './provider.js';
import type { PublicSealingKey } from './public-key.js';
import { encodeScope, type ScopeContext, type ScopeKind } from './scope.js';
import { sealDekToPublicKey } from './x25519.js';

/** What to seal to and for where. Give exactly one of `provider` and `publicKey`. */
export interface SealOptions extends ProviderCallOptions {
  /** Scope kind; `context` must carry the fields it binds (see ScopeKind). */
  scope: ScopeKind;
  context: ScopeContext;
  /** Wrap the DEK with this provider's primary key version (needs the secret side). */
  provider?: KekProvider;
  /** Seal the DEK to this public key: offline, no secret needed (CI, developers). */
  publicKey?: PublicSealingKey;
}

/**
 * The random inputs of one seal. Only the known-answer vectors (test/vectors) fix them, so that
 * another implementation can be checked byte for byte; sealValue draws them fresh.
 */
export interface SealRandomness {
  /** 32 bytes. */
  dek: Buffer;
  /** 12 bytes: the body nonce. */
  nonce: Buffer;
  /** 32 bytes: the ephemeral X25519 private key of a public-key seal. */
  ephemeralPrivateKey?: Buffer;
}

/**
 * Seals a value into one line of text, `shroud:v1:...`, safe to commit.
 * @throws CRYPTO_SCOPE_INVALID, CRYPTO_PUBLIC_KEY_INVALID, CRYPTO_PROVIDER_TIMEOUT,
 *   CRYPTO_PROVIDER_UNAVAILABLE (and a TypeError when neither or both targets are given)
 */
export async function sealValue(plaintext: string | Uint8Array, options: SealOptions): Promise<string> {
  return sealValueWith(plaintext, options, { dek: randomBytes(DEK_LEN), nonce: randomBytes(NONCE_LEN) });
}

/**
 * sealValue with given random inputs: for known-answer tests only (a repeated DEK or nonce
 * breaks every guarantee). Not exported from the library's index.
 */
export async function sealValueWith(
  plaintext: string | Uint8Array,
  options: SealOptions,
  randomness: SealRandomness,
): Promise<string> {
  if ((options.provider === undefined) === (options.publicKey === undefined)) {
    throw new TypeError('sealValue needs exactly one of provider and publicKey');
  }
  const scopeBytes = encodeScope(options.scope, options.context);
  const data = pad(typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext);
  const { dek, nonce } = randomness;
  const keys = deriveKeys(dek);
  try {
    const header = encodeHeader(options.scope, keys.commitment, bindScope(keys.scopeKey, scopeBytes), nonce);
    let slot: KeySlot;
    if (options.publicKey !== undefined) {
      const { ref, publicKey } = options.publicKey;
      const wrapped = sealDekToPublicKey(publicKey, ref, dek, header, randomness.ephemeralPrivateKey);
      slot = { method: 'x25519', ref, wrapped };
    } else {
      const provider = options.provider!;
      const result = await callProvider(
        provider.id,
        (signal) => provider.wrap({ dek, context: header, signal }),
        options,
      );
      slot = slotOf(result, provider.id);
    }
    const { ciphertext, tag } = gcmEncrypt(keys.encKey, nonce, header, data);
    return formatSealedValue(encodeEnvelope(header, slot, (bytes) => macSlot(keys.slotKey, bytes), ciphertext, tag));
  } finally {
    zero(dek, data);
    zeroKeys(keys);
  }
}

/**
 * A provider's wrap result as a key slot (copies, so the provider's buffers are not kept).
 * @throws CRYPTO_PROVIDER_UNAVAILABLE when the answer names another provider or does not fit the format (a key id over
 *   1 KiB, annotations over 32 KiB, a wrapped DEK over 4096 bytes...): the provider is at fault
 */
export function slotOf(result: WrapResult, providerId: string): KeySlot {
  if (result.ref?.provider !== providerId) {
    throw new ShroudError('CRYPTO_PROVIDER_UNAVAILABLE', `KEK provider "${providerId}" answered for another provider`);
  }
  const slot: KeySlot = { method: result.method, ref: { ...result.ref }, wrapped: Buffer.from(result.wrapped) };
  if (result.annotations !== undefined && Object.keys(result.annotations).length > 0) {
    slot.annotations = { ...result.annotations };
  }
  try {
    encodeSlot(slot);
  } catch (cause) {
    throw new ShroudError(
      'CRYPTO_PROVIDER_UNAVAILABLE',
      `KEK provider "${providerId}" answered with a key slot the shroud:v1 format cannot hold (${(cause as Error).message})`,
      { cause, details: { provider: providerId } },
    );
  }
  return slot;
}
