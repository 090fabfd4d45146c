/**
 * A bounded LRU with a TTL for what a DEK expands into, so a burst of pods opening the same
 * values costs one KEK call per value, not one per pod, and a cached open skips HKDF too (the
 * perf budget: HKDF alone costs more than the AES-GCM of a 1 KiB value).
 *
 * Keyed by SHA-256 of the envelope's header and key slot (provider id, key id, version and
 * wrapped DEK), so nothing secret is a key and a rewrapped value is a new entry. Each entry also
 * records the provider id and the provider's key generation it was unwrapped under (see
 * KekProvider.keyGeneration): openValue serves a hit only to a provider that still answers with
 * that generation, so a shredded version, another keyring or another provider never opens from
 * the cache. It holds the derived keys, not the DEK: opening needs nothing else. Evicted or
 * expired entries are zeroed; providers call evictKey/evictKeyring/clear when their keys change.
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
  /** The provider's key generation when the DEK was unwrapped (a primitive: no key material is kept alive). */
  readonly generation: string | number;
}

interface Entry extends CachedKeys {
  expiresAt: number;
}

/** Bounded, expiring cache of DEK-derived keys. */
export class DekCache {
  readonly maxEntries: number;
  readonly ttlMs: number;
  private readonly now: () => number;
  private readonly entries = new Map<string, Entry>();
  private hitCount = 0;
  private missCount = 0;

  constructor(options: DekCacheOptions = {}) {
    this.maxEntries = options.maxEntries ?? 1024;
    this.ttlMs = options.ttlMs ?? 300_000;
    this.now = options.now ?? Date.now;
    if (!Number.isInteger(this.maxEntries) || this.maxEntries < 1)
      throw new RangeError('maxEntries must be a positive integer');
    if (!(this.ttlMs > 0)) throw new RangeError('ttlMs must be positive');
  }

  /** Lookups that found live keys since the cache was made (plain numbers: the metrics layer reads them). */
  get hits(): number {
    return this.hitCount;
  }

  /** Lookups that found nothing, or an expired entry. */
  get misses(): number {
    return this.missCount;
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
    if (entry === undefined) {
      this.missCount++;
      return undefined;
    }
    this.entries.delete(id);
    if (entry.expiresAt <= this.now()) {
      zeroKeys(entry.keys);
      this.missCount++;
      return undefined;
    }
    this.entries.set(id, entry); // most recently used goes last
    this.hitCount++;
    return entry;
  }

  /** Stores keys (the cache takes ownership and zeroes them on eviction) and returns the entry. */
  set(digest: string, ref: KeyRef, keys: DerivedKeys, generation: string | number): CachedKeys {
    const id = digest;
    const old = this.entries.get(id);
    if (old !== undefined) {
      this.entries.delete(id);
      if (old.keys !== keys) zeroKeys(old.keys);
    }
    const entry: Entry = {
      keys,
      ref: { ...ref },
      verifiedScope: undefined,
      generation,
      expiresAt: this.now() + this.ttlMs,
    };
    this.entries.set(id, entry);
    while (this.entries.size > this.maxEntries) {
      const [oldest, evicted] = this.entries.entries().next().value as [string, Entry];
      this.entries.delete(oldest);
      zeroKeys(evicted.keys);
    }
    return entry;
  }

  /** Drops and zeroes one entry (openValue calls it when the provider no longer vouches for it). */
  delete(digest: string): boolean {
    const entry = this.entries.get(digest);
    if (entry === undefined) return false;
    this.entries.delete(digest);
    zeroKeys(entry.keys);
    return true;
  }

  /** Drops every entry under a key version (call after retiring, shredding or revoking it). Returns how many. */
  evictKey(ref: KeyRef): number {
    return this.evictWhere((e) => e.provider === ref.provider && e.keyId === ref.keyId && e.version === ref.version);
  }

  /** Drops every entry under any version of a key (call when a keyring is reloaded or replaced). Returns how many. */
  evictKeyring(provider: string, keyId: string): number {
    return this.evictWhere((e) => e.provider === provider && e.keyId === keyId);
  }

  private evictWhere(matches: (ref: KeyRef) => boolean): number {
    let count = 0;
    for (const [id, entry] of this.entries) {
      if (matches(entry.ref)) {
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
