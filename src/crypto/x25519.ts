/**
 * Public-key sealing of a DEK, so CI and developers can seal with only an exported public key.
 *
 * Ephemeral-static X25519 (RFC 7748) with HKDF-SHA256, the shape of HPKE's DHKEM base mode
 * (RFC 9180) without its framing: a fresh ephemeral key pair per value; the wrapping key and
 * nonce come from HKDF over the shared secret, salted with both public keys; the DEK is
 * encrypted with AES-256-GCM under the same associated data a provider wrap binds (header +
 * key reference). Key slot bytes: ephemeral public key (32) || encrypted DEK (32) || tag (16).
 */
import {
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  type KeyObject,
} from 'node:crypto';
import { ShroudError } from '../errors.js';
import { gcmDecrypt, gcmEncrypt } from './aead.js';
import { encodeBase64url, zero } from './encoding.js';
import { TAG_LEN, type KeyRef } from './envelope.js';
import { DEK_LEN, wrapAad } from './key-schedule.js';

/** Raw X25519 key size, and the size of an x25519 key slot's wrapped DEK. */
export const X25519_KEY_LEN = 32;
export const X25519_WRAPPED_LEN = X25519_KEY_LEN + DEK_LEN + TAG_LEN;
const INFO = Buffer.from('shroud:v1:x25519-wrap', 'ascii');

/** A raw X25519 key pair (32-byte private scalar and public point). */
export interface X25519KeyPair {
  privateKey: Buffer;
  publicKey: Buffer;
}

/** Generates a fresh X25519 key pair as raw bytes. */
export function generateX25519(): X25519KeyPair {
  const { privateKey } = generateKeyPairSync('x25519');
  const jwk = privateKey.export({ format: 'jwk' });
  return { privateKey: Buffer.from(jwk.d!, 'base64url'), publicKey: Buffer.from(jwk.x!, 'base64url') };
}

/** Imports a raw public key. @throws CRYPTO_PUBLIC_KEY_INVALID */
export function importX25519Public(raw: Uint8Array): KeyObject {
  if (raw.length !== X25519_KEY_LEN)
    throw new ShroudError('CRYPTO_PUBLIC_KEY_INVALID', 'X25519 public key must be 32 bytes');
  try {
    return createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: encodeBase64url(raw) }, format: 'jwk' });
  } catch (cause) {
    throw new ShroudError('CRYPTO_PUBLIC_KEY_INVALID', 'X25519 public key is not valid', { cause });
  }
}

// PKCS#8 DER prefix of an X25519 private key (RFC 8410 §7): the 32-byte scalar follows it.
const PKCS8_X25519_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

/** Imports a raw private key as a KeyObject (parse once and reuse: it costs more than the ECDH). */
export function importX25519Private(privateKey: Uint8Array): KeyObject {
  // Keyring parsing checks every key's length first: a wrong one here is a bug.
  if (privateKey.length !== X25519_KEY_LEN)
    throw new ShroudError('SHROUD_INTERNAL', 'an X25519 private key must be 32 bytes (a bug; please report it)');
  const der = Buffer.concat([PKCS8_X25519_PREFIX, privateKey]);
  try {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } finally {
    zero(der);
  }
}

/** The public half of a raw private key (used to check a keyring's pairs at load). */
export function x25519PublicOf(privateKey: Uint8Array): Buffer {
  return Buffer.from(createPublicKey(importX25519Private(privateKey)).export({ format: 'jwk' }).x!, 'base64url');
}

function wrapKeyAndNonce(
  shared: Buffer,
  ephemeralPublic: Buffer,
  recipientPublic: Buffer,
): { key: Buffer; nonce: Buffer } {
  // RFC 7748 §6.1: an all-zero shared secret means a low-order public key; refuse it.
  if (shared.every((b) => b === 0)) throw new ShroudError('CRYPTO_INTEGRITY', 'sealed value failed authentication');
  const okm = Buffer.from(hkdfSync('sha256', shared, Buffer.concat([ephemeralPublic, recipientPublic]), INFO, 32 + 12));
  return { key: okm.subarray(0, 32), nonce: okm.subarray(32) };
}

/**
 * Seals a DEK to a recipient public key (no secret needed). `ephemeralPrivateKey` is for
 * known-answer tests only; without it a fresh ephemeral key pair is made.
 * @throws CRYPTO_PUBLIC_KEY_INVALID
 */
export function sealDekToPublicKey(
  recipientPublic: Buffer,
  ref: KeyRef,
  dek: Uint8Array,
  context: Uint8Array,
  ephemeralPrivateKey?: Uint8Array,
): Buffer {
  const recipient = importX25519Public(recipientPublic);
  const privateKey =
    ephemeralPrivateKey === undefined
      ? generateKeyPairSync('x25519').privateKey
      : importX25519Private(ephemeralPrivateKey);
  const ephemeralPublic = Buffer.from(createPublicKey(privateKey).export({ format: 'jwk' }).x!, 'base64url');
  const shared = diffieHellman({ privateKey, publicKey: recipient });
  const { key, nonce } = wrapKeyAndNonce(shared, ephemeralPublic, recipientPublic);
  const { ciphertext, tag } = gcmEncrypt(key, nonce, wrapAad(context, 'x25519', ref), dek);
  zero(shared, key);
  return Buffer.concat([ephemeralPublic, ciphertext, tag]);
}

/** The recipient side: its private key (imported once) and its raw public key. */
export interface X25519Recipient {
  privateKey: KeyObject;
  publicKey: Buffer;
}

/**
 * Opens a DEK sealed by sealDekToPublicKey with the recipient's key pair.
 * @throws CRYPTO_INTEGRITY when the slot does not authenticate (altered, or another key)
 */
export function openDekWithPrivateKey(
  recipient: X25519Recipient,
  ref: KeyRef,
  wrapped: Uint8Array,
  context: Uint8Array,
): Buffer {
  if (wrapped.length !== X25519_WRAPPED_LEN)
    throw new ShroudError('CRYPTO_INTEGRITY', 'sealed value failed authentication');
  const slot = Buffer.from(wrapped);
  const ephemeralPublic = slot.subarray(0, X25519_KEY_LEN);
  let shared: Buffer;
  try {
    shared = diffieHellman({ privateKey: recipient.privateKey, publicKey: importX25519Public(ephemeralPublic) });
  } catch (cause) {
    throw new ShroudError('CRYPTO_INTEGRITY', 'sealed value failed authentication', { cause });
  }
  const { key, nonce } = wrapKeyAndNonce(shared, ephemeralPublic, recipient.publicKey);
  try {
    return gcmDecrypt(
      key,
      nonce,
      wrapAad(context, 'x25519', ref),
      slot.subarray(X25519_KEY_LEN, X25519_KEY_LEN + DEK_LEN),
      slot.subarray(X25519_KEY_LEN + DEK_LEN),
    );
  } finally {
    zero(shared, key);
  }
}
