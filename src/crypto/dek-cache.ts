/**
 * A bounded LRU with a TTL for what a DEK expands into, so a burst of pods opening the same
 * values costs one KEK call per value, not one per pod, and a cached open skips HKDF too (the
 * perf budget: HKDF alone costs more than the AES-GCM of a 1 KiB value).
 *
 * Keyed by SHA-256 of the envelope's header and key slot (which holds the wrapped DEK), so
 * nothing secret is a key and a rewrapped value is a new entry. It holds the derived keys, not
 * the DEK: opening needs nothing else. Evicted or expired entries are zeroed.
 */
import type { KeyRef } from './envelope.js';
import { zeroKeys, type DerivedKeys } from './key-schedule.js';

/** DekCache limits. */
export interface DekCacheOptions {
  /** Most entries kept (default 1024); the least recently used goes first. */
  maxEntries?: number;
  /** Milliseconds an entry lives after it is stored (default 300000 = 5 min), bounding how long a shredded or revoked key keeps working. */
  ttlMs?: number;
  /** Clock in milliseconds (default Date.now); tests pass a fake one. */
  now?: () => number;
}

/** A cache entry: one envelope's derived keys and what openValue remembers about it. */
export interface CachedKeys {
  readonly keys: DerivedKeys;
  /** The key version the envelope names (its bytes are identical for every hit). */
  readonly ref: KeyRef;
  /**
   * The scope field values whose binding last verified for this envelope (an entry belongs to
   * one header): an open with the same values skips encoding and HMAC; anything else is
   * checked in full. Not secret.
   */
  verifiedScope: readonly string[] | undefined;
}

interface Entry extends CachedKeys {
  expiresAt: number;
}

/** Bounded, expiring cache of DEK-derived keys. Not shared across keyrings with clashing ids. */
export class DekCache {
  readonly maxEntries: number;
  readonly ttlMs: number;
  private readonly now: () => number;
  private readonly entries = new Map<string, Entry>();

  constructor(options: DekCacheOptions = {}) {
    this.maxEntries = options.maxEntries ?? 1024;
    this.ttlMs = options.ttlMs ?? 300_000;
    this.now = options.now ?? Date.now;
    if (!Number.isInteger(this.maxEntries) || this.maxEntries < 1)
      throw new RangeError('maxEntries must be a positive integer');
    if (!(this.ttlMs > 0)) throw new RangeError('ttlMs must be positive');
  }

  /** Number of live or not-yet-collected entries. */
  get size(): number {
    return this.entries.size;
  }

  /**
   * The keys for an envelope digest (the binary-string SHA-256 of its header and key slot,
   * as parsed envelopes carry it), or undefined (missing or expired). The returned buffers
   * stay valid until the next call that changes this cache; use them synchronously.
   */
  get(digest: string): CachedKeys | undefined {
    const id = digest;
    const entry = this.entries.get(id);
    if (entry === undefined) return undefined;
    this.entries.delete(id);
    if (entry.expiresAt <= this.now()) {
      zeroKeys(entry.keys);
      return undefined;
    }
    this.entries.set(id, entry); // most recently used goes last
    return entry;
  }

  /** Stores keys (the cache takes ownership and zeroes them on eviction) and returns the entry. */
  set(digest: string, ref: KeyRef, keys: DerivedKeys): CachedKeys {
    const id = digest;
    const old = this.entries.get(id);
    if (old !== undefined) {
      this.entries.delete(id);
      if (old.keys !== keys) zeroKeys(old.keys);
    }
    const entry: Entry = { keys, ref: { ...ref }, verifiedScope: undefined, expiresAt: this.now() + this.ttlMs };
    this.entries.set(id, entry);
    while (this.entries.size > this.maxEntries) {
      const [oldest, evicted] = this.entries.entries().next().value as [string, Entry];
      this.entries.delete(oldest);
      zeroKeys(evicted.keys);
    }
    return entry;
  }

  /** Drops every entry under a key version (call after shredding or revoking it). Returns how many. */
  evictKey(ref: KeyRef): number {
    let count = 0;
    for (const [id, entry] of this.entries) {
      if (entry.ref.provider === ref.provider && entry.ref.keyId === ref.keyId && entry.ref.version === ref.version) {
        this.entries.delete(id);
        zeroKeys(entry.keys);
        count++;
      }
    }
    return count;
  }

  /** Drops and zeroes everything. */
  clear(): void {
    for (const entry of this.entries.values()) zeroKeys(entry.keys);
    this.entries.clear();
  }
}
