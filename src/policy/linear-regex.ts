/**
 * Regular expressions written in policy files (`matches`), compiled with RE2JS, a port of RE2 to
 * JavaScript. RE2 runs an automaton over the text instead of backtracking, so a match costs time
 * linear in the text whatever the pattern: `^(a+)+$` on 50 KB takes milliseconds, where
 * JavaScript's RegExp backtracks for longer than any deadline (26 characters took 3.4 s).
 *
 * The price is RE2's syntax: no backreferences and no lookaround (both need backtracking), and a
 * few spellings differ from JavaScript (`\x{e9}` rather than `\u00e9`, flags inline as `(?i)`).
 * Patterns RE2 refuses are refused when the file is loaded, with a sentence saying what is not
 * supported and why.
 */
import { RE2JS, RE2JSSyntaxException } from 're2js';

/** A compiled `matches` pattern. */
export interface LinearRegex {
  /** The pattern as written in the policy. */
  readonly source: string;
  /** True when the pattern matches somewhere in `text` (unanchored, like RegExp#test). */
  test(text: string): boolean;
  /** The first match at or after `from` (unanchored), or undefined. */
  find(text: string, from: number): { start: number; end: number } | undefined;
}

/** A compiled pattern, or a sentence saying why the pattern is refused. */
export type LinearRegexCompile = { regex: LinearRegex } | { error: string };

/**
 * Largest compiled program accepted, in RE2 instructions. When RE2's DFA gives up on a pattern
 * it falls back to an NFA that does up to this many steps per character, so the bound caps the
 * cost of one match: at 2000 (`[a-z]{1000}[0-9]{1000}`) the worst we measured was ~70 ms for
 * 1 MiB of text, first call included. Ordinary patterns compile to 5-100 instructions
 * (`^registry\.example\.com/[a-z0-9-]+/[a-z0-9-]+@sha256:[a-f0-9]{64}$` is 102); RE2 itself
 * already refuses repeat counts over 1000, nested ones included.
 */
export const MAX_PROGRAM_SIZE = 2000;

const NEEDS_BACKTRACKING =
  'which the linear-time engine does not support: it needs backtracking, which can take exponential time on a hostile value and stall admission; rewrite the pattern without it';

/**
 * Names a JavaScript-only construct in `source`, or undefined. Consulted only after RE2 has
 * refused the pattern, to explain the refusal better than RE2's parser can.
 */
function unsupportedConstruct(source: string): string | undefined {
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      const next = source[i + 1] ?? '';
      if (next === 'u') return 'uses \\u, which RE2 syntax writes as \\x{hhhh} (for example \\x{e9})';
      if (!inClass && next >= '1' && next <= '9') return `uses a backreference (\\${next}), ${NEEDS_BACKTRACKING}`;
      if (!inClass && next === 'k' && source[i + 2] === '<')
        return `uses a named backreference (\\k<...>), ${NEEDS_BACKTRACKING}`;
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') {
      inClass = true;
      // In RE2 syntax a `]` right after `[` or `[^` is a literal member of the class.
      if (source[i + 1] === '^') i++;
      if (source[i + 1] === ']') i++;
      continue;
    }
    if (c === '(' && source[i + 1] === '?') {
      const rest = source.slice(i + 2, i + 4);
      if (rest.startsWith('=')) return `uses a lookahead (?=...), ${NEEDS_BACKTRACKING}`;
      if (rest.startsWith('!')) return `uses a negative lookahead (?!...), ${NEEDS_BACKTRACKING}`;
      if (rest === '<=') return `uses a lookbehind (?<=...), ${NEEDS_BACKTRACKING}`;
      if (rest === '<!') return `uses a negative lookbehind (?<!...), ${NEEDS_BACKTRACKING}`;
      if (rest.startsWith('>')) return `uses an atomic group (?>...), ${NEEDS_BACKTRACKING}`;
    }
  }
  return undefined;
}

/** RE2's description of a syntax error, and the part of the pattern it is about when not all. */
function parserReason(err: unknown, source: string): string {
  if (!(err instanceof RE2JSSyntaxException)) return err instanceof Error ? err.message : String(err);
  const fragment = err.getPattern();
  const description = err.getDescription();
  return fragment === null || fragment === '' || fragment === source ? description : `${description} at "${fragment}"`;
}

/**
 * Compiles a `matches` pattern (RE2 syntax). Returns an error sentence, naming the pattern, for
 * patterns RE2 refuses (backreferences, lookaround, bad syntax) and for patterns whose program
 * is larger than {@link MAX_PROGRAM_SIZE}.
 */
export function compileLinearRegex(source: string): LinearRegexCompile {
  let re: RE2JS;
  try {
    re = RE2JS.compile(source);
  } catch (err) {
    const construct = unsupportedConstruct(source);
    if (construct !== undefined) return { error: `regular expression /${source}/ ${construct}` };
    return { error: `invalid regular expression /${source}/: ${parserReason(err, source)} (RE2 syntax)` };
  }
  const size = re.programSize();
  if (size > MAX_PROGRAM_SIZE) {
    return {
      error: `regular expression /${source}/ compiles to ${size} instructions, more than the ${MAX_PROGRAM_SIZE} allowed (each adds matching work per character of text); use smaller repeat counts such as {1,64} or split it into several conditions`,
    };
  }
  return {
    regex: Object.freeze({
      source,
      test: (text: string) => re.test(text),
      find: (text: string, from: number) => {
        const m = re.matcher(text);
        return m.find(from) ? { start: m.start(), end: m.end() } : undefined;
      },
    }),
  };
}
