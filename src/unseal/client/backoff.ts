/** Exponential backoff with full jitter: a storm of pods retrying does not retry in step. */

export const BACKOFF = {
  /** The ceiling of the first wait. */
  baseMs: 250,
  /** No wait is longer than this, whatever the attempt or Retry-After says. */
  capMs: 8000,
} as const;

/**
 * The wait before attempt `attempt + 1` (attempt counts from 1): a uniform draw in
 * [0, min(cap, base * 2^(attempt-1))), and at least the service's Retry-After (capped too).
 * @param random a draw in [0, 1)
 */
export function backoffMs(attempt: number, random: number, retryAfterSeconds?: number): number {
  const ceiling = Math.min(BACKOFF.capMs, BACKOFF.baseMs * 2 ** Math.max(0, Math.min(attempt - 1, 30)));
  const jittered = Math.floor(random * ceiling);
  const asked = retryAfterSeconds === undefined ? 0 : Math.min(BACKOFF.capMs, retryAfterSeconds * 1000);
  return Math.max(jittered, asked);
}
