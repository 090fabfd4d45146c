/**
 * Rewrapping: move a sealed value to the provider's primary key version by replacing only its
 * key slot (and the slot MAC, recomputed under the same DEK). The DEK, header, body and tag stay
 * byte-identical (the body's AAD is the 64-byte header, which does not contain the key slot), so
 * rotation never re-encrypts data and the diff of a rewritten file is the key slot of each value.
 */
import { gcmDecrypt } from './aead.js';
import { zero } from './encoding.js';
import { decodeSealedValue, encodeEnvelope, formatSealedValue, type KeyRef } from './envelope.js';
import { macSlot, zeroKeys } from './key-schedule.js';
import { unwrapEnvelopeDek } from './open.js';
import { callProvider, type KekProvider, type ProviderCallOptions } from './provider.js';
import { slotOf } from './seal.js';

/** Rewrap target and call limits. */
export interface RewrapOptions extends ProviderCallOptions {
  provider: KekProvider;
}

/** The outcome of a rewrap. */
export interface RewrapResult {
  /** The new text, or the input unchanged. */
  value: string;
  changed: boolean;
  from: KeyRef;
  to: KeyRef;
}

function sameRef(a: KeyRef, b: KeyRef): boolean {
  return a.provider === b.provider && a.keyId === b.keyId && a.version === b.version && a.keyTag === b.keyTag;
}

/**
 * Rewraps a value's DEK under the provider's primary version. Values already under the primary
 * version (by KEK or public key) are returned unchanged. Every value, unchanged or not, is
 * authenticated first (DEK unwrapped, commitment and tag checked), so a damaged value is
 * reported, never rewritten or passed as current.
 * @throws CRYPTO_MALFORMED, CRYPTO_UNSUPPORTED_VERSION, CRYPTO_UNKNOWN_KEY, CRYPTO_KEY_DESTROYED,
 *   CRYPTO_INTEGRITY, CRYPTO_PROVIDER_TIMEOUT, CRYPTO_PROVIDER_UNAVAILABLE
 */
export async function rewrapValue(text: string, options: RewrapOptions): Promise<RewrapResult> {
  const { provider } = options;
  const env = decodeSealedValue(text);
  const status = await callProvider(provider.id, (signal) => provider.status({ signal }), options);
  const from = { ...env.slot.ref };
  // Every value is authenticated, including one already under the primary version: "unchanged"
  // vouches that the value opens, so a damaged value is never passed over silently.
  const { dek, keys } = await unwrapEnvelopeDek(env, provider, options);
  try {
    // The tag covers the header and body; the scope context is not needed to check it.
    zero(gcmDecrypt(keys.encKey, env.nonce, env.header, env.ciphertext, env.tag));
    if (status.primary !== undefined && sameRef(from, status.primary)) {
      return { value: text, changed: false, from, to: from };
    }
    const result = await callProvider(
      provider.id,
      (signal) => provider.wrap({ dek, context: env.header, signal }),
      options,
    );
    const slot = slotOf(result, provider.id);
    const to = { ...slot.ref };
    if (sameRef(from, to) && slot.method === env.slot.method) return { value: text, changed: false, from, to };
    // A new key slot gets a new slot MAC under the same DEK; the header and body stay as they were.
    const bytes = encodeEnvelope(env.header, slot, (b) => macSlot(keys.slotKey, b), env.ciphertext, env.tag);
    return { value: formatSealedValue(bytes), changed: true, from, to };
  } finally {
    zero(dek);
    zeroKeys(keys);
  }
}
