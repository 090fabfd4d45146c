/**
 * The shroud:v1 envelope: its binary layout, its text form, and nothing else (no keys here).
 * The layout is frozen; README "The shroud:v1 format" has the same table for other implementers.
 *
 * Layout (all integers big-endian):
 *
 *   DEK-bound header (64 bytes): the AAD of the body AEAD
 *     0   1  format version = 0x01
 *     1   1  suite = 0x01 (AES-256-GCM body, HKDF-SHA256 key schedule with key commitment)
 *     2   1  scope kind: 0x01 strict, 0x02 namespace, 0x03 cluster
 *     3   1  flags = 0x00 (reserved)
 *     4  32  key commitment (from the DEK)
 *    36  16  scope binding: HMAC of the scope context under a DEK-derived key
 *    52  12  body nonce
 *   key slot (variable): replaced by a rewrap, everything before it stays byte-identical
 *    64   1  wrap method: 0x01 kek (wrapped by the provider), 0x02 x25519 (sealed to a public key)
 *     .   1  provider id length P (1..32), then P bytes of [a-z0-9][a-z0-9.-]*
 *     .   2  key id length K (1..1024), then K bytes: UTF-8 without control characters, opaque
 *     .   4  key version (u32, >= 1)
 *     .  16  key tag: identifies the key material of that version (see KeyRef.keyTag)
 *     .   2  annotations length A (0..65535), then A bytes of entries, names strictly ascending:
 *              1 name length N (1..253), N bytes (lowercase DNS subdomain with a dot),
 *              2 value length V, V bytes; the names and values together at most 32 KiB
 *     .   2  wrapped DEK length W (1..4096), then W bytes
 *   slot MAC
 *     .  32  HMAC-SHA256(slot key from the DEK, header || key slot): binds the slot whatever the provider
 *   check
 *     .   4  first 4 bytes of SHA-256(header || key slot || slot MAC): corruption check, not a MAC
 *   body
 *     .   n  ciphertext of the padded plaintext (n is a padding bucket, see padding.ts)
 *     .  16  GCM tag
 */
import { ShroudError } from '../errors.js';
import { decodeBase64url, encodeBase64url, sha256, sha256Binary } from './encoding.js';
import { isPaddedLength, MIN_PADDED_LEN } from './padding.js';
import { checkAnnotations, encodeAnnotations, readAnnotations, type SlotAnnotations } from './slot-annotations.js';

export type { SlotAnnotations } from './slot-annotations.js';
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
export const KEY_TAG_LEN = 16;
export const SLOT_MAC_LEN = 32;
export const CHECK_LEN = 4;
/** Limits of the key slot's fields, the same when encoding and decoding. */
export const LIMITS = Object.freeze({ providerId: 32, keyId: 1024, wrapped: 4096 });

const PROVIDER_ID = /^[a-z0-9][a-z0-9.-]{0,31}$/;

/** How the DEK in the key slot is wrapped. */
export type WrapMethod = 'kek' | 'x25519';
const WRAP_METHODS: readonly WrapMethod[] = ['kek', 'x25519'];

/** Names one key version of one KEK provider. */
export interface KeyRef {
  /** Provider id, e.g. `local` for the keyring file. */
  provider: string;
  /**
   * Key id inside the provider, opaque to Shroud and compared exactly: for the local keyring,
   * the keyring id; for a KMS, its key id. 1..1024 bytes of UTF-8 without control characters.
   */
  keyId: string;
  /** Key version, from 1. */
  version: number;
  /**
   * 32 hex characters (16 bytes) that identify the key material of this version, so two keys
   * that both call themselves "version 3" are never confused (a restored or forked keyring):
   * the provider refuses a value whose tag is not its version's, with CRYPTO_UNKNOWN_KEY.
   */
  keyTag: string;
}

/** The wrapped DEK and what is needed to unwrap it. */
export interface KeySlot {
  method: WrapMethod;
  ref: KeyRef;
  /** Provider annotations; absent or empty when the provider has none. */
  annotations?: SlotAnnotations;
  wrapped: Buffer;
}

function malformed(message: string): ShroudError {
  return new ShroudError('CRYPTO_MALFORMED', message);
}

/** Key id rules on a string (CRYPTO_MALFORMED when broken). Returns its UTF-8 bytes. */
function keyIdBytes(keyId: string): Buffer {
  if (typeof keyId !== 'string' || keyId.length === 0) throw malformed('key id is empty');
  const bytes = Buffer.from(keyId, 'utf8');
  if (bytes.length > LIMITS.keyId || !validKeyIdBytes(bytes, 0, bytes.length)) throw malformed('key id is not valid');
  return bytes;
}

/** Checks the identifier rules of a key reference. @throws CRYPTO_MALFORMED */
export function assertKeyRef(ref: KeyRef): void {
  if (typeof ref.provider !== 'string' || !PROVIDER_ID.test(ref.provider)) throw malformed('provider id is not valid');
  keyIdBytes(ref.keyId);
  if (!Number.isInteger(ref.version) || ref.version < 1 || ref.version > 0xffffffff) {
    throw malformed('key version is not valid');
  }
  if (typeof ref.keyTag !== 'string' || !/^[0-9a-f]{32}$/.test(ref.keyTag)) throw malformed('key tag is not valid');
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

/**
 * The start of a key slot: method and key reference, without annotations or the wrapped DEK.
 * Also part of the associated data of the local keyring's wraps (key-schedule.ts wrapAad).
 */
export function encodeKeyRef(method: WrapMethod, ref: KeyRef): Buffer {
  assertKeyRef(ref);
  const provider = Buffer.from(ref.provider, 'ascii');
  const keyId = keyIdBytes(ref.keyId);
  const out = Buffer.alloc(1 + 1 + provider.length + 2 + keyId.length + 4 + KEY_TAG_LEN);
  let o = 0;
  out[o++] = WRAP_METHODS.indexOf(method) + 1;
  out[o++] = provider.length;
  o += provider.copy(out, o);
  out.writeUInt16BE(keyId.length, o);
  o += 2;
  o += keyId.copy(out, o);
  out.writeUInt32BE(ref.version, o);
  o += 4;
  out.write(ref.keyTag, o, 'hex');
  return out;
}

/** The key slot's bytes: key reference, annotations, wrapped DEK. */
export function encodeSlot(slot: KeySlot): Buffer {
  if (slot.wrapped.length === 0 || slot.wrapped.length > LIMITS.wrapped)
    throw malformed('wrapped DEK has a bad length');
  const annotations = encodeAnnotations(slot.annotations);
  const lengths = Buffer.alloc(2);
  lengths.writeUInt16BE(annotations.length, 0);
  const wrappedLength = Buffer.alloc(2);
  wrappedLength.writeUInt16BE(slot.wrapped.length, 0);
  return Buffer.concat([encodeKeyRef(slot.method, slot.ref), lengths, annotations, wrappedLength, slot.wrapped]);
}

/**
 * Assembles an envelope's bytes: header, key slot, slot MAC, check, ciphertext and tag.
 * `slotMac` computes the MAC over header || slot (key-schedule.ts macSlot with the DEK's slot key).
 */
export function encodeEnvelope(
  header: Buffer,
  slot: KeySlot,
  slotMac: (headerAndSlot: Buffer) => Buffer,
  ciphertext: Buffer,
  tag: Buffer,
): Buffer {
  if (!isPaddedLength(ciphertext.length)) {
    throw new ShroudError('SHROUD_INTERNAL', 'an envelope body is not padded (a bug; please report it)');
  }
  const headerAndSlot = Buffer.concat([header, encodeSlot(slot)]);
  const mac = slotMac(headerAndSlot);
  const check = sha256(Buffer.concat([headerAndSlot, mac])).subarray(0, CHECK_LEN);
  return Buffer.concat([headerAndSlot, mac, check, ciphertext, tag]);
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

/** PROVIDER_ID on bytes, so no strings are made on the hot path. */
function validProviderBytes(bytes: Buffer, at: number, length: number): boolean {
  if (length < 1 || length > LIMITS.providerId || !isLowerAlnum(bytes[at]!)) return false;
  for (let i = 1; i < length; i++) if (!isProviderChar(bytes[at + i]!)) return false;
  return true;
}

/**
 * Key id rules on bytes: well-formed UTF-8 with no C0 or C1 control character and no DEL, so
 * one id has one spelling and printing it cannot drive a terminal. ASCII is checked inline (the
 * common case, no allocation); anything else also passes Node's UTF-8 validator.
 */
function validKeyIdBytes(bytes: Buffer, at: number, length: number): boolean {
  if (length < 1 || length > LIMITS.keyId) return false;
  let ascii = true;
  for (let i = 0; i < length; i++) {
    const c = bytes[at + i]!;
    if (c < 0x20 || c === 0x7f) return false;
    if (c >= 0x80) {
      ascii = false;
      // U+0080..U+009F are 0xC2 0x80..0x9F in UTF-8.
      if (c === 0xc2 && i + 1 < length && bytes[at + i + 1]! <= 0x9f) return false;
    }
  }
  return ascii || isUtf8(bytes.subarray(at, at + length));
}

/** Whether `bytes` are a valid key id (1..1024 bytes of UTF-8 without control characters), for other frames that carry one. */
export function isValidKeyIdBytes(bytes: Buffer): boolean {
  return validKeyIdBytes(bytes, 0, bytes.length);
}

/** Whether `bytes` are a valid provider id (1..32 of `[a-z0-9.-]`, starting with a letter or digit). */
export function isValidProviderIdBytes(bytes: Buffer): boolean {
  return validProviderBytes(bytes, 0, bytes.length);
}

function isUtf8(bytes: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** Where the fields of a decoded envelope are. */
interface Offsets {
  provider: number;
  providerLen: number;
  keyId: number;
  keyIdLen: number;
  version: number;
  keyTag: number;
  annotations: number;
  annotationsLen: number;
  wrapped: number;
  wrappedLen: number;
  slotEnd: number;
  body: number;
}

/**
 * A parsed envelope: the decoded bytes and the offsets of its fields. Field views are made
 * on first use, because a cached open touches only a few of them and every Buffer view costs
 * (the perf budget allows a cached open of 1 KiB twice the time of the AES-GCM decrypt alone).
 */
export class Envelope {
  readonly scope: ScopeKind;
  /** SHA-256 of header || key slot || slot MAC as a binary string: the DEK cache key. */
  readonly digest: string;
  readonly bytes: Buffer;
  private readonly method: WrapMethod;
  private readonly at: Offsets;
  private memoSlot: KeySlot | undefined;

  /** Use decodeEnvelope. */
  constructor(bytes: Buffer, scope: ScopeKind, method: WrapMethod, digest: string, at: Offsets) {
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
  /** Header and key slot: what the slot MAC covers. */
  get headerAndSlot(): Buffer {
    return this.bytes.subarray(0, this.at.slotEnd);
  }
  get slotMac(): Buffer {
    return this.bytes.subarray(this.at.slotEnd, this.at.slotEnd + SLOT_MAC_LEN);
  }
  get ciphertext(): Buffer {
    return this.bytes.subarray(this.at.body, this.bytes.length - TAG_LEN);
  }
  get tag(): Buffer {
    return this.bytes.subarray(this.bytes.length - TAG_LEN);
  }
  /** The key slot: wrap method, key reference, annotations, wrapped DEK. */
  get slot(): KeySlot {
    if (this.memoSlot === undefined) {
      const { bytes, at } = this;
      const slot: KeySlot = {
        method: this.method,
        ref: {
          provider: bytes.toString('latin1', at.provider, at.provider + at.providerLen),
          keyId: bytes.toString('utf8', at.keyId, at.keyId + at.keyIdLen),
          version: at.version,
          keyTag: bytes.toString('hex', at.keyTag, at.keyTag + KEY_TAG_LEN),
        },
        wrapped: bytes.subarray(at.wrapped, at.wrapped + at.wrappedLen),
      };
      if (at.annotationsLen > 0) slot.annotations = readAnnotations(bytes, at.annotations, at.annotationsLen);
      this.memoSlot = slot;
    }
    return this.memoSlot;
  }
}

/**
 * Parses envelope bytes: first the structure (lengths), then the check over header, key slot
 * and slot MAC, and only then the meaning of the bytes, so a corrupted header is reported as
 * CRYPTO_MALFORMED rather than as a misleading version, scope or key error.
 * @throws CRYPTO_MALFORMED, CRYPTO_UNSUPPORTED_VERSION
 */
export function decodeEnvelope(bytes: Buffer): Envelope {
  const fixedSlot = 1 + 1 + 2 + 4 + KEY_TAG_LEN + 2 + 2;
  if (bytes.length < HEADER_LEN + fixedSlot + 3 + SLOT_MAC_LEN + CHECK_LEN + MIN_PADDED_LEN + TAG_LEN) {
    throw malformed('sealed value is truncated');
  }
  let o = HEADER_LEN + 1;
  const providerLen = bytes[o++]!;
  const providerAt = o;
  o += providerLen;
  if (o + 2 > bytes.length) throw malformed('sealed value is truncated');
  const keyIdLen = bytes.readUInt16BE(o);
  const keyIdAt = o + 2;
  o = keyIdAt + keyIdLen;
  if (o + 4 + KEY_TAG_LEN + 2 > bytes.length) throw malformed('sealed value is truncated');
  const version = bytes.readUInt32BE(o);
  const keyTagAt = o + 4;
  o = keyTagAt + KEY_TAG_LEN;
  const annotationsLen = bytes.readUInt16BE(o);
  const annotationsAt = o + 2;
  o = annotationsAt + annotationsLen;
  if (o + 2 > bytes.length) throw malformed('sealed value is truncated');
  const wrappedLen = bytes.readUInt16BE(o);
  const wrappedAt = o + 2;
  const slotEnd = wrappedAt + wrappedLen;
  const body = slotEnd + SLOT_MAC_LEN + CHECK_LEN;
  if (body + MIN_PADDED_LEN + TAG_LEN > bytes.length) throw malformed('sealed value is truncated');
  const digest = sha256Binary(bytes.subarray(0, slotEnd + SLOT_MAC_LEN));
  for (let i = 0; i < CHECK_LEN; i++) {
    if (digest.charCodeAt(i) !== bytes[slotEnd + SLOT_MAC_LEN + i])
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
  if (!validProviderBytes(bytes, providerAt, providerLen)) throw malformed('provider id is not valid');
  if (!validKeyIdBytes(bytes, keyIdAt, keyIdLen)) throw malformed('key id is not valid');
  if (version < 1) throw malformed('key version is not valid');
  if (annotationsLen > 0) checkAnnotations(bytes, annotationsAt, annotationsLen);
  if (wrappedLen === 0 || wrappedLen > LIMITS.wrapped) throw malformed('wrapped DEK has a bad length');
  if (!isPaddedLength(bytes.length - TAG_LEN - body)) throw malformed('sealed value body is not a padding bucket');
  return new Envelope(bytes, scope, method, digest, {
    provider: providerAt,
    providerLen,
    keyId: keyIdAt,
    keyIdLen,
    version,
    keyTag: keyTagAt,
    annotations: annotationsAt,
    annotationsLen,
    wrapped: wrappedAt,
    wrappedLen,
    slotEnd,
    body,
  });
}
