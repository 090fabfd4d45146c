/**
 * Bounds the plugin's work: at most `maxInFlight` calls at the provider, at most `maxQueued`
 * waiting for a turn (kube-apiserver may send thousands of Decrypts at start-up: they wait, in
 * order, rather than fail). Past that a call is refused at once with KMS_PLUGIN_BUSY, and a
 * waiting call whose deadline passes leaves the queue.
 */
import { ShroudError } from '../../errors.js';

interface Waiter {
  grant: (release: () => void) => void;
}

export class CallLimiter {
  private running = 0;
  private readonly queue: Waiter[] = [];

  constructor(
    private readonly maxInFlight: number,
    private readonly maxQueued: number,
  ) {}

  /** Calls at the provider now, and calls waiting for a turn. */
  load(): { inFlight: number; queued: number } {
    return { inFlight: this.running, queued: this.queue.length };
  }

  /** Resolves with a release function once a slot is free. @throws KMS_PLUGIN_BUSY */
  acquire(signal: AbortSignal): Promise<() => void> {
    if (signal.aborted) return Promise.reject(this.gaveUp(signal));
    if (this.running < this.maxInFlight) {
      this.running++;
      return Promise.resolve(this.releaser());
    }
    if (this.queue.length >= this.maxQueued) {
      return Promise.reject(
        new ShroudError(
          'KMS_PLUGIN_BUSY',
          `kms-plugin has ${this.maxInFlight} calls in flight and ${this.maxQueued} waiting; the call can be retried`,
        ),
      );
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        grant: (release) => {
          signal.removeEventListener('abort', onAbort);
          resolve(release);
        },
      };
      const onAbort = (): void => {
        const at = this.queue.indexOf(waiter);
        if (at >= 0) this.queue.splice(at, 1);
        reject(this.gaveUp(signal));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.queue.push(waiter);
    });
  }

  private gaveUp(signal: AbortSignal): ShroudError {
    const timedOut = signal.reason instanceof Error && signal.reason.name === 'TimeoutError';
    return timedOut
      ? new ShroudError('CRYPTO_PROVIDER_TIMEOUT', 'kms-plugin call waited for a free slot past its deadline')
      : new ShroudError('CRYPTO_PROVIDER_UNAVAILABLE', 'kms-plugin call was cancelled while waiting for a free slot');
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.queue.shift();
      if (next === undefined) this.running--;
      else next.grant(this.releaser());
    };
  }
}
