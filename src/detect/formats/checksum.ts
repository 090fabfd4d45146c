/**
 * Checksums that providers put inside their tokens, so a scanner can tell a real token from a
 * made-up one without asking the provider.
 */

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

const CRC_TABLE: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (IEEE 802.3, as zlib computes it) of the ASCII text `value[start, end)`. */
export function crc32(value: string, start = 0, end = value.length): number {
  let crc = 0xffffffff;
  for (let i = start; i < end; i++) crc = (CRC_TABLE[(crc ^ value.charCodeAt(i)) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** `n` in base62 (`0-9A-Za-z`), left-padded with `0` to `width` characters. */
export function base62(n: number, width: number): string {
  let out = '';
  let rest = n;
  while (rest > 0) {
    out = BASE62[rest % 62] + out;
    rest = Math.floor(rest / 62);
  }
  return out.padStart(width, '0');
}

/**
 * GitHub's token checksum (also npm's): the body's last 6 characters are the base62 CRC-32 of
 * the characters before them. `value[start, end)` is the body, without the prefix.
 * (https://github.blog/2021-04-05-behind-githubs-new-authentication-token-formats/)
 */
export function verifyCrc32Base62(value: string, start: number, end: number): boolean {
  if (end - start <= 6) return false;
  return base62(crc32(value, start, end - 6), 6) === value.slice(end - 6, end);
}

/** A format whose tokens carry a checksum: its prefixes, and the body's length and alphabet. */
export interface ChecksummedShape {
  prefixes: readonly string[];
  length: number;
  alphabet: (c: number) => boolean;
}

/**
 * True when `token` has a checksummed provider shape (prefix, body length and alphabet) but its
 * checksum does not verify: a made-up value (`ghp_` + 36 typed characters), which no provider
 * would accept, so no detector should call it a secret, whatever its key says.
 */
export function failsChecksum(token: string, shapes: readonly ChecksummedShape[]): boolean {
  for (const shape of shapes) {
    for (const prefix of shape.prefixes) {
      if (token.length !== prefix.length + shape.length || !token.startsWith(prefix)) continue;
      let inAlphabet = true;
      for (let i = prefix.length; i < token.length && inAlphabet; i++) inAlphabet = shape.alphabet(token.charCodeAt(i));
      if (inAlphabet) return !verifyCrc32Base62(token, prefix.length, token.length);
    }
  }
  return false;
}
