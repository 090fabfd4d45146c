/**
 * The shroud:v1 envelope: its binary layout, its text form, and nothing else (no keys here).
 *
 * Layout (all integers big-endian; the README has the same table):
 *
 *   DEK-bound header (64 bytes): the AAD of the body AEAD
 *     0   1  format version = 0x01
 *     1   1  suite = 0x01 (AES-256-GCM body, HKDF-SHA256 key schedule with key commitment)
 *     2   1  scope kind: 0x01 strict, 0x02 namespace, 0x03 cluster
 *     3   1  flags = 0x00 (reserved)
 *     4  32  key commitment (from the DEK)
 *    36  16  scope binding: HMAC of the scope context under a DEK-derived key
 *    52  12  body nonce
 *   key slot (variable): replaced by a rewrap, everything else stays byte-identical
 *    64   1  wrap method: 0x01 kek (wrapped by the provider), 0x02 x25519 (sealed to a public key)
 *     .   1  provider id length P, then P bytes (ASCII)
 *     .   1  key id length K, then K bytes (ASCII)
 *     .   4  key version (u32, >= 1)
 *     .   2  wrapped DEK length W, then W bytes
 *   check
 *     .   4  first 4 bytes of SHA-256(header || key slot): corruption check, not a MAC
 *   body
 *     .   n  ciphertext (n = plaintext length)
 *     .  16  GCM tag
 */
import { ShroudError } from '../errors.js';
import { decodeBase64url, encodeBase64url, sha256, sha256Binary } from './encoding.js';
import { scopeKindCode, scopeKindFromCode, type ScopeKind } from './scope.js';

/** Prefix of the text form; the `v1` is the same version as the binary version byte. */
export const TEXT_PREFIX = 'shroud:v1:';
/** Byte values and field sizes of the v1 layout (the table above). Frozen by test/vectors. */
export const FORMAT_VERSION = 1;
export const SUITE_AES256GCM_HKDF = 1;
export const HEADER_LEN = 64;
export const COMMITMENT_LEN = 32;
export const SCOPE_BINDING_LEN = 16;
export const NONCE_LEN = 12;
export const TAG_LEN = 16;
export const CHECK_LEN = 4;
const MAX_WRAPPED = 4096;
const PROVIDER_ID = /^[a-z0-9][a-z0-9.-]{0,31}$/;
const KEY_ID = /^[A-Za-z0-9._:/-]{1,128}$/;

/** How the DEK in the key slot is wrapped. */
export type WrapMethod = 'kek' | 'x25519';
const WRAP_METHODS: readonly WrapMethod[] = ['kek', 'x25519'];

/** Names one key version of one KEK provider. */
export interface KeyRef {
  /** Provider id, e.g. `local` for the keyring file. */
  provider: string;
  /** Key id inside the provider; for the local keyring, the keyring id. */
  keyId: string;
  /** Key version, from 1. */
  version: number;
}

/** The wrapped DEK and what is needed to unwrap it. */
export interface KeySlot {
  method: WrapMethod;
  ref: KeyRef;
  wrapped: Buffer;
}

function malformed(message: string): ShroudError {
  return new ShroudError('CRYPTO_MALFORMED', message);
}

/** Checks the identifier rules of a key reference. @throws CRYPTO_MALFORMED */
export function assertKeyRef(ref: KeyRef): void {
  if (!PROVIDER_ID.test(ref.provider)) throw malformed('provider id is not valid');
  if (!KEY_ID.test(ref.keyId)) throw malformed('key id is not valid');
  if (!Number.isInteger(ref.version) || ref.version < 1 || ref.version > 0xffffffff) {
    throw malformed('key version is not valid');
  }
}

/** Builds the 64-byte DEK-bound header. */
export function encodeHeader(scope: ScopeKind, commitment: Buffer, scopeBinding: Buffer, nonce: Buffer): Buffer {
  if (commitment.length !== COMMITMENT_LEN || scopeBinding.length !== SCOPE_BINDING_LEN || nonce.length !== NONCE_LEN) {
    throw new ShroudError('SHROUD_INTERNAL', 'an envelope header field has the wrong length (a bug; please report it)');
  }
  const header = Buffer.alloc(HEADER_LEN);
  header[0] = FORMAT_VERSION;
  header[1] = SUITE_AES256GCM_HKDF;
  header[2] = scopeKindCode(scope);
  header[3] = 0;
  commitment.copy(header, 4);
  scopeBinding.copy(header, 36);
  nonce.copy(header, 52);
  return header;
}

/** The key reference as bytes, without the wrapped DEK: part of the wrap's associated data. */
export function encodeKeyRef(method: WrapMethod, ref: KeyRef): Buffer {
  assertKeyRef(ref);
  const provider = Buffer.from(ref.provider, 'ascii');
  const keyId = Buffer.from(ref.keyId, 'ascii');
  const out = Buffer.alloc(1 + 1 + provider.length + 1 + keyId.length + 4);
  let o = 0;
  out[o++] = WRAP_METHODS.indexOf(method) + 1;
  out[o++] = provider.length;
  o += provider.copy(out, o);
  out[o++] = keyId.length;
  o += keyId.copy(out, o);
  out.writeUInt32BE(ref.version, o);
  return out;
}

function encodeSlot(slot: KeySlot): Buffer {
  if (slot.wrapped.length === 0 || slot.wrapped.length > MAX_WRAPPED) throw malformed('wrapped DEK has a bad length');
  const len = Buffer.alloc(2);
  len.writeUInt16BE(slot.wrapped.length, 0);
  return Buffer.concat([encodeKeyRef(slot.method, slot.ref), len, slot.wrapped]);
}

/** Assembles an envelope's bytes: header, key slot, check, ciphertext and tag. */
export function encodeEnvelope(header: Buffer, slot: KeySlot, ciphertext: Buffer, tag: Buffer): Buffer {
  const slotBytes = encodeSlot(slot);
  const check = sha256(Buffer.concat([header, slotBytes])).subarray(0, CHECK_LEN);
  return Buffer.concat([header, slotBytes, check, ciphertext, tag]);
}

/** The text form: `shroud:v1:` + base64url(bytes). */
export function formatSealedValue(bytes: Buffer): string {
  return TEXT_PREFIX + encodeBase64url(bytes);
}

/** True when a string looks like a sealed value (cheap prefix test, no parsing). */
export function isSealedValue(text: string): boolean {
  return text.startsWith(TEXT_PREFIX);
}

/**
 * Parses the text form. Never needs a key.
 * @throws CRYPTO_MALFORMED when the text is not a shroud value or is corrupted
 * @throws CRYPTO_UNSUPPORTED_VERSION for `shroud:vN:` with N != 1, or unknown suite/method bytes
 */
export function decodeSealedValue(text: string): Envelope {
  if (typeof text !== 'string') throw malformed('sealed value is not a string');
  if (!text.startsWith(TEXT_PREFIX)) {
    if (/^shroud:v[0-9]+:/.test(text)) {
      throw new ShroudError(
        'CRYPTO_UNSUPPORTED_VERSION',
        `sealed value version ${text.split(':')[1]} is not supported`,
      );
    }
    throw malformed(`sealed value does not start with "${TEXT_PREFIX}"`);
  }
  return decodeEnvelope(decodeBase64url(text.slice(TEXT_PREFIX.length), 'CRYPTO_MALFORMED', 'sealed value'));
}

const isLowerAlnum = (c: number) => (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39);
const isProviderChar = (c: number) => isLowerAlnum(c) || c === 0x2e || c === 0x2d; // . -
const isKeyIdChar = (c: number) =>
  isLowerAlnum(c) || (c >= 0x41 && c <= 0x5a) || c === 0x2e || c === 0x5f || c === 0x3a || c === 0x2f || c === 0x2d; // A-Z . _ : / -

/** PROVIDER_ID and KEY_ID rules checked on bytes, so no strings are made on the hot path. */
function validIdBytes(
  bytes: Buffer,
  at: number,
  length: number,
  first: (c: number) => boolean,
  rest: (c: number) => boolean,
  max: number,
): boolean {
  if (length < 1 || length > max) return false;
  for (let i = 0; i < length; i++) {
    if (!(i === 0 ? first : rest)(bytes[at + i]!)) return false;
  }
  return true;
}

/**
 * A parsed envelope: the decoded bytes and the offsets of its fields. Field views are made
 * on first use, because a cached open touches only a few of them and every Buffer view costs
 * (the perf budget allows a cached open of 1 KiB twice the time of the AES-GCM decrypt alone).
 */
export class Envelope {
  readonly scope: ScopeKind;
  /** SHA-256 of header || key slot as a binary string: the DEK cache key. */
  readonly digest: string;
  readonly bytes: Buffer;
  private readonly method: WrapMethod;
  private readonly at: {
    provider: number;
    providerLen: number;
    keyId: number;
    keyIdLen: number;
    version: number;
    wrapped: number;
    wrappedLen: number;
    body: number;
  };
  private memoSlot: KeySlot | undefined;

  /** Use decodeEnvelope. */
  constructor(bytes: Buffer, scope: ScopeKind, method: WrapMethod, digest: string, at: Envelope['at']) {
    this.bytes = bytes;
    this.scope = scope;
    this.method = method;
    this.digest = digest;
    this.at = at;
  }

  /** Bytes 0..64: the body's AAD and the DEK wrap's context. */
  get header(): Buffer {
    return this.bytes.subarray(0, HEADER_LEN);
  }
  get commitment(): Buffer {
    return this.bytes.subarray(4, 36);
  }
  get scopeBinding(): Buffer {
    return this.bytes.subarray(36, 52);
  }
  get nonce(): Buffer {
    return this.bytes.subarray(52, 64);
  }
  get ciphertext(): Buffer {
    return this.bytes.subarray(this.at.body, this.bytes.length - TAG_LEN);
  }
  get tag(): Buffer {
    return this.bytes.subarray(this.bytes.length - TAG_LEN);
  }
  /** The key slot: wrap method, key reference, wrapped DEK. */
  get slot(): KeySlot {
    if (this.memoSlot === undefined) {
      const { bytes, at } = this;
      this.memoSlot = {
        method: this.method,
        ref: {
          provider: bytes.toString('latin1', at.provider, at.provider + at.providerLen),
          keyId: bytes.toString('latin1', at.keyId, at.keyId + at.keyIdLen),
          version: at.version,
        },
        wrapped: bytes.subarray(at.wrapped, at.wrapped + at.wrappedLen),
      };
    }
    return this.memoSlot;
  }
}

/**
 * Parses envelope bytes: first the structure (lengths), then the check over header and key
 * slot, and only then the meaning of the bytes, so a corrupted header is reported as
 * CRYPTO_MALFORMED rather than as a misleading version, scope or key error.
 * @throws CRYPTO_MALFORMED, CRYPTO_UNSUPPORTED_VERSION
 */
export function decodeEnvelope(bytes: Buffer): Envelope {
  const minimum = HEADER_LEN + 1 + 2 + 1 + 4 + 2 + 1 + CHECK_LEN + TAG_LEN;
  if (bytes.length < minimum) throw malformed('sealed value is truncated');
  let o = HEADER_LEN + 1;
  const providerLen = bytes[o++]!;
  const providerAt = o;
  o += providerLen;
  if (o >= bytes.length) throw malformed('sealed value is truncated');
  const keyIdLen = bytes[o++]!;
  const keyIdAt = o;
  o += keyIdLen;
  if (o + 6 > bytes.length) throw malformed('sealed value is truncated');
  const version = bytes[o]! * 0x1000000 + ((bytes[o + 1]! << 16) | (bytes[o + 2]! << 8) | bytes[o + 3]!);
  const wrappedLen = (bytes[o + 4]! << 8) | bytes[o + 5]!;
  const wrappedAt = o + 6;
  const slotEnd = wrappedAt + wrappedLen;
  if (slotEnd + CHECK_LEN + TAG_LEN > bytes.length) throw malformed('sealed value is truncated');
  const digest = sha256Binary(bytes.subarray(0, slotEnd));
  for (let i = 0; i < CHECK_LEN; i++) {
    if (digest.charCodeAt(i) !== bytes[slotEnd + i])
      throw malformed('sealed value header is corrupted (check mismatch)');
  }
  if (bytes[0] !== FORMAT_VERSION) {
    throw new ShroudError('CRYPTO_UNSUPPORTED_VERSION', `envelope format ${bytes[0]} is not supported`);
  }
  if (bytes[1] !== SUITE_AES256GCM_HKDF) {
    throw new ShroudError('CRYPTO_UNSUPPORTED_VERSION', `algorithm suite ${bytes[1]} is not supported`);
  }
  const scope = scopeKindFromCode(bytes[2]!);
  if (scope === undefined || bytes[3] !== 0) throw malformed('sealed value header has unknown scope or flags');
  const method = WRAP_METHODS[bytes[HEADER_LEN]! - 1];
  if (method === undefined) {
    throw new ShroudError('CRYPTO_UNSUPPORTED_VERSION', `key wrap method ${bytes[HEADER_LEN]} is not supported`);
  }
  // The same rules as assertKeyRef, on the bytes, so no strings are made unless needed.
  if (!validIdBytes(bytes, providerAt, providerLen, isLowerAlnum, isProviderChar, 32))
    throw malformed('provider id is not valid');
  if (!validIdBytes(bytes, keyIdAt, keyIdLen, isKeyIdChar, isKeyIdChar, 128)) throw malformed('key id is not valid');
  if (version < 1) throw malformed('key version is not valid');
  if (wrappedLen === 0) throw malformed('wrapped DEK is empty');
  return new Envelope(bytes, scope, method, digest, {
    provider: providerAt,
    providerLen,
    keyId: keyIdAt,
    keyIdLen,
    version,
    wrapped: wrappedAt,
    wrappedLen,
    body: slotEnd + CHECK_LEN,
  });
}
