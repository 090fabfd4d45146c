/**
 * Alphabets of token parts: a name from {@link NAMED_ALPHABETS} or a character class written
 * without brackets (`A-Za-z0-9_-`: ranges and single characters; a `-` first or last is itself).
 * Compiled to a 128-entry membership table, so a scanner tests a character with one array read.
 * Only printable ASCII is accepted: token alphabets are ASCII.
 */

/** Names usable in place of a class, in the built-in table and in team formats. */
export const NAMED_ALPHABETS: Readonly<Record<string, string>> = Object.freeze({
  b62: 'A-Za-z0-9',
  base62: 'A-Za-z0-9',
  b64: 'A-Za-z0-9+/',
  base64: 'A-Za-z0-9+/',
  b64url: 'A-Za-z0-9_-',
  base64url: 'A-Za-z0-9_-',
  hex: '0-9a-f',
  HEX: '0-9A-F',
  Hex: '0-9a-fA-F',
  dec: '0-9',
  digits: '0-9',
  UD: 'A-Z0-9',
  ld: 'a-z0-9',
  b32: 'A-Z2-7',
  base32: 'A-Z2-7',
  lb32: 'a-z2-7',
});

/** A compiled alphabet: `table[c] === 1` for member character codes below 128. */
export interface CompiledAlphabet {
  readonly table: Uint8Array;
  /** Number of distinct members. */
  readonly size: number;
}

const cache = new Map<string, CompiledAlphabet>();

/**
 * Compiles an alphabet name or class; returns a sentence saying what is wrong instead when the
 * class is empty, has a reversed range or a character outside printable ASCII.
 */
export function compileAlphabet(spec: string): CompiledAlphabet | { error: string } {
  const known = cache.get(spec);
  if (known !== undefined) return known;
  const source = NAMED_ALPHABETS[spec] ?? spec;
  if (source.length === 0) return { error: 'the alphabet is empty' };
  const table = new Uint8Array(128);
  for (let i = 0; i < source.length; i++) {
    const c = source.charCodeAt(i);
    if (c < 33 || c > 126)
      return { error: `alphabet "${spec}" has a character outside printable ASCII (token alphabets are ASCII)` };
    const isRange = source[i + 1] === '-' && i + 2 < source.length;
    if (isRange) {
      const to = source.charCodeAt(i + 2);
      if (to < c) return { error: `alphabet "${spec}" has the reversed range ${source.slice(i, i + 3)}` };
      if (to > 126)
        return { error: `alphabet "${spec}" has a character outside printable ASCII (token alphabets are ASCII)` };
      for (let x = c; x <= to; x++) table[x] = 1;
      i += 2;
    } else table[c] = 1;
  }
  let size = 0;
  for (const bit of table) size += bit;
  const compiled = Object.freeze({ table, size });
  if (cache.size < 256) cache.set(spec, compiled);
  return compiled;
}
