/** Bounded concurrency with a bounded queue: over both, callers are told to come back later. */
import { ShroudError } from '../errors.js';

export class Limiter {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  /**
   * @param what what is limited, for the busy message ("TokenReviews")
   * @param maxConcurrent at most this many run at once
   * @param maxQueued at most this many wait; more fail at once with UNSEAL_UNAVAILABLE
   */
  constructor(
    private readonly what: string,
    readonly maxConcurrent: number,
    readonly maxQueued: number,
  ) {}

  /** Running and waiting now. */
  load(): { running: number; queued: number } {
    return { running: this.running, queued: this.waiting.length };
  }

  /** @throws ShroudError UNSEAL_UNAVAILABLE when the queue is full (the caller retries later) */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.maxConcurrent) {
      if (this.waiting.length >= this.maxQueued) {
        throw new ShroudError(
          'UNSEAL_UNAVAILABLE',
          `the unseal service is busy (${this.maxConcurrent} ${this.what} running, ${this.maxQueued} waiting); retry later`,
          { details: { busy: this.what } },
        );
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next === undefined) this.running--;
      else next(); // the slot passes to the next waiter
    }
  }
}
