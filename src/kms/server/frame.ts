/**
 * The ciphertext `shroud kms-plugin` returns from Encrypt and reads in Decrypt: a small versioned
 * frame around what the KEK provider wrapped. kube-apiserver stores it in etcd beside each object
 * (it is the "encrypted DEK" of KMS v2) and hands it back unchanged; at most 1 KiB.
 *
 * Layout (integers big-endian):
 *
 *   header: the wrap context binds it (see frameContext), so a relabelled frame fails to unwrap
 *     0   2  magic 0x53 0x4b ("SK")
 *     2   1  frame version = 0x01
 *     3   1  wrap method: 0x01 kek, 0x02 x25519 (as in a shroud:v1 key slot)
 *     4   1  provider id length P (1..32), then P bytes of [a-z0-9][a-z0-9.-]*
 *     .   2  key id length K (1..1024), then K bytes: UTF-8 without control characters
 *     .   4  key version (u32, >= 1)
 *     .  16  key tag
 *   provider part
 *     .   2  annotations length A, then A bytes (entries as in a shroud:v1 key slot)
 *     .   2  wrapped DEK length W (1..1024), then W bytes
 *   nothing after: trailing bytes are refused, as is a frame over 1 KiB.
 */
import { ShroudError } from '../../errors.js';
import {
  checkAnnotations,
  encodeAnnotations,
  encodeKeyRef,
  isValidKeyIdBytes,
  isValidProviderIdBytes,
  KEY_TAG_LEN,
  type KeyRef,
  readAnnotations,
  type SlotAnnotations,
  type WrapMethod,
} from '../../crypto/index.js';

/** KMS v2's limits: the ciphertext (encrypted DEK) and the key_id are each at most 1 KiB. */
export const KMS_LIMITS = Object.freeze({ ciphertext: 1024, keyId: 1024, annotations: 32 * 1024 });

export const FRAME_MAGIC = Buffer.from([0x53, 0x4b]);
export const FRAME_VERSION = 1;

/** Prefix of every wrap context: the frame is only ever unwrapped as a kms-plugin frame. */
const CONTEXT_LABEL = Buffer.from('shroud:kms-plugin:v1\0', 'ascii');

const METHODS: readonly WrapMethod[] = ['kek', 'x25519'];

/** A decoded frame. */
export interface Frame {
  method: WrapMethod;
  ref: KeyRef;
  annotations: SlotAnnotations;
  wrapped: Buffer;
  /** The header bytes (magic through key tag), as they were in the frame. */
  header: Buffer;
}

function invalid(message: string): ShroudError {
  return new ShroudError('KMS_PLUGIN_CIPHERTEXT_INVALID', `ciphertext is not a shroud kms-plugin frame: ${message}`);
}

function tooLarge(message: string): ShroudError {
  return new ShroudError('KMS_PLUGIN_KEY_TOO_LARGE', message);
}

/**
 * The header of a frame for `method` and `ref`: what the wrap context binds.
 * @throws KMS_PLUGIN_KEY_TOO_LARGE when the provider's key reference cannot be framed
 */
export function encodeFrameHeader(method: WrapMethod, ref: KeyRef): Buffer {
  let keyRef: Buffer;
  try {
    // The same bytes as a shroud:v1 key slot's method and key reference, with their rules.
    keyRef = encodeKeyRef(method, ref);
  } catch (err) {
    throw tooLarge(`the KEK provider's key reference cannot be framed (${(err as Error).message})`);
  }
  return Buffer.concat([FRAME_MAGIC, Buffer.of(FRAME_VERSION), keyRef]);
}

/** The wrap context of a frame with this header: a fixed label, then the header. */
export function frameContext(header: Buffer): Buffer {
  return Buffer.concat([CONTEXT_LABEL, header]);
}

/**
 * A whole frame.
 * @throws KMS_PLUGIN_KEY_TOO_LARGE when it would be over 1 KiB (or the provider's parts are invalid)
 */
export function encodeFrame(header: Buffer, annotations: SlotAnnotations | undefined, wrapped: Uint8Array): Buffer {
  let encodedAnnotations: Buffer;
  try {
    encodedAnnotations = encodeAnnotations(annotations);
  } catch (err) {
    throw tooLarge(`the KEK provider's annotations cannot be framed (${(err as Error).message})`);
  }
  if (wrapped.length === 0) throw tooLarge('the KEK provider returned an empty wrapped DEK');
  const size = header.length + 2 + encodedAnnotations.length + 2 + wrapped.length;
  if (size > KMS_LIMITS.ciphertext) {
    throw tooLarge(
      `the ciphertext would be ${size} bytes, over KMS v2's ${KMS_LIMITS.ciphertext}: the KEK provider's key id, annotations or wrapped DEK are too large for a KMS v2 plugin`,
    );
  }
  const lengths = Buffer.alloc(2);
  lengths.writeUInt16BE(encodedAnnotations.length, 0);
  const wrappedLength = Buffer.alloc(2);
  wrappedLength.writeUInt16BE(wrapped.length, 0);
  return Buffer.concat([header, lengths, encodedAnnotations, wrappedLength, wrapped]);
}

/**
 * Parses a frame strictly: every length checked, nothing after the wrapped DEK.
 * @throws KMS_PLUGIN_CIPHERTEXT_INVALID
 */
export function decodeFrame(bytes: Buffer): Frame {
  if (bytes.length > KMS_LIMITS.ciphertext) throw invalid(`${bytes.length} bytes, over ${KMS_LIMITS.ciphertext}`);
  const need = (at: number, n: number, what: string): void => {
    if (at + n > bytes.length) throw invalid(`truncated in the ${what}`);
  };
  need(0, 4, 'magic');
  if (bytes[0] !== FRAME_MAGIC[0] || bytes[1] !== FRAME_MAGIC[1]) throw invalid('bad magic');
  if (bytes[2] !== FRAME_VERSION) throw invalid(`frame version ${bytes[2]} is not known to this build`);
  const method = METHODS[bytes[3]! - 1];
  if (method === undefined) throw invalid(`wrap method ${bytes[3]} is not known`);
  let o = 4;
  need(o, 1, 'provider id length');
  const providerLen = bytes[o++]!;
  need(o, providerLen, 'provider id');
  if (!isValidProviderIdBytes(bytes.subarray(o, o + providerLen))) throw invalid('provider id is not valid');
  const provider = bytes.toString('latin1', o, o + providerLen);
  o += providerLen;
  need(o, 2, 'key id length');
  const keyIdLen = bytes.readUInt16BE(o);
  o += 2;
  need(o, keyIdLen, 'key id');
  const keyIdBytes = bytes.subarray(o, o + keyIdLen);
  if (!isValidKeyIdBytes(keyIdBytes)) throw invalid('key id is not valid');
  o += keyIdLen;
  need(o, 4 + KEY_TAG_LEN, 'key version and tag');
  const version = bytes.readUInt32BE(o);
  if (version < 1) throw invalid('key version is 0');
  o += 4;
  const keyTag = bytes.toString('hex', o, o + KEY_TAG_LEN);
  o += KEY_TAG_LEN;
  const header = bytes.subarray(0, o);
  need(o, 2, 'annotations length');
  const annotationsLen = bytes.readUInt16BE(o);
  o += 2;
  need(o, annotationsLen, 'annotations');
  try {
    checkAnnotations(bytes, o, annotationsLen);
  } catch (err) {
    throw invalid((err as Error).message);
  }
  const annotations = readAnnotations(bytes, o, annotationsLen);
  o += annotationsLen;
  need(o, 2, 'wrapped DEK length');
  const wrappedLen = bytes.readUInt16BE(o);
  o += 2;
  if (wrappedLen === 0) throw invalid('wrapped DEK is empty');
  need(o, wrappedLen, 'wrapped DEK');
  const wrapped = bytes.subarray(o, o + wrappedLen);
  o += wrappedLen;
  if (o !== bytes.length) throw invalid(`${bytes.length - o} byte(s) after the wrapped DEK`);
  return {
    method,
    ref: { provider, keyId: keyIdBytes.toString('utf8'), version, keyTag },
    annotations,
    wrapped,
    header,
  };
}

/**
 * The KMS v2 key_id of a key version: `provider:keyId:vVERSION:keyTag`. Stable for a version,
 * different for every version and every key (the tag names the key material), at most 1 KiB.
 * @throws KMS_PLUGIN_KEY_TOO_LARGE when the provider's key id makes it longer
 */
export function kmsKeyId(ref: KeyRef): string {
  const id = `${ref.provider}:${ref.keyId}:v${ref.version}:${ref.keyTag}`;
  if (Buffer.byteLength(id, 'utf8') > KMS_LIMITS.keyId) {
    throw tooLarge(
      `the KMS v2 key_id for this key would be over ${KMS_LIMITS.keyId} bytes: the provider's key id is too long`,
    );
  }
  return id;
}
