/**
 * Length hiding: the body of a sealed value is the plaintext, one 0x80 byte, and zeros up to a
 * bucket, so the ciphertext tells the length's order of magnitude, not the length. Up to 31
 * bytes (passwords, tokens, most API keys) all pad to 32. Above that, Padmé (Nikitin et al.,
 * "Reducing Metadata Leakage from Encrypted Files and Communication with PURBs", PETS 2019)
 * keeps the length's highest bits: at most 12% is added and O(log log n) bits of the length
 * show instead of all of them.
 */
import { ShroudError } from '../errors.js';

/** The smallest bucket. */
export const MIN_PADDED_LEN = 32;

function floorLog2(n: number): number {
  return n < 2 ** 32 ? 31 - Math.clz32(n) : Math.floor(Math.log2(n));
}

/** Padmé's step for a length of `n` bytes: 2^(e - s), e = floor(log2 n), s = floor(log2 e) + 1. */
function stepOf(n: number): number {
  const e = floorLog2(n);
  return 2 ** (e - (floorLog2(e) + 1));
}

/** The padded body length of a plaintext of `length` bytes. */
export function paddedLength(length: number): number {
  const total = length + 1;
  if (total <= MIN_PADDED_LEN) return MIN_PADDED_LEN;
  const step = stepOf(total);
  return Math.ceil(total / step) * step;
}

/** True when `n` is a bucket: a length paddedLength returns. */
export function isPaddedLength(n: number): boolean {
  if (!Number.isInteger(n) || n < MIN_PADDED_LEN) return false;
  return n === MIN_PADDED_LEN || n % stepOf(n) === 0;
}

/** The plaintext padded to its bucket (a new buffer; the caller zeroes it after encrypting). */
export function pad(plaintext: Uint8Array): Buffer {
  const out = Buffer.alloc(paddedLength(plaintext.length));
  out.set(plaintext, 0);
  out[plaintext.length] = 0x80;
  return out;
}

/**
 * The plaintext inside an authenticated padded body (a view of it). The padding must be
 * canonical: the 0x80 marker, then zeros, in exactly the bucket of the plaintext's length.
 * @throws CRYPTO_MALFORMED otherwise (the tag verified, so whoever sealed it broke the format)
 */
export function unpad(padded: Buffer): Buffer {
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end--;
  if (end < 0 || padded[end] !== 0x80 || paddedLength(end) !== padded.length) {
    throw new ShroudError('CRYPTO_MALFORMED', 'sealed value padding is not canonical');
  }
  return padded.subarray(0, end);
}
