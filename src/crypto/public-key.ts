/**
 * The exported public sealing key: what `shroud keys export-public` writes and
 * `shroud encrypt --public-key` reads (the role of `kubeseal --cert`). It holds no secret and
 * may be committed or published. A small JSON document so people can read which keyring and
 * version it seals to; the fingerprint lets them compare it with `shroud keys status`.
 */
import { createHash } from 'node:crypto';
import { ShroudError } from '../errors.js';
import { isRecord } from '../util/is-record.js';
import { decodeBase64url, encodeBase64url } from './encoding.js';
import { assertKeyRef, type KeyRef } from './envelope.js';
import { keyRefOf, primaryVersion, type Keyring } from './keyring.js';
import { importX25519Public } from './x25519.js';

const KIND = 'ShroudPublicKey';

/** A public sealing key with the key version it belongs to. */
export interface PublicSealingKey {
  ref: KeyRef;
  /** Raw 32-byte X25519 public key. */
  publicKey: Buffer;
}

/** `sha256:` + hex of the raw public key: a short name people can compare. */
export function publicKeyFingerprint(publicKey: Uint8Array): string {
  return `sha256:${createHash('sha256').update(publicKey).digest('hex').slice(0, 32)}`;
}

/** The primary version's public sealing key. */
export function publicKeyOf(keyring: Keyring): PublicSealingKey {
  const primary = primaryVersion(keyring);
  return { ref: keyRefOf(keyring, primary.version), publicKey: Buffer.from(primary.material.seal.publicKey) };
}

/** The public key file's text (JSON, newline-terminated) for the keyring's primary version. */
export function exportPublicKey(keyring: Keyring): string {
  const { ref, publicKey } = publicKeyOf(keyring);
  const doc = {
    kind: KIND,
    formatVersion: 1,
    algorithm: 'X25519-HKDF-SHA256-AES-256-GCM',
    provider: ref.provider,
    keyId: ref.keyId,
    version: ref.version,
    keyTag: ref.keyTag,
    publicKey: encodeBase64url(publicKey),
    fingerprint: publicKeyFingerprint(publicKey),
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

function invalid(message: string): ShroudError {
  return new ShroudError('CRYPTO_PUBLIC_KEY_INVALID', `public key file: ${message}`);
}

/**
 * Parses a public key file.
 * @throws CRYPTO_PUBLIC_KEY_INVALID
 */
export function parsePublicKey(text: string): PublicSealingKey {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw invalid('not valid JSON');
  }
  if (!isRecord(doc) || doc.kind !== KIND) throw invalid(`not a ${KIND} document`);
  const d = doc;
  if (d.formatVersion !== 1) throw invalid('unsupported formatVersion');
  if (
    typeof d.provider !== 'string' ||
    typeof d.keyId !== 'string' ||
    typeof d.version !== 'number' ||
    typeof d.keyTag !== 'string' ||
    typeof d.publicKey !== 'string'
  ) {
    throw invalid(
      'provider, keyId, version, keyTag and publicKey are required (re-export it with "shroud keys export-public")',
    );
  }
  const ref: KeyRef = { provider: d.provider, keyId: d.keyId, version: d.version, keyTag: d.keyTag };
  try {
    assertKeyRef(ref);
  } catch {
    throw invalid('provider, keyId, version or keyTag is not valid');
  }
  const publicKey = decodeBase64url(d.publicKey, 'CRYPTO_PUBLIC_KEY_INVALID', 'public key');
  importX25519Public(publicKey);
  if (d.fingerprint !== undefined && d.fingerprint !== publicKeyFingerprint(publicKey))
    throw invalid('fingerprint does not match the key');
  return { ref, publicKey };
}
