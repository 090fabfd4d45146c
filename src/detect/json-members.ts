/**
 * The members of a JSON(-ish) document, read in one pass: `"name": "value"` pairs whose value is
 * a string, wherever they are (minified on one line, pretty-printed, nested), for the detectors
 * that judge settings by their name (config-file-secret).
 *
 * The walk jumps from quote to quote with a native search and reads each string once (escapes
 * skipped), so it is linear in the document and never parses it: malformed JSON is read as far as
 * it goes.
 */
import { isSpace } from './text.js';

/** Receives the string-valued members of a document, in order. */
export interface JsonMemberVisitor {
  /**
   * A member: the name's opening quote is at `nameStart` and its closing one just before
   * `nameEnd`; the same for the value, from `valueStart` to `valueEnd`. Returns true to stop.
   */
  member(nameStart: number, nameEnd: number, valueStart: number, valueEnd: number): boolean;
}

/** Reads a JSON string starting at the quote at `start`; returns the index after its closing quote. */
function jsonStringEnd(value: string, start: number): number {
  let i = start + 1;
  while (i < value.length) {
    const c = value.charCodeAt(i);
    if (c === 92) i += 2;
    else if (c === 34) return i + 1;
    else i++;
  }
  return value.length;
}

/** Walks a JSON(-ish) document once, giving `visitor` its `"name": "value"` members. */
export function walkJsonMembers(value: string, visitor: JsonMemberVisitor): void {
  let i = value.indexOf('"');
  while (i !== -1) {
    const nameEnd = jsonStringEnd(value, i);
    let j = skipSpace(value, nameEnd);
    if (value.charCodeAt(j) !== 58) {
      i = value.indexOf('"', nameEnd);
      continue;
    }
    j = skipSpace(value, j + 1);
    if (value.charCodeAt(j) !== 34) {
      i = value.indexOf('"', j);
      continue;
    }
    const valueEnd = jsonStringEnd(value, j);
    if (visitor.member(i, nameEnd, j, valueEnd)) return;
    i = value.indexOf('"', valueEnd);
  }
}

/** `{...}`, or `[` followed by a JSON value; `[section]` starts an INI file, not JSON. */
export function isJsonShaped(value: string): boolean {
  const first = value.search(/\S/);
  if (first === -1) return false;
  if (value.charCodeAt(first) === 123) return true;
  if (value.charCodeAt(first) !== 91) return false;
  const next = value.charCodeAt(skipSpace(value, first + 1));
  return next === 123 || next === 91 || next === 34 || next === 93 || (next >= 48 && next <= 57);
}

function skipSpace(value: string, i: number): number {
  while (i < value.length && isSpace(value.charCodeAt(i))) i++;
  return i;
}
