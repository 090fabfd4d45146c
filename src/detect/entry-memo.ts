/**
 * What the detectors derive from one entry, shared while scanEntry scans that entry: the shared
 * searches (long token runs, hint lines) and the scans that serve two detectors (a high and a low
 * tier) are done once per entry, however many detectors ask. Everything remembered is dropped
 * when the entry's scan ends, so no value outlives its scan in module state.
 *
 * Outside a scanEntry call (a detector called directly) nothing is remembered: each call computes.
 */

/** The memos holding a result of the entry being scanned, so one call forgets them (most entries fill few). */
const filled: EntryMemo<unknown, unknown>[] = [];
let filledCount = 0;
let active = false;

/** One result per entry, keyed by the entry (key, value) and a context (a format index, say). */
export class EntryMemo<C, T> {
  private filled = false;
  private context: C | undefined;
  private key = '';
  private value = '';
  private result: T | undefined;

  constructor(private readonly compute: (context: C, key: string, value: string) => T) {}

  /** The result for this entry: remembered within an entry's scan, computed otherwise. */
  get(context: C, key: string, value: string): T {
    if (this.filled && this.context === context && this.key === key && this.value === value) return this.result as T;
    const result = this.compute(context, key, value);
    if (active) {
      if (!this.filled) filled[filledCount++] = this as EntryMemo<unknown, unknown>;
      this.filled = true;
      this.context = context;
      this.key = key;
      this.value = value;
      this.result = result;
    }
    return result;
  }

  forget(): void {
    this.filled = false;
    this.context = undefined;
    this.key = '';
    this.value = '';
    this.result = undefined;
  }
}

/** From here to {@link endEntryScan}, entry memos remember (scanEntry, around one entry's detectors). */
export function beginEntryScan(): void {
  active = true;
}

/** Ends {@link beginEntryScan}: every memo forgets its entry. */
export function endEntryScan(): void {
  active = false;
  for (let i = 0; i < filledCount; i++) (filled[i] as EntryMemo<unknown, unknown>).forget();
  filledCount = 0;
}
