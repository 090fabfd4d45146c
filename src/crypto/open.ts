/** Opening a sealed value: parse, unwrap (or hit the cache), commitment, body AEAD, scope. */
import { timingSafeEqual } from 'node:crypto';
import { isShroudError, ShroudError } from '../errors.js';
import { gcmDecrypt } from './aead.js';
import { zero } from './encoding.js';
import { decodeSealedValue, type Envelope, type KeyRef } from './envelope.js';
import type { CachedKeys, DekCache } from './dek-cache.js';
import { DEK_LEN, bindScope, deriveKeys, macSlot, zeroKeys, type DerivedKeys } from './key-schedule.js';
import { unpad } from './padding.js';
import { callProvider, type KekProvider, type ProviderCallOptions } from './provider.js';
import { encodeScope, hasScopeValues, scopeValues, type ScopeContext, type ScopeKind } from './scope.js';

/** How to open a value, and the context the opener has verified. */
export interface OpenOptions extends ProviderCallOptions {
  provider: KekProvider;
  /**
   * What the opener has verified itself (namespace and service account from the caller's
   * token, the ConfigMap name and key it was asked for). Never copy these from the envelope or
   * from anything the caller could choose. Pass every field you know: the envelope's scope
   * kind decides which must match.
   */
  expected: ScopeContext;
  /** Cache of DEK-derived keys; without it every open calls the provider. */
  cache?: DekCache;
  /** Scope kinds accepted here (default: all). A value of another kind fails with CRYPTO_SCOPE_MISMATCH. */
  allowedScopes?: readonly ScopeKind[];
}

/** An opened value. The caller zeroes `plaintext` when done with it (the rest of its buffer is padding). */
export interface OpenedValue {
  plaintext: Buffer;
  /** Key version the value was sealed under. */
  key: KeyRef;
  scope: ScopeKind;
}

const integrity = () =>
  new ShroudError('CRYPTO_INTEGRITY', 'sealed value failed authentication (altered, or sealed under another key)');

/**
 * Unwraps an envelope's DEK with the provider and derives its keys, checked against the key
 * commitment. The caller owns (and zeroes) both.
 * @throws CRYPTO_UNKNOWN_KEY, CRYPTO_KEY_DESTROYED, CRYPTO_INTEGRITY, CRYPTO_PROVIDER_*
 */
export async function unwrapEnvelopeDek(
  env: Envelope,
  provider: KekProvider,
  options: ProviderCallOptions,
): Promise<{ dek: Buffer; keys: DerivedKeys }> {
  const { ref } = env.slot;
  if (ref.provider !== provider.id) {
    throw new ShroudError(
      'CRYPTO_UNKNOWN_KEY',
      `sealed with KEK provider "${ref.provider}", but this one is "${provider.id}"`,
      { details: { ...ref } },
    );
  }
  const unwrapped = await callProvider(
    provider.id,
    (signal) => provider.unwrap({ slot: env.slot, context: env.header, signal }),
    options,
  );
  const dek = Buffer.from(unwrapped.buffer, unwrapped.byteOffset, unwrapped.byteLength);
  if (dek.length !== DEK_LEN) {
    zero(dek);
    throw integrity();
  }
  const keys = deriveKeys(dek);
  // Key commitment first (constant time): a DEK that is not the one sealed never reaches GCM.
  // Then the slot MAC: a slot relabelled by anyone without the DEK (another version, key id,
  // annotations) fails here even when the provider ignored the wrap's associated data.
  if (
    !timingSafeEqual(keys.commitment, env.commitment) ||
    !timingSafeEqual(macSlot(keys.slotKey, env.headerAndSlot), env.slotMac)
  ) {
    zero(dek);
    zeroKeys(keys);
    throw integrity();
  }
  return { dek, keys };
}

async function unwrapEnvelopeKeys(
  env: Envelope,
  provider: KekProvider,
  options: ProviderCallOptions,
): Promise<DerivedKeys> {
  const { dek, keys } = await unwrapEnvelopeDek(env, provider, options);
  zero(dek);
  return keys;
}

/** Generations of providers without keyGeneration: the provider object itself, by number (no strong reference). */
const objectGenerations = new WeakMap<KekProvider, string>();
let objectCount = 0;

/**
 * The provider's current generation for `ref` (see KekProvider.keyGeneration); a provider
 * without one gets a token of its own object. Untyped failures become CRYPTO_PROVIDER_UNAVAILABLE.
 */
function keyGeneration(provider: KekProvider, ref: KeyRef): string | number {
  if (provider.keyGeneration === undefined) {
    let token = objectGenerations.get(provider);
    if (token === undefined) {
      token = `provider-object#${++objectCount}`;
      objectGenerations.set(provider, token);
    }
    return token;
  }
  try {
    return provider.keyGeneration(ref);
  } catch (err) {
    if (isShroudError(err) && (err.code === 'CRYPTO_UNKNOWN_KEY' || err.code === 'CRYPTO_KEY_DESTROYED')) throw err;
    throw new ShroudError('CRYPTO_PROVIDER_UNAVAILABLE', `KEK provider "${provider.id}" failed a key check`, {
      cause: err,
      details: { provider: provider.id },
    });
  }
}

/**
 * Opens a sealed value.
 * @throws CRYPTO_MALFORMED, CRYPTO_UNSUPPORTED_VERSION, CRYPTO_UNKNOWN_KEY, CRYPTO_KEY_DESTROYED,
 *   CRYPTO_INTEGRITY (altered or wrong key, indistinguishable), CRYPTO_SCOPE_MISMATCH,
 *   CRYPTO_SCOPE_INVALID (`expected` lacks a field the value's scope binds),
 *   CRYPTO_PROVIDER_TIMEOUT, CRYPTO_PROVIDER_UNAVAILABLE
 */
export async function openValue(text: string, options: OpenOptions): Promise<OpenedValue> {
  const env = decodeSealedValue(text);
  if (options.allowedScopes !== undefined && !options.allowedScopes.includes(env.scope)) {
    throw new ShroudError(
      'CRYPTO_SCOPE_MISMATCH',
      `sealed value has scope "${env.scope}", which is not accepted here`,
      {
        details: { scope: env.scope },
      },
    );
  }
  const { cache, provider } = options;
  // A hit is used without an await in between: another open's cache.set may evict and zero
  // its keys at the next await.
  const hit = cache?.get(env.digest);
  if (hit !== undefined) {
    // Served only while this provider vouches for the key version under the same generation
    // (throws CRYPTO_KEY_DESTROYED / CRYPTO_UNKNOWN_KEY when it no longer does).
    let current: string | number | undefined;
    try {
      current = provider.id === env.slot.ref.provider ? keyGeneration(provider, env.slot.ref) : undefined;
    } catch (err) {
      cache!.delete(env.digest);
      throw err;
    }
    if (current !== undefined && current === hit.generation) return openWithKeys(env, hit.keys, options.expected, hit);
    cache!.delete(env.digest);
  }
  // Validate the opener's context before spending a provider call on it.
  const scopeBytes = encodeScope(env.scope, options.expected);
  // Taken before the unwrap: a key change during the await leaves the entry stale, never fresh.
  const generation =
    cache !== undefined && provider.id === env.slot.ref.provider ? keyGeneration(provider, env.slot.ref) : undefined;
  const keys = await unwrapEnvelopeKeys(env, provider, options);
  let opened: OpenedValue;
  try {
    opened = openWithKeys(env, keys, options.expected, undefined, scopeBytes);
  } catch (err) {
    zeroKeys(keys);
    throw err;
  }
  if (cache !== undefined && generation !== undefined) {
    cache.set(env.digest, env.slot.ref, keys, generation).verifiedScope = scopeValues(env.scope, options.expected);
  } else {
    zeroKeys(keys);
  }
  return opened;
}

/**
 * Decrypts the body and checks the scope binding. The header (scope binding included) is the
 * AAD, so once the tag verifies the binding is authentic and a mismatch means a wrong scope,
 * not tampering. A cache hit needs no commitment check: the digest covers the header with its
 * commitment, and the entry was stored after that commitment verified.
 */
function openWithKeys(
  env: Envelope,
  keys: DerivedKeys,
  expected: ScopeContext,
  hit?: CachedKeys,
  scopeBytes?: Buffer,
): OpenedValue {
  const padded = gcmDecrypt(keys.encKey, env.nonce, env.header, env.ciphertext, env.tag);
  let plaintext: Buffer;
  try {
    plaintext = unpad(padded);
    if (hit === undefined || !hasScopeValues(hit.verifiedScope, env.scope, expected)) {
      const bytes = scopeBytes ?? encodeScope(env.scope, expected);
      if (!timingSafeEqual(bindScope(keys.scopeKey, bytes), env.scopeBinding)) {
        throw new ShroudError('CRYPTO_SCOPE_MISMATCH', scopeMessage(env.scope), { details: { scope: env.scope } });
      }
      if (hit !== undefined) hit.verifiedScope = scopeValues(env.scope, expected);
    }
  } catch (err) {
    zero(padded);
    throw err;
  }
  return { plaintext, key: { ...(hit?.ref ?? env.slot.ref) }, scope: env.scope };
}

function scopeMessage(scope: ScopeKind): string {
  return scope === 'strict'
    ? 'sealed value belongs to another namespace, service account, ConfigMap name or key (scope strict)'
    : 'sealed value belongs to another namespace (scope namespace)';
}
