/**
 * Provider annotations in a key slot: public metadata a provider keeps with a wrapped DEK (a
 * Kubernetes KMS v2 plugin's EncryptResponse annotations). Names are lowercase DNS subdomains
 * with a dot (as KMS v2 requires), values are bytes, names and values together at most 32 KiB.
 * Encoded as entries sorted by name: 1 name length, name, 2 value length, value.
 */
import { ShroudError } from '../errors.js';

/** Provider metadata stored with a wrapped DEK. Public, not secret. */
export type SlotAnnotations = Readonly<Record<string, Uint8Array>>;

/** Limits of annotations, the same when encoding and decoding. */
export const ANNOTATION_LIMITS = Object.freeze({ name: 253, total: 32 * 1024 });

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function malformed(message: string): ShroudError {
  return new ShroudError('CRYPTO_MALFORMED', message);
}

/** True when `name` is a lowercase DNS subdomain with at least one dot (a KMS v2 annotation key). */
export function isAnnotationName(name: string): boolean {
  if (name.length === 0 || name.length > ANNOTATION_LIMITS.name || !name.includes('.')) return false;
  return name.split('.').every((label) => label.length <= 63 && DNS_LABEL.test(label));
}

/** Annotations as bytes (names sorted); an empty Buffer when there are none. @throws CRYPTO_MALFORMED */
export function encodeAnnotations(annotations: SlotAnnotations | undefined): Buffer {
  if (annotations === undefined) return Buffer.alloc(0);
  const names = Object.keys(annotations).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const parts: Buffer[] = [];
  let payload = 0;
  for (const name of names) {
    if (!isAnnotationName(name)) throw malformed('an annotation name is not a DNS subdomain with a dot');
    const value = annotations[name];
    if (!(value instanceof Uint8Array)) throw malformed('an annotation value is not bytes');
    payload += name.length + value.length;
    if (payload > ANNOTATION_LIMITS.total) throw malformed('annotations are larger than 32 KiB');
    const head = Buffer.alloc(1 + name.length + 2);
    head[0] = name.length;
    head.write(name, 1, 'ascii');
    head.writeUInt16BE(value.length, 1 + name.length);
    parts.push(head, Buffer.from(value));
  }
  return Buffer.concat(parts);
}

/** Reads annotation entries already validated by checkAnnotations. */
export function readAnnotations(bytes: Buffer, at: number, length: number): SlotAnnotations {
  const out: Record<string, Uint8Array> = {};
  let o = at;
  while (o < at + length) {
    const nameLen = bytes[o]!;
    const name = bytes.toString('latin1', o + 1, o + 1 + nameLen);
    const valueLen = bytes.readUInt16BE(o + 1 + nameLen);
    const start = o + 3 + nameLen;
    out[name] = bytes.subarray(start, start + valueLen);
    o = start + valueLen;
  }
  return Object.freeze(out);
}

/** Validates the annotation entries' structure, names, order and total size. */
export function checkAnnotations(bytes: Buffer, at: number, length: number): void {
  let o = at;
  const end = at + length;
  let payload = 0;
  let previous: Buffer | undefined;
  while (o < end) {
    const nameLen = bytes[o]!;
    if (nameLen === 0 || o + 3 + nameLen > end) throw malformed('annotations are truncated');
    const name = bytes.subarray(o + 1, o + 1 + nameLen);
    if (!isAnnotationName(name.toString('latin1')) || name.some((c) => c >= 0x80)) {
      throw malformed('an annotation name is not a DNS subdomain with a dot');
    }
    if (previous !== undefined && Buffer.compare(previous, name) >= 0) {
      throw malformed('annotation names are not in strictly ascending order');
    }
    previous = name;
    const valueLen = bytes.readUInt16BE(o + 1 + nameLen);
    o += 3 + nameLen + valueLen;
    if (o > end) throw malformed('annotations are truncated');
    payload += nameLen + valueLen;
    if (payload > ANNOTATION_LIMITS.total) throw malformed('annotations are larger than 32 KiB');
  }
}
