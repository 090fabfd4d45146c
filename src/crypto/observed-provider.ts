/**
 * A KEK provider that tells an observer how each call ended, for metrics: the provider id, the
 * operation (wrap, unwrap, status) and the error code when it failed (a timeout or cancellation
 * that `callProvider` imposes is seen through the call's signal). Nothing else: never the key
 * reference's material, the context or the DEK. The role wraps its provider once.
 */
import { isShroudError } from '../errors.js';
import type { KekProvider } from './provider.js';

/** `error`: the ShroudError code, `CRYPTO_PROVIDER_TIMEOUT` for a timed-out call; undefined when it succeeded. */
export type KekObserver = (provider: string, op: 'wrap' | 'unwrap' | 'status', error: string | undefined) => void;

function errorCode(err: unknown): string {
  return isShroudError(err) ? err.code : 'CRYPTO_PROVIDER_UNAVAILABLE';
}

/** Reports the call once: when it settles, or when its signal aborts first. */
async function observed<T>(
  observe: KekObserver,
  provider: string,
  op: 'wrap' | 'unwrap' | 'status',
  signal: AbortSignal | undefined,
  call: () => Promise<T>,
): Promise<T> {
  let told = false;
  const tell = (error: string | undefined): void => {
    if (told) return;
    told = true;
    observe(provider, op, error);
  };
  const onAbort = (): void => {
    const reason: unknown = signal?.reason;
    tell(reason instanceof Error && reason.name === 'TimeoutError' ? 'CRYPTO_PROVIDER_TIMEOUT' : 'CANCELLED');
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const result = await call();
    tell(undefined);
    return result;
  } catch (err) {
    tell(errorCode(err));
    throw err;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

/** `provider` with every wrap, unwrap and status call reported to `observe`; keyGeneration passes through. */
export function observeProvider(provider: KekProvider, observe: KekObserver): KekProvider {
  const wrapped: KekProvider = {
    get id() {
      return provider.id;
    },
    wrap: (request) => observed(observe, provider.id, 'wrap', request.signal, () => provider.wrap(request)),
    unwrap: (request) => observed(observe, provider.id, 'unwrap', request.signal, () => provider.unwrap(request)),
    status: (options) => observed(observe, provider.id, 'status', options?.signal, () => provider.status(options)),
  };
  if (provider.keyGeneration !== undefined) {
    const keyGeneration = provider.keyGeneration.bind(provider);
    wrapped.keyGeneration = (ref) => keyGeneration(ref);
  }
  return wrapped;
}
