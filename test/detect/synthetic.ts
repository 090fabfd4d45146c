/**
 * Deterministic synthetic values for the detector corpus: a seeded generator (the same strings
 * every run, so a failing case can be reproduced by name), never live credentials.
 */
import { createHash } from 'node:crypto';

export const LOWER = 'abcdefghijklmnopqrstuvwxyz';
export const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
export const DIGITS = '0123456789';
export const HEX = '0123456789abcdef';
export const BASE62 = `${UPPER}${LOWER}${DIGITS}`;
export const BASE64 = `${BASE62}+/`;
export const SYMBOLS = '!#%&*+-=?@^_~';

/** A reproducible stream of pseudo-random bytes: SHA-256 of the seed and a counter. */
export class Synthetic {
  private counter = 0;
  private pool: Buffer = Buffer.alloc(0);
  private at = 0;

  constructor(private readonly seed: string) {}

  private byte(): number {
    if (this.at >= this.pool.length) {
      this.pool = createHash('sha256')
        .update(`${this.seed}:${this.counter++}`)
        .digest();
      this.at = 0;
    }
    return this.pool[this.at++] as number;
  }

  /** `length` characters drawn uniformly from `alphabet`. */
  string(alphabet: string, length: number): string {
    let out = '';
    while (out.length < length) {
      const b = this.byte();
      // Rejection sampling keeps the distribution uniform.
      if (b >= 256 - (256 % alphabet.length)) continue;
      out += alphabet[b % alphabet.length];
    }
    return out;
  }

  /** `n` random bytes. */
  bytes(n: number): Buffer {
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i++) out[i] = this.byte();
    return out;
  }

  /** A password a generator would make: `length` characters with letters, digits and symbols. */
  password(length: number): string {
    return this.string(`${BASE62}${SYMBOLS}`, length);
  }

  /** One element of `list`. */
  pick<T>(list: readonly T[]): T {
    return list[this.byte() % list.length] as T;
  }
}
