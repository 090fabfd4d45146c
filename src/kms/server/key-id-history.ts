/**
 * The key_ids the plugin has reported, so it never reports an earlier one again. kube-apiserver
 * takes a changed key_id as a rotation: a key_id that flips back (a keyring restored from an old
 * backup, two plugins on one node with different keys) would make it write new objects under a
 * key it already moved away from. Such a provider is reported unhealthy instead.
 */
import { ShroudError } from '../../errors.js';

/** How many past key_ids are remembered (one per rotation: years of rotations). */
const REMEMBERED = 10_000;

export class KeyIdHistory {
  private readonly seen = new Set<string>();
  private current: string | undefined;
  private currentSeq = 0;

  /** The key_id last reported, if any. */
  get latest(): string | undefined {
    return this.current;
  }

  /**
   * Records the primary key_id a call saw. `seq` orders the calls by when they asked the
   * provider: a slower call that saw an older primary is not a flip-flop, and is ignored.
   * @throws KMS_PLUGIN_KEY_ID_REUSED when `keyId` was reported before another one
   */
  observe(keyId: string, seq: number): void {
    if (keyId === this.current) {
      this.currentSeq = Math.max(this.currentSeq, seq);
      return;
    }
    if (seq < this.currentSeq) return;
    if (this.seen.has(keyId)) {
      throw new ShroudError(
        'KMS_PLUGIN_KEY_ID_REUSED',
        `the KEK provider's primary key went back to ${keyId} after ${this.current ?? 'another key'}: kube-apiserver would take that as a rotation back to an old key. Was the keyring restored from an old copy? Rotate to a new version (shroud keys rotate), or restart the plugin if the change is intended`,
      );
    }
    this.seen.add(keyId);
    if (this.seen.size > REMEMBERED) {
      const oldest = this.seen.values().next().value as string;
      this.seen.delete(oldest);
    }
    this.current = keyId;
    this.currentSeq = seq;
  }
}
