import type { KekProvider } from '../../src/crypto/index.js';

/** Wraps a provider and counts unwrap calls (to see what the DEK cache saves); passes its key check through. */
export function countingProvider(inner: KekProvider): KekProvider & { unwraps: number } {
  const counter: KekProvider & { unwraps: number } = {
    id: inner.id,
    unwraps: 0,
    wrap: (r: Parameters<KekProvider['wrap']>[0]) => inner.wrap(r),
    unwrap: (r: Parameters<KekProvider['unwrap']>[0]) => {
      counter.unwraps++;
      return inner.unwrap(r);
    },
    status: (o?: { signal?: AbortSignal }) => inner.status(o),
  };
  if (inner.keyGeneration !== undefined) counter.keyGeneration = (ref) => inner.keyGeneration!(ref);
  return counter;
}
