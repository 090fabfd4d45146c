/**
 * The KEK provider interface: the root of trust behind every sealed value.
 *
 * Shaped for the slowest, least reliable provider we expect (a PKCS#11 HSM behind a session
 * pool, a Kubernetes KMS v2 plugin over a unix socket): every call is async, takes an
 * AbortSignal, and fails with typed errors. `callProvider` adds the timeout and turns anything
 * untyped into CRYPTO_PROVIDER_UNAVAILABLE, so callers never hang on, or branch on the text of,
 * a provider's own errors. The local keyring file is just the first implementation.
 */
import { ShroudError, isShroudError } from '../errors.js';
import type { KeyRef, KeySlot, SlotAnnotations, WrapMethod } from './envelope.js';

/** Lifecycle state of a key version. */
export type KeyState = 'primary' | 'active' | 'retired' | 'destroyed';

/** A request to wrap a fresh DEK under the provider's current (primary) key version. */
export interface WrapRequest {
  /** The 32-byte DEK. The provider must not keep it. */
  dek: Uint8Array;
  /**
   * Bytes to bind to the wrapped DEK as associated data (the envelope's 64-byte header). A
   * provider whose mechanism has associated data (AES-GCM in a keyring or HSM) should bind it
   * with the key reference; one that has none (KMS v2 Encrypt) may ignore it: the envelope's
   * key commitment, authenticated header and slot MAC keep sealed values safe either way.
   */
  context: Uint8Array;
  signal?: AbortSignal;
}

/** The provider's answer to a wrap. */
export interface WrapResult {
  method: WrapMethod;
  ref: KeyRef;
  /**
   * Public metadata the provider needs back to unwrap (a KMS v2 plugin's annotations), stored in
   * the key slot and given back in UnwrapRequest.slot. Names are lowercase DNS subdomains with a
   * dot; names and values together at most 32 KiB.
   */
  annotations?: SlotAnnotations;
  /** At most 4096 bytes. */
  wrapped: Uint8Array;
}

/** A request to unwrap the DEK in an envelope's key slot. */
export interface UnwrapRequest {
  slot: KeySlot;
  /** The same context bytes that were given to wrap (or to a public-key seal). */
  context: Uint8Array;
  signal?: AbortSignal;
}

/** One key version as a provider reports it; never key material. */
export interface KeyVersionStatus {
  ref: KeyRef;
  state: KeyState;
  createdAt: string;
}

/** Health and key inventory, for readiness probes, metrics and `shroud keys status`. */
export interface ProviderStatus {
  provider: string;
  healthy: boolean;
  /** Why the provider is unhealthy, for people; never secret. */
  message?: string;
  primary?: KeyRef;
  versions: KeyVersionStatus[];
}

/**
 * A key-encryption-key provider.
 *
 * Contract for implementations:
 * - `wrap` uses the primary version; `unwrap` any version that is not destroyed.
 * - Errors: CRYPTO_UNKNOWN_KEY (no such key or version), CRYPTO_KEY_DESTROYED (shredded),
 *   CRYPTO_INTEGRITY (the wrapped DEK does not authenticate), CRYPTO_PROVIDER_UNAVAILABLE,
 *   CRYPTO_PROVIDER_TIMEOUT. Anything else is reported as CRYPTO_PROVIDER_UNAVAILABLE.
 * - Honour `signal` where the transport allows; callers also stop waiting on their own.
 * - Never log or put in an error the DEK, a key or the context.
 */
export interface KekProvider {
  /** Provider id written into envelopes (`local`); changing it orphans sealed values. */
  readonly id: string;
  wrap(request: WrapRequest): Promise<WrapResult>;
  unwrap(request: UnwrapRequest): Promise<Uint8Array>;
  status(options?: { signal?: AbortSignal }): Promise<ProviderStatus>;
  /**
   * Optional, synchronous and cheap (no I/O): whether `ref` can still be unwrapped, asked on every
   * DEK cache hit. Returns a generation (a string or number) that changes whenever the answer may
   * change: another keyring, a reload, a retired or shredded version. Throws what unwrap would
   * (CRYPTO_UNKNOWN_KEY, CRYPTO_KEY_DESTROYED). A cache entry is served only while the provider
   * answers with the generation it was stored under; a provider without this method is served
   * cached keys only by the same provider object (and within the cache TTL).
   */
  keyGeneration?(ref: KeyRef): string | number;
}

/** Timeout and cancellation of one provider call. */
export interface ProviderCallOptions {
  /** Milliseconds before CRYPTO_PROVIDER_TIMEOUT (default 5000). */
  timeoutMs?: number;
  /** Caller's cancellation; aborting it ends the wait. */
  signal?: AbortSignal;
}

/** Default provider call timeout: well under kube-apiserver's 10 s webhook default, long enough for a remote HSM or KMS round trip. */
export const DEFAULT_PROVIDER_TIMEOUT_MS = 5000;

/** Provider error codes passed through as they are; anything else is "unavailable". */
const TYPED: ReadonlySet<string> = new Set([
  'CRYPTO_UNKNOWN_KEY',
  'CRYPTO_KEY_DESTROYED',
  'CRYPTO_INTEGRITY',
  'CRYPTO_PROVIDER_TIMEOUT',
  'CRYPTO_PROVIDER_UNAVAILABLE',
  'CRYPTO_UNSUPPORTED_VERSION',
]);

function abortError(provider: string, reason: unknown): ShroudError {
  const timedOut = reason instanceof Error && reason.name === 'TimeoutError';
  return timedOut
    ? new ShroudError('CRYPTO_PROVIDER_TIMEOUT', `KEK provider "${provider}" did not answer in time`, {
        details: { provider },
      })
    : new ShroudError('CRYPTO_PROVIDER_UNAVAILABLE', `call to KEK provider "${provider}" was cancelled`, {
        details: { provider },
      });
}

/**
 * Calls a provider operation with a timeout and the caller's signal, and normalises its errors.
 * The wait ends when the signal fires even if the provider ignores it; a late rejection is
 * swallowed so it can never become an unhandled rejection.
 * @throws CRYPTO_PROVIDER_TIMEOUT, CRYPTO_PROVIDER_UNAVAILABLE, or the provider's typed error
 */
export async function callProvider<T>(
  provider: string,
  operation: (signal: AbortSignal) => Promise<T>,
  options: ProviderCallOptions = {},
): Promise<T> {
  // A referenced timer, not AbortSignal.timeout(): that one is unref'd, so a provider that
  // never answers (and holds no socket) would let the process exit with the call unsettled.
  const timeout = new AbortController();
  const timer = setTimeout(
    () => timeout.abort(new DOMException('KEK provider call timed out', 'TimeoutError')),
    options.timeoutMs ?? DEFAULT_PROVIDER_TIMEOUT_MS,
  );
  const signal = options.signal ? AbortSignal.any([options.signal, timeout.signal]) : timeout.signal;
  if (signal.aborted) {
    clearTimeout(timer);
    throw abortError(provider, signal.reason);
  }
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(abortError(provider, signal.reason));
    signal.addEventListener('abort', onAbort, { once: true });
  });
  let pending: Promise<T>;
  try {
    pending = Promise.resolve(operation(signal));
  } catch (err) {
    pending = Promise.reject(err);
  }
  pending.catch(() => undefined);
  aborted.catch(() => undefined);
  try {
    return await Promise.race([pending, aborted]);
  } catch (err) {
    if (isShroudError(err) && TYPED.has(err.code)) throw err;
    throw new ShroudError('CRYPTO_PROVIDER_UNAVAILABLE', `KEK provider "${provider}" failed`, {
      cause: err,
      details: { provider },
    });
  } finally {
    clearTimeout(timer);
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}
