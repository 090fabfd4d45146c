/**
 * Checks of what a KMS v2 plugin answers, before any of it reaches an envelope: a malformed
 * answer (a missing field, a wrong type, an oversize ciphertext, a key_id or annotation the
 * shroud:v1 format cannot hold) is CRYPTO_PROVIDER_UNAVAILABLE naming the field, never its value.
 * Also the key reference rule for values sealed through a plugin (kmsKeyRef).
 */
import { createHash } from 'node:crypto';
import type { KeyRef } from '../../crypto/index.js';
import { ShroudError } from '../../errors.js';
import type { DecryptResponse, EncryptResponse, StatusResponse } from '../proto.js';

/** Limits of the fields a plugin answers with (those of the shroud:v1 key slot). */
export const KMS_CLIENT_LIMITS = Object.freeze({
  /** key_id: UTF-8 bytes, as the envelope's key id (KMS v2 itself allows 1 KiB). */
  keyId: 1024,
  /** Encrypt's ciphertext: the envelope's wrapped-DEK limit. */
  ciphertext: 4096,
  /** Annotation names and values together. */
  annotations: 32 * 1024,
  /** healthz text kept for status messages. */
  healthz: 200,
});

/** Length of a DEK. */
export const KMS_DEK_LEN = 32;

/**
 * The key version written for every value sealed through a plugin. KMS v2 has no versions of
 * its own: a rotation is a new key_id. Numbering key_ids in the order one process saw them
 * would give the same key different numbers in different processes, so the version is fixed.
 */
export const KMS_KEY_VERSION = 1;

const KEY_TAG_LABEL = 'shroud kms v2 key tag\0';

/**
 * The key tag of a plugin's key_id: the first 16 bytes of SHA-256("shroud kms v2 key tag" ‖
 * 0x00 ‖ key_id as UTF-8), as hex. Deterministic, so every process derives the same reference
 * for the same key_id; it adds no secret (the plugin's key_id already names its key material).
 */
export function kmsKeyTag(keyId: string): string {
  return createHash('sha256').update(KEY_TAG_LABEL).update(keyId, 'utf8').digest('hex').slice(0, 32);
}

/** The key reference of values wrapped under `keyId` by provider `provider`. */
export function kmsKeyRef(provider: string, keyId: string): KeyRef {
  return { provider, keyId, version: KMS_KEY_VERSION, keyTag: kmsKeyTag(keyId) };
}

function malformed(provider: string, socket: string, method: string, field: string, problem: string): ShroudError {
  return new ShroudError(
    'CRYPTO_PROVIDER_UNAVAILABLE',
    `KMS v2 plugin at ${socket}: ${method} answered with ${field} ${problem}; the plugin is not speaking KMS v2 as Shroud needs it (check its version and logs)`,
    { details: { provider, method, field } },
  );
}

/** Where an answer came from, for messages. */
export interface AnswerSource {
  provider: string;
  socket: string;
}

/** Why a key_id is not acceptable, or undefined when it is. */
export function keyIdProblem(keyId: unknown): string | undefined {
  if (typeof keyId !== 'string') return 'that is not a string';
  if (keyId.length === 0) return 'that is empty';
  const bytes = Buffer.byteLength(keyId, 'utf8');
  if (bytes > KMS_CLIENT_LIMITS.keyId) return `over ${KMS_CLIENT_LIMITS.keyId} bytes`;
  // C0, DEL and C1 controls; U+FFFD is what invalid UTF-8 decodes to.
  for (let i = 0; i < keyId.length; i++) {
    const c = keyId.charCodeAt(i);
    if (isControl(c) || c === 0xfffd) return 'that has a control character or invalid UTF-8';
  }
  if (/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(keyId))
    return 'that is not valid UTF-8';
  return undefined;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A KMS v2 annotation name: a lowercase DNS subdomain with at least one dot (the envelope's rule). */
export function isKmsAnnotationName(name: string): boolean {
  if (name.length === 0 || name.length > 253 || !name.includes('.')) return false;
  return name.split('.').every((label) => label.length <= 63 && DNS_LABEL.test(label));
}

/** A Status answer, checked for types; the caller judges version and healthz. */
export function checkStatus(source: AnswerSource, res: unknown): StatusResponse {
  const r = (res ?? {}) as Partial<Record<keyof StatusResponse, unknown>>;
  for (const field of ['version', 'healthz', 'key_id'] as const) {
    if (typeof r[field] !== 'string') throw malformed(source.provider, source.socket, 'Status', field, 'not a string');
  }
  return { version: r.version as string, healthz: r.healthz as string, key_id: r.key_id as string };
}

/** The checked parts of an Encrypt answer, copied out of grpc-js's buffers. */
export interface CheckedEncrypt {
  keyId: string;
  ciphertext: Buffer;
  annotations: Record<string, Uint8Array> | undefined;
}

/** Checks an Encrypt answer: ciphertext 1..4096 bytes, key_id by the envelope's rules, annotations. */
export function checkEncrypt(source: AnswerSource, res: unknown): CheckedEncrypt {
  const r = (res ?? {}) as Partial<Record<keyof EncryptResponse, unknown>>;
  const bad = (field: string, problem: string) => malformed(source.provider, source.socket, 'Encrypt', field, problem);
  if (!Buffer.isBuffer(r.ciphertext)) throw bad('ciphertext', 'that is not bytes');
  if (r.ciphertext.length === 0) throw bad('ciphertext', 'that is empty');
  if (r.ciphertext.length > KMS_CLIENT_LIMITS.ciphertext)
    throw bad('ciphertext', `over ${KMS_CLIENT_LIMITS.ciphertext} bytes`);
  const problem = keyIdProblem(r.key_id);
  if (problem !== undefined) throw bad('key_id', problem);
  const annotations = checkAnnotations(r.annotations, bad);
  return { keyId: r.key_id as string, ciphertext: Buffer.from(r.ciphertext), annotations };
}

function checkAnnotations(
  value: unknown,
  bad: (field: string, problem: string) => ShroudError,
): Record<string, Uint8Array> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw bad('annotations', 'that are not a map');
  const out: Record<string, Uint8Array> = {};
  let total = 0;
  let count = 0;
  for (const [name, bytes] of Object.entries(value as Record<string, unknown>)) {
    if (!isKmsAnnotationName(name)) throw bad('annotations', 'whose name is not a lowercase DNS subdomain with a dot');
    if (!Buffer.isBuffer(bytes)) throw bad('annotations', 'whose value is not bytes');
    total += name.length + bytes.length;
    if (total > KMS_CLIENT_LIMITS.annotations) throw bad('annotations', 'larger than 32 KiB');
    out[name] = Buffer.from(bytes);
    count++;
  }
  return count === 0 ? undefined : out;
}

/**
 * The DEK in a Decrypt answer. Bytes of another length than a DEK mean the plugin decrypted
 * something that is not the DEK this slot wrapped (a swapped or altered slot): CRYPTO_INTEGRITY,
 * as the envelope's own checks would say. The returned buffer is a copy the caller zeroes; the
 * answer's buffer is zeroed here.
 */
export function checkDecrypt(source: AnswerSource, res: unknown): Buffer {
  const r = (res ?? {}) as Partial<Record<keyof DecryptResponse, unknown>>;
  if (!Buffer.isBuffer(r.plaintext))
    throw malformed(source.provider, source.socket, 'Decrypt', 'plaintext', 'that is not bytes');
  const plaintext = r.plaintext;
  if (plaintext.length !== KMS_DEK_LEN) {
    plaintext.fill(0);
    throw new ShroudError(
      'CRYPTO_INTEGRITY',
      `KMS v2 plugin at ${source.socket}: Decrypt answered with ${plaintext.length} bytes, not a ${KMS_DEK_LEN}-byte DEK (the wrapped DEK was altered or is not Shroud's)`,
      { details: { provider: source.provider, method: 'Decrypt', field: 'plaintext' } },
    );
  }
  const dek = Buffer.from(plaintext);
  plaintext.fill(0);
  return dek;
}

/** C0, DEL and C1 control characters. */
function isControl(c: number): boolean {
  return c < 0x20 || (c >= 0x7f && c <= 0x9f);
}

/** Text a plugin sent (healthz, version) made safe and short for a status message. */
export function printable(text: string, max: number = KMS_CLIENT_LIMITS.healthz): string {
  let clean = '';
  for (let i = 0; i < text.length && clean.length <= max; i++) {
    const c = text.charCodeAt(i);
    clean += isControl(c) ? '?' : text[i];
  }
  return clean.length <= max ? clean : `${clean.slice(0, max - 3)}...`;
}
