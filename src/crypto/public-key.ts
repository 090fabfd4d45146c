/**
 * The exported public sealing key: what `shroud keys export-public` writes and
 * `shroud encrypt --public-key` reads (the role of `kubeseal --cert`). It holds no secret and
 * may be committed or published. A small JSON document so people can read which keyring and
 * version it seals to; the fingerprint lets them compare it with `shroud keys status`.
 */
import { createHash } from 'node:crypto';
import { ShroudError } from '../errors.js';
import { parseFingerprint } from '../util/fingerprint.js';
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
  /**
   * Not after (RFC 3339, as written in the file): `encrypt` refuses the file from then on. Absent
   * in files exported before expiry existed. The file's writer chose it: it stops stale files, not attackers.
   */
  expires?: string;
}

/** How long an exported public key file is accepted for new seals, unless told otherwise. */
export const DEFAULT_PUBLIC_KEY_VALID_DAYS = 90;
/** Most days a public key file may be valid for (about ten years). */
export const MAX_PUBLIC_KEY_VALID_DAYS = 3650;
/** `encrypt` warns when the file expires within this many days. */
export const PUBLIC_KEY_EXPIRY_WARNING_DAYS = 14;
const DAY_MS = 86_400_000;

/** What exportPublicKey writes besides the key. */
export interface ExportPublicKeyOptions {
  /** The clock (default: the current time). */
  now?: () => Date;
  /** Days from now until `expires` (default 90, at most 3650). */
  validForDays?: number;
}

export { parseFingerprint };

/** RFC 3339 date-time with a time zone (Z or an offset), as `expires` must be written. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})$/;

function expiresMs(expires: string): number | undefined {
  if (!RFC3339.test(expires)) return undefined;
  // Date.parse rolls 2027-02-30 over into March: check the day against the month first.
  const [y, m, d] = expires.slice(0, 10).split('-').map(Number) as [number, number, number];
  if (m < 1 || m > 12 || d < 1 || d > new Date(Date.UTC(y, m, 0)).getUTCDate()) return undefined;
  if (Number(expires.slice(11, 13)) > 23) return undefined; // Date.parse takes 24:00; RFC 3339 does not
  const ms = Date.parse(expires.replace(' ', 'T'));
  return Number.isNaN(ms) ? undefined : ms;
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

/**
 * The public key file's text (JSON, newline-terminated) for the keyring's primary version, valid
 * for new seals until `expires` (now + validForDays).
 */
export function exportPublicKey(keyring: Keyring, options: ExportPublicKeyOptions = {}): string {
  const { ref, publicKey } = publicKeyOf(keyring);
  const days = options.validForDays ?? DEFAULT_PUBLIC_KEY_VALID_DAYS;
  if (!Number.isInteger(days) || days < 1 || days > MAX_PUBLIC_KEY_VALID_DAYS) {
    throw new ShroudError(
      'CONFIG_INVALID',
      `a public key file is valid for 1 to ${MAX_PUBLIC_KEY_VALID_DAYS} whole days, not ${String(days)}`,
    );
  }
  const now = (options.now ?? (() => new Date()))();
  const expires = new Date(now.getTime() + days * DAY_MS).toISOString().replace(/\.\d{3}Z$/, 'Z');
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
    expires,
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
  if (d.expires === undefined) return { ref, publicKey };
  if (typeof d.expires !== 'string' || expiresMs(d.expires) === undefined)
    throw invalid('expires is not an RFC 3339 date-time with a time zone (for example 2027-03-01T00:00:00Z)');
  return { ref, publicKey, expires: d.expires };
}

/** Whether a public key file may still seal: how `encrypt` judges its `expires`. */
export type PublicKeyExpiry =
  | { state: 'valid'; expires: string; daysLeft: number }
  | { state: 'expiring'; expires: string; daysLeft: number }
  | { state: 'no-expiry' };

/**
 * Judges a public key's `expires` at `now`: valid, expiring (within 14 days: warn), or no expiry
 * (an export from before expiry existed: warn).
 * @throws CRYPTO_PUBLIC_KEY_EXPIRED when `now` is at or past `expires`
 */
export function checkPublicKeyExpiry(key: PublicSealingKey, now: Date, file = 'public key file'): PublicKeyExpiry {
  if (key.expires === undefined) return { state: 'no-expiry' };
  const at = expiresMs(key.expires);
  if (at === undefined) throw invalid('expires is not an RFC 3339 date-time with a time zone');
  const left = at - now.getTime();
  if (left <= 0) {
    throw new ShroudError(
      'CRYPTO_PUBLIC_KEY_EXPIRED',
      `${file} expired at ${key.expires} (key version ${key.ref.version}); it seals nothing more, so values do not go to a version that may be retired or shredded. ` +
        'Get a current file from whoever holds the keyring: shroud keys export-public --out FILE',
      { details: { file, expires: key.expires } },
    );
  }
  const daysLeft = Math.floor(left / DAY_MS);
  return {
    state: left <= PUBLIC_KEY_EXPIRY_WARNING_DAYS * DAY_MS ? 'expiring' : 'valid',
    expires: key.expires,
    daysLeft,
  };
}
