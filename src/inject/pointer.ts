/** JSON Pointer (RFC 6901) as JSON Patch (RFC 6902) uses it. */

/** One reference token: `~` becomes `~0` and `/` becomes `~1`, in that order. */
export function escapeToken(token: string | number): string {
  return String(token).replaceAll('~', '~0').replaceAll('/', '~1');
}

/** A pointer from its tokens: pointer('spec', 'containers', 0) is `/spec/containers/0`. */
export function pointer(...tokens: (string | number)[]): string {
  return tokens.map((t) => `/${escapeToken(t)}`).join('');
}
