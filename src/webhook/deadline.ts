import { parseGoDuration } from '../admission/index.js';

/** kube-apiserver's default webhook timeout (timeoutSeconds) when it sends none. */
const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * How long a review may take: the apiserver's `timeout` less a margin for the answer's trip
 * back (20% of it, at most 500 ms), so we answer before it gives up on us.
 */
export function decisionDeadline(timeoutParam: unknown): number {
  const timeout = parseGoDuration(timeoutParam) ?? DEFAULT_TIMEOUT_MS;
  return Math.max(1, timeout - Math.min(500, timeout * 0.2));
}

export const TIMED_OUT = Symbol('timed out');

/**
 * Awaits a value only when it is a promise, racing it against a timer of `remainingMs()`: the
 * engine is synchronous and checks its deadline itself, so its reviews pay for no timer.
 */
export async function withDeadline<T>(value: T | Promise<T>, remainingMs: () => number): Promise<T | typeof TIMED_OUT> {
  if (!(value instanceof Promise)) return value;
  const ms = Math.max(1, remainingMs());
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
  });
  try {
    return await Promise.race([value, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
