/** AES-256-GCM with a 12-byte nonce and 16-byte tag (NIST SP 800-38D), over node:crypto. */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { ShroudError } from '../errors.js';
import { zero } from './encoding.js';
import { TAG_LEN } from './envelope.js';

/** Encrypts `plaintext`; returns ciphertext and tag. */
export function gcmEncrypt(
  key: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
  plaintext: Uint8Array,
): { ciphertext: Buffer; tag: Buffer } {
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_LEN });
  cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { ciphertext, tag: cipher.getAuthTag() };
}

/**
 * Decrypts and verifies. Plaintext is released only after the tag verifies; on failure the
 * partial output is zeroed.
 * @throws CRYPTO_INTEGRITY when the tag does not verify (altered data, or another key)
 */
export function gcmDecrypt(
  key: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
  ciphertext: Uint8Array,
  tag: Uint8Array,
): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_LEN });
  decipher.setAAD(aad);
  decipher.setAuthTag(tag);
  const head = decipher.update(ciphertext);
  try {
    const tail = decipher.final();
    return tail.length === 0 ? head : Buffer.concat([head, tail]);
  } catch (cause) {
    zero(head);
    throw new ShroudError(
      'CRYPTO_INTEGRITY',
      'sealed value failed authentication (altered, or sealed under another key)',
      { cause },
    );
  }
}
