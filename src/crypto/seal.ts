/** Sealing a value: fresh DEK, key schedule, body AEAD, DEK wrapped by a provider or a public key. */
import { randomBytes } from 'node:crypto';
import { ShroudError } from '../errors.js';
import { gcmEncrypt } from './aead.js';
import { zero } from './encoding.js';
import { NONCE_LEN, encodeEnvelope, encodeHeader, formatSealedValue, type KeySlot } from './envelope.js';
import { DEK_LEN, bindScope, deriveKeys, zeroKeys } from './key-schedule.js';
import { callProvider, type KekProvider, type ProviderCallOptions } from './provider.js';
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
 * Seals a value into one line of text, `shroud:v1:...`, safe to commit.
 * @throws CRYPTO_SCOPE_INVALID, CRYPTO_PUBLIC_KEY_INVALID, CRYPTO_PROVIDER_TIMEOUT,
 *   CRYPTO_PROVIDER_UNAVAILABLE (and a TypeError when neither or both targets are given)
 */
export async function sealValue(plaintext: string | Uint8Array, options: SealOptions): Promise<string> {
  if ((options.provider === undefined) === (options.publicKey === undefined)) {
    throw new TypeError('sealValue needs exactly one of provider and publicKey');
  }
  const scopeBytes = encodeScope(options.scope, options.context);
  const data = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext;
  const dek = randomBytes(DEK_LEN);
  const keys = deriveKeys(dek);
  try {
    const nonce = randomBytes(NONCE_LEN);
    const header = encodeHeader(options.scope, keys.commitment, bindScope(keys.scopeKey, scopeBytes), nonce);
    let slot: KeySlot;
    if (options.publicKey !== undefined) {
      const { ref, publicKey } = options.publicKey;
      slot = { method: 'x25519', ref, wrapped: sealDekToPublicKey(publicKey, ref, dek, header) };
    } else {
      const provider = options.provider!;
      const result = await callProvider(
        provider.id,
        (signal) => provider.wrap({ dek, context: header, signal }),
        options,
      );
      if (result.ref.provider !== provider.id) {
        throw new ShroudError(
          'CRYPTO_PROVIDER_UNAVAILABLE',
          `KEK provider "${provider.id}" answered for another provider`,
        );
      }
      slot = { method: result.method, ref: result.ref, wrapped: Buffer.from(result.wrapped) };
    }
    const { ciphertext, tag } = gcmEncrypt(keys.encKey, nonce, header, data);
    return formatSealedValue(encodeEnvelope(header, slot, ciphertext, tag));
  } finally {
    zero(dek);
    zeroKeys(keys);
  }
}
