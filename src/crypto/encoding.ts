/**
 * Byte helpers shared by the envelope, keyring and public-key codecs: strict base64url, length-
 * prefixed strings, and zeroing. Pure functions over Buffers.
 */
import { ShroudError, type ErrorCode } from '../errors.js';

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * Decodes unpadded base64url strictly. Node's decoder silently skips bad characters and ignores
 * the unused low bits of the last character, so two different texts could decode to the same
 * bytes; we accept only the canonical spelling (it must re-encode to itself).
 * @throws ShroudError with `code` when the text is not canonical base64url.
 */
export function decodeBase64url(text: string, code: ErrorCode, what: string): Buffer {
  if (!BASE64URL.test(text) || text.length % 4 === 1) {
    throw new ShroudError(code, `${what} is not valid base64url`);
  }
  const bytes = Buffer.from(text, 'base64url');
  if (bytes.toString('base64url') !== text) {
    throw new ShroudError(code, `${what} is not canonical base64url`);
  }
  return bytes;
}

/** Encodes bytes as unpadded base64url. */
export function encodeBase64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

/** Overwrites key material with zeros (best effort: V8 may have copied it, we cannot know). */
export function zero(...buffers: (Uint8Array | undefined)[]): void {
  for (const b of buffers) b?.fill(0);
}

/** `u16 length || utf8 bytes`: an unambiguous encoding for strings inside MAC'd or AAD data. */
export function lengthPrefixed(value: string): Buffer {
  const bytes = Buffer.from(value, 'utf8');
  const out = Buffer.allocUnsafe(2 + bytes.length);
  out.writeUInt16BE(bytes.length, 0);
  bytes.copy(out, 2);
  return out;
}
