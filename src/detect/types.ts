/**
 * The shapes shared by every detector. Re-exported by `index.ts`, which is the only module other
 * folders import.
 */

/**
 * One reason to believe a ConfigMap entry holds a secret.
 *
 * A finding names the entry (`key`), the detector and, for multi-line values, the 1-based line
 * inside the value. It NEVER carries the value or any part of it: `description` is a constant
 * sentence of the detector, so findings are safe to log, print and put in rejection messages.
 */
export interface Finding {
  /** The detector's stable name, e.g. `private-key`. */
  detector: string;
  /** `high` findings deny under the built-in policy; `low` ones warn. */
  confidence: 'high' | 'low';
  /** The ConfigMap key that was scanned (a key name is not secret; its value may be). */
  key: string;
  /**
   * 1-based line inside the value: always for `config-file-secret`, and for the other
   * detectors when the value has more than one line (a trailing newline does not count).
   */
  line?: number;
  /** What was found, written for people; constant per detector, never derived from the value. */
  description: string;
}

/** A named, pure recogniser of one kind of secret-looking value. */
export interface Detector {
  /** Stable name used in policy files and rejection messages. */
  name: string;
  /** The confidence of every finding this detector reports. */
  confidence: 'high' | 'low';
  /** What the detector catches, one sentence. */
  description: string;
  /**
   * Shortest value this detector can report on, when it knows one: `scanEntry` skips it for
   * shorter values without calling it (most ConfigMap values are a few characters long).
   */
  minLength?: number;
  /**
   * Scans one entry. Pure and linear in `value.length`; returns at most
   * {@link MAX_FINDINGS_PER_DETECTOR} findings, in order of position.
   */
  scan(key: string, value: string): Finding[];
}

/**
 * Upper bound on findings one detector reports for one entry. A 1 MiB value full of tokens would
 * otherwise produce thousands of identical lines in a rejection message (kube-apiserver truncates
 * long messages anyway); the first few are enough to act on, and the bound keeps memory flat.
 */
export const MAX_FINDINGS_PER_DETECTOR = 16;
