/**
 * Lines that mention a secret word: one native search per entry, shared by the detectors that
 * read settings line by line.
 *
 * A line is listed when it holds, in any case, one of `pass pw secret token key cred` (the
 * SECRET_HINT fragments, which every secret name contains: config-file-secret's lines, and
 * connection-string's `password=`, `pwd=`, `AccountKey=`) or `pat auth` (with those, the last
 * words of key names that hold a provider credential: the keyed formats of the format table).
 * The search finds the first fragment of a line and resumes at the next line, so each line is
 * looked at once: linear in the value. Within one scanEntry call the list for the entry is
 * remembered (entry-memo.ts); it is forgotten when the entry's scan ends.
 */
import { EntryMemo } from './entry-memo.js';
import { SECRET_HINT } from './secret-names.js';

/** Every fragment, global; lastIndex is set before every use (scans are synchronous, never nested). */
const FRAGMENTS = /pass|pw|secret|token|key|cred|pat|auth/gi;

/** Hint lines of a value: `[start, end)` of each line (end at its newline), in order. */
export interface HintLines {
  /** Pairs: start, end. */
  readonly spans: readonly number[];
  /** Per line (index = pair index): true when it holds a SECRET_HINT fragment. */
  readonly secret: readonly boolean[];
  /** True when any line holds a SECRET_HINT fragment. */
  readonly anySecret: boolean;
}

function findHintLines(value: string): HintLines {
  const spans: number[] = [];
  const secret: boolean[] = [];
  let anySecret = false;
  FRAGMENTS.lastIndex = 0;
  for (let m = FRAGMENTS.exec(value); m !== null; m = FRAGMENTS.exec(value)) {
    const start = value.lastIndexOf('\n', m.index) + 1;
    const newline = value.indexOf('\n', m.index);
    const end = newline === -1 ? value.length : newline;
    const first = (m[0] as string).toLowerCase();
    let isSecret = first !== 'pat' && first !== 'auth';
    // A secret fragment cannot start where `pat` matched (the alternation tries `pass` and `pw`
    // first), so the rest of the line after it is enough.
    if (!isSecret) isSecret = SECRET_HINT.test(value.slice(m.index + 1, end));
    spans.push(start, end);
    secret.push(isSecret);
    anySecret ||= isSecret;
    if (newline === -1) break;
    FRAGMENTS.lastIndex = newline + 1;
  }
  FRAGMENTS.lastIndex = 0;
  return { spans, secret, anySecret };
}

const remembered = new EntryMemo((_: undefined, _key: string, value: string) => findHintLines(value));

/** The hint lines of `value` (see the module comment; one search per entry: entry-memo.ts). */
export function hintLines(value: string): HintLines {
  return remembered.get(undefined, '', value);
}
