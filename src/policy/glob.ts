/**
 * Shell-style globs for names, namespaces, kinds, users and groups: `*` any run of characters
 * (none included), `?` one; everything else stands for itself.
 *
 * Matched by a two-pointer walk rather than a RegExp: `^.*a.*a.*a.*b$` backtracks polynomially
 * in JavaScript's engine (a glob `*a*a*a*a*b` against a 1,000-character user name ran for
 * minutes), and user names and object names come from the request. The walk returns to the
 * last `*` only, so it costs at most (glob length x value length) steps.
 */
import type { Glob, GlobList } from './types.js';

const STAR = 42;
const QUESTION = 63;

/** True when `value` matches `glob` as a whole (UTF-16 code units, as object names are compared). */
function globMatches(glob: string, value: string): boolean {
  let g = 0;
  let v = 0;
  // Where the last `*` was and how much of the value it has taken so far.
  let star = -1;
  let resume = 0;
  while (v < value.length) {
    const c = g < glob.length ? glob.charCodeAt(g) : -1;
    if (c === STAR) {
      star = g++;
      resume = v;
    } else if (c === QUESTION || (c !== -1 && c === value.charCodeAt(v))) {
      g++;
      v++;
    } else if (star !== -1) {
      // Let the last `*` take one more character and try the rest of the glob again.
      g = star + 1;
      v = ++resume;
    } else {
      return false;
    }
  }
  while (g < glob.length && glob.charCodeAt(g) === STAR) g++;
  return g === glob.length;
}

/** Compiles one glob. */
export function compileGlob(glob: string): Glob {
  return Object.freeze({ source: glob, test: (value: string) => globMatches(glob, value) });
}

/** Compiles a list of globs. */
export function compileGlobs(globs: readonly string[]): GlobList {
  return Object.freeze(globs.map(compileGlob));
}

/** True when any glob in the list matches `value`. */
export function matchesAny(globs: GlobList, value: string): boolean {
  for (const g of globs) if (g.test(value)) return true;
  return false;
}
