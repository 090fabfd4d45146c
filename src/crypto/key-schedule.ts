/**
 * The key schedule: what is derived from a DEK and how scope and key references are bound.
 *
 * AES-GCM is not key-committing: one ciphertext can be made to open under two different keys
 * (Albertini et al., "How to Abuse and Fix Authenticated Encryption Without Key Commitment",
 * USENIX Security 2022). So the body is never encrypted under the DEK itself: one HKDF-SHA256
 * call (RFC 5869) expands the DEK into an encryption key, a 32-byte commitment stored in the
 * header and compared before decrypting, a scope key and a slot key. Finding two DEKs with the
 * same commitment means an HMAC-SHA256 collision. The derivation depends on the DEK only, so a
 * rewrap (same DEK, new key slot and slot MAC) leaves the body, the commitment and the scope
 * binding as they were, and a cache keyed by the envelope's digest can hold the derived keys.
 *
 * The slot MAC binds the key slot (method, provider, key id, version, key tag, annotations,
 * wrapped DEK) to the DEK whatever the provider does with the wrap's associated data: a KMS that
 * ignores it cannot let a slot be relabelled, because nobody without the DEK can recompute the MAC.
 */
import { createHmac, hkdfSync } from 'node:crypto';
import { ShroudError } from '../errors.js';
import { zero } from './encoding.js';
import { COMMITMENT_LEN, SCOPE_BINDING_LEN, encodeKeyRef, type KeyRef, type WrapMethod } from './envelope.js';

/** A DEK is 32 random bytes (AES-256 strength), fresh for every sealed value. */
export const DEK_LEN = 32;
const SALT = Buffer.from('shroud:v1:hkdf-salt', 'ascii');
const INFO = Buffer.from('shroud:v1:aes-256-gcm-key|commitment|scope-key|slot-key', 'ascii');

/** What a DEK expands into. Holders zero these buffers when they drop them. */
export interface DerivedKeys {
  /** AES-256-GCM key of the body. */
  encKey: Buffer;
  /** Key commitment, stored in the header and compared (constant time) before decrypting. */
  commitment: Buffer;
  /** HMAC key for the scope binding. */
  scopeKey: Buffer;
  /** HMAC key for the slot MAC. */
  slotKey: Buffer;
}

/** Expands a 32-byte DEK with HKDF-SHA256 into the body key, the commitment and the scope key. */
export function deriveKeys(dek: Uint8Array): DerivedKeys {
  // open() checks an unwrapped DEK's length before this, seal() makes its own: a wrong one is a bug.
  if (dek.length !== DEK_LEN)
    throw new ShroudError('SHROUD_INTERNAL', 'a DEK must be 32 bytes (a bug; please report it)');
  const okm = Buffer.from(hkdfSync('sha256', dek, SALT, INFO, 32 + COMMITMENT_LEN + 32 + 32));
  const keys = {
    encKey: Buffer.from(okm.subarray(0, 32)),
    commitment: Buffer.from(okm.subarray(32, 32 + COMMITMENT_LEN)),
    scopeKey: Buffer.from(okm.subarray(32 + COMMITMENT_LEN, 64 + COMMITMENT_LEN)),
    slotKey: Buffer.from(okm.subarray(64 + COMMITMENT_LEN)),
  };
  zero(okm);
  return keys;
}

/** Zeroes derived keys. */
export function zeroKeys(keys: DerivedKeys): void {
  zero(keys.encKey, keys.commitment, keys.scopeKey, keys.slotKey);
}

/** The slot MAC: HMAC-SHA256(slotKey, header || key slot), all 32 bytes. */
export function macSlot(slotKey: Buffer, headerAndSlot: Uint8Array): Buffer {
  return createHmac('sha256', slotKey).update(headerAndSlot).digest();
}

/**
 * The scope binding stored in the header: HMAC-SHA256(scopeKey, encodeScope(kind, context)),
 * truncated to 16 bytes. The header (with it) is the body's AAD, so the context is bound to the
 * ciphertext; keying it with a DEK-derived key means it tells nobody without the DEK which
 * namespace or account it names, and it lets the opener tell a wrong scope (binding differs,
 * header authentic) apart from tampering (tag fails). `scope` is encodeScope's output.
 */
export function bindScope(scopeKey: Buffer, scope: Buffer): Buffer {
  return createHmac('sha256', scopeKey).update(scope).digest().subarray(0, SCOPE_BINDING_LEN);
}

/**
 * Associated data for wrapping a DEK: a label, the 64-byte header it belongs to (the `context`
 * given to a provider) and the key reference, so a wrapped DEK cannot be moved to another
 * header or relabelled as another key version without failing to unwrap.
 */
export function wrapAad(context: Uint8Array, method: WrapMethod, ref: KeyRef): Buffer {
  return Buffer.concat([Buffer.from('shroud:v1:wrap', 'ascii'), context, encodeKeyRef(method, ref)]);
}
