/** Reading what a sealed value says about itself, without any key: for `keys rewrap`, tools and people. */
import { decodeSealedValue, type KeyRef, type WrapMethod } from './envelope.js';
import type { ScopeKind } from './scope.js';

/** Public facts of a sealed value. None of them is secret; none of them is verified. */
export interface EnvelopeInfo {
  formatVersion: 1;
  suite: 'AES-256-GCM+HKDF-SHA256';
  scope: ScopeKind;
  method: WrapMethod;
  key: KeyRef;
  /** Provider annotation names (values are provider data, not shown). */
  annotations: string[];
  /** The padded length: the plaintext is shorter, by how much is hidden (see README, length hiding). */
  paddedLength: number;
}

/**
 * Parses a sealed value for inspection. The facts are unauthenticated until the value is
 * opened: use them for display and routing (which keyring?), never for access decisions.
 * @throws CRYPTO_MALFORMED, CRYPTO_UNSUPPORTED_VERSION
 */
export function parseEnvelope(text: string): EnvelopeInfo {
  const env = decodeSealedValue(text);
  return {
    formatVersion: 1,
    suite: 'AES-256-GCM+HKDF-SHA256',
    scope: env.scope,
    method: env.slot.method,
    key: { ...env.slot.ref },
    annotations: Object.keys(env.slot.annotations ?? {}),
    paddedLength: env.ciphertext.length,
  };
}
