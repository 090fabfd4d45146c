/**
 * Lines that mention a secret word: one search per entry, shared by the detectors that read
 * settings line by line.
 *
 * A line is listed when it holds, in any case, one of `pass pw secret token key cred` (the
 * SECRET_HINT fragments, which every secret name contains: config-file-secret's lines, and
 * connection-string's `password=`, `pwd=`, `AccountKey=`) or `pat auth` (with those, the last
 * words of key names that hold a provider credential: the keyed formats of the format table).
 * The search finds the first fragment of a line and resumes at the next line, so each line is
 * looked at once: linear in the value. Long values are searched by the WebAssembly kernel
 * (kernel/line-scan.ts), which finds the same lines; {@link findHintLines} is the search in
 * JavaScript. Within one scanEntry call the list for the entry is remembered (entry-memo.ts);
 * it is forgotten when the entry's scan ends.
 */
import { EntryMemo } from './entry-memo.js';
import { type WholeValueScan, wholeValueScan } from './kernel/line-scan.js';
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

/** The hint lines of `value`, searched in JavaScript (the reference for the kernel, and its fallback). */
export function findHintLines(value: string): HintLines {
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

/** The hint lines in the kernel's findings: the same lines, with their `secret` flags. */
function fromKernel(value: string, scan: WholeValueScan): HintLines {
  const { spans, fragments } = scan;
  const secret: boolean[] = new Array(fragments.length);
  let anySecret = false;
  for (let l = 0; l < fragments.length; l++) {
    const at = fragments[l] as number;
    // As in findHintLines: a line whose first fragment is `pat` or `auth` holds a secret word
    // only if one follows on the line.
    const first = value.charCodeAt(at) | 32;
    const patOrAuth =
      first === 97 ||
      (first === 112 && (value.charCodeAt(at + 1) | 32) === 97 && (value.charCodeAt(at + 2) | 32) === 116);
    const isSecret = !patOrAuth || SECRET_HINT.test(value.slice(at + 1, spans[2 * l + 1]));
    secret[l] = isSecret;
    anySecret ||= isSecret;
  }
  return { spans, secret, anySecret };
}

const remembered = new EntryMemo((_: undefined, _key: string, value: string) => {
  const scan = wholeValueScan(value);
  return scan === undefined ? findHintLines(value) : fromKernel(value, scan);
});

/** The hint lines of `value` (see the module comment; one search per entry: entry-memo.ts). */
export function hintLines(value: string): HintLines {
  return remembered.get(undefined, '', value);
}
