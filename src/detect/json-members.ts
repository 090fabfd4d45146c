/**
 * The members of a JSON(-ish) document, read in one pass: `"name": "value"` pairs whose value is
 * a string, wherever they are (minified on one line, pretty-printed, nested), for the detectors
 * that judge settings by their name (config-file-secret, the keyed provider formats).
 *
 * The walk jumps from quote to quote with a native search and reads each string once (escapes
 * skipped), so it is linear in the document and never parses it: malformed JSON is read as far as
 * it goes. With a {@link JsonContext} it also reads the characters between strings, to know the
 * names of the objects (and arrays) around a member and the line it is on: still one pass.
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

/** Containers more deeply nested than this are counted, but their names are not kept. */
const MAX_DEPTH = 32;

/**
 * Where the walk is: the names of the members whose value (an object or an array) encloses the
 * current member, and the start of the line of its name. Filled by {@link walkJsonMembers}.
 */
export class JsonContext {
  /** Per open container up to MAX_DEPTH: the name's [start, end) inside its quotes, or -1, -1. */
  private readonly spans: number[] = [];
  private depth = 0;
  /** The start of the line the walk is on. */
  private lineStart = 0;
  /** The start of the line of the current member's name. */
  memberLineStart = 0;
  /** True once the walk has seen a member (a `"name":` pair, whatever its value). */
  sawMember = false;

  /** Starts over for a new document. */
  reset(): void {
    this.spans.length = 0;
    this.depth = 0;
    this.lineStart = 0;
    this.memberLineStart = 0;
    this.sawMember = false;
  }

  /**
   * The names of the members whose values enclose the current one (at most the `most` nearest),
   * outermost first. A member inside more than 32 containers has none (their names are not kept).
   */
  names(value: string, most = MAX_DEPTH): string[] {
    const names: string[] = [];
    if (this.depth > MAX_DEPTH) return names;
    const spans = this.spans;
    for (let i = spans.length - 2; i >= 0 && names.length < most; i -= 2)
      if ((spans[i] as number) >= 0) names.push(value.slice(spans[i] as number, spans[i + 1] as number));
    return names.reverse();
  }

  open(nameStart: number, nameEnd: number): void {
    if (this.depth < MAX_DEPTH) this.spans.push(nameStart, nameEnd);
    this.depth++;
  }

  close(): void {
    if (this.depth === 0) return;
    this.depth--;
    if (this.depth < MAX_DEPTH) this.spans.length -= 2;
  }

  /** Reads the characters from `from` up to a string at `at` that may be a name, and notes its line. */
  beforeName(value: string, from: number, at: number): void {
    this.between(value, from, at);
    this.memberLineStart = this.lineStart;
  }

  /** Reads the characters between strings, `[from, to)`: brackets and newlines. */
  between(value: string, from: number, to: number): void {
    for (let k = from; k < to; k++) {
      const c = value.charCodeAt(k);
      if (c === 123 || c === 91) this.open(-1, -1);
      else if (c === 125 || c === 93) this.close();
      else if (c === 10) this.lineStart = k + 1;
    }
  }
}

/**
 * Reads a JSON string starting at the quote at `start`; returns the index after its closing quote
 * (the length of the value when it has none). The closing quote is the first one after an even
 * number of backslashes: found by a native search, with each run of backslashes read once.
 */
export function jsonStringEnd(value: string, start: number): number {
  for (let q = value.indexOf('"', start + 1); q !== -1; q = value.indexOf('"', q + 1)) {
    let b = q - 1;
    while (b > start && value.charCodeAt(b) === 92) b--;
    if ((q - 1 - b) % 2 === 0) return q + 1;
  }
  return value.length;
}

/**
 * Walks a JSON(-ish) document once, giving `visitor` its `"name": "value"` members; with
 * `context`, also keeps track of the enclosing names and the line (see {@link JsonContext}).
 */
export function walkJsonMembers(value: string, visitor: JsonMemberVisitor, context?: JsonContext): void {
  context?.reset();
  /** Where the characters between strings have been read up to (with a context). */
  let read = 0;
  let i = value.indexOf('"');
  while (i !== -1) {
    context?.beforeName(value, read, i);
    const nameEnd = jsonStringEnd(value, i);
    read = nameEnd;
    let j = skipSpace(value, nameEnd);
    if (value.charCodeAt(j) !== 58) {
      i = value.indexOf('"', nameEnd);
      continue;
    }
    j = skipSpace(value, j + 1);
    if (value.charCodeAt(j) !== 34) {
      if (context !== undefined) {
        context.sawMember = true;
        // Blanks between the name and its value may hold newlines.
        context.between(value, nameEnd, j);
        const c = value.charCodeAt(j);
        // An object or array value: its container is named by this member.
        if (c === 123 || c === 91) {
          context.open(i + 1, nameEnd - 1);
          read = j + 1;
        } else read = j;
      }
      i = value.indexOf('"', j);
      continue;
    }
    if (context !== undefined) {
      context.sawMember = true;
      context.between(value, nameEnd, j);
    }
    const valueEnd = jsonStringEnd(value, j);
    if (visitor.member(i, nameEnd, j, valueEnd)) return;
    read = valueEnd;
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
