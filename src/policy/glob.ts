/** Shell-style globs for names, namespaces and kinds: `*` any run of characters, `?` one. */
import type { GlobList } from './types.js';

/** Compiles one glob to an anchored regular expression. */
export function compileGlob(glob: string): RegExp {
  let source = '';
  for (const ch of glob) {
    if (ch === '*') source += '.*';
    else if (ch === '?') source += '.';
    else source += ch.replace(/[.+^${}()|[\]\\/-]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 's');
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
