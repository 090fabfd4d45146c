/**
 * TokenReview answers cached briefly, keyed by SHA-256 of the token (the token itself is never
 * kept), so a pod that retries, or many calls at once with one token, cost one review. Only
 * authenticated answers are kept, for at most `ttlMs` and never past the token's own expiry;
 * concurrent reviews of one token share one API call. Bounded: the oldest entry goes first.
 */
import { createHash } from 'node:crypto';
import type { TokenReviewer, TokenReviewResult } from '../kube/index.js';

export interface TokenReviewCacheOptions {
  /** Longest an answer is reused (default 10000 ms). */
  ttlMs?: number;
  /** Most answers kept (default 10000). */
  maxEntries?: number;
  /** Clock in milliseconds (default Date.now). */
  now?: () => number;
  /** Runs each API call (a concurrency limiter); cache hits skip it. */
  limit?: <T>(call: () => Promise<T>) => Promise<T>;
}

interface Entry {
  result: TokenReviewResult;
  expiresAt: number;
}

/** SHA-256 of a token, hex: the only form of a token this service keeps. */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * The `exp` claim of a JWT in milliseconds, read without verifying (only to shorten a cache
 * entry; kube-apiserver did the verifying). Undefined when the token is not a readable JWT.
 */
export function tokenExpiry(token: string): number | undefined {
  const payload = token.split('.')[1];
  if (payload === undefined || payload.length > 16_384) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof claims.exp === 'number' && Number.isFinite(claims.exp) ? claims.exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/** A TokenReviewer in front of another, with the cache described above. */
export class CachingTokenReviewer implements TokenReviewer {
  readonly ttlMs: number;
  readonly maxEntries: number;
  private readonly now: () => number;
  private readonly limit: <T>(call: () => Promise<T>) => Promise<T>;
  private readonly entries = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<TokenReviewResult>>();
  /** Answers served from the cache (or a shared call) and from the API. */
  readonly stats = { hits: 0, misses: 0 };

  constructor(
    private readonly inner: TokenReviewer,
    options: TokenReviewCacheOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 10_000;
    this.maxEntries = options.maxEntries ?? 10_000;
    this.now = options.now ?? Date.now;
    this.limit = options.limit ?? ((call) => call());
  }

  get server(): string {
    return this.inner.server;
  }

  /** The cache keys (token hashes), oldest first: for tests and debugging. */
  keys(): string[] {
    return [...this.entries.keys()];
  }

  async review(token: string, options: { signal?: AbortSignal } = {}): Promise<TokenReviewResult> {
    return (await this.reviewWithSource(token, options)).result;
  }

  /** As review, and says whether the API was asked for this call. */
  async reviewWithSource(
    token: string,
    options: { signal?: AbortSignal } = {},
  ): Promise<{ result: TokenReviewResult; cached: boolean }> {
    const key = tokenHash(token);
    const entry = this.entries.get(key);
    if (entry !== undefined) {
      if (entry.expiresAt > this.now()) {
        this.stats.hits++;
        return { result: entry.result, cached: true };
      }
      this.entries.delete(key);
    }
    const shared = this.inFlight.get(key);
    if (shared !== undefined) {
      this.stats.hits++;
      return { result: await shared, cached: true };
    }
    this.stats.misses++;
    const call = this.limit(() => this.inner.review(token, options));
    this.inFlight.set(key, call);
    try {
      const result = await call;
      if (result.authenticated) this.store(key, result, tokenExpiry(token));
      return { result, cached: false };
    } finally {
      this.inFlight.delete(key);
    }
  }

  private store(key: string, result: TokenReviewResult, expiry: number | undefined): void {
    const now = this.now();
    const expiresAt = Math.min(now + this.ttlMs, expiry ?? Number.POSITIVE_INFINITY);
    if (expiresAt <= now) return;
    this.entries.delete(key);
    this.entries.set(key, { result, expiresAt });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }
}
