/**
 * `url-credentials`: a password in the userinfo of a URL, `scheme://user:password@host`
 * (database DSNs, broker URLs, git remotes). Not reported: URLs without userinfo, a user name
 * alone (`https://user@host`), an empty password, and a password that is a placeholder
 * (`${DB_PASSWORD}`, `<password>`, `changeme`, `****`): see placeholders.ts.
 *
 * Candidates start at `://`; the scheme is read backwards and the authority forwards, both over
 * a bounded number of characters, and the search resumes after the authority.
 */
import { isPlaceholder } from './placeholders.js';
import { FindingList, isAlnum } from './text.js';
import type { Detector, Finding } from './types.js';

const MAX_SCHEME = 32;
/** RFC 3986 sets no limit; real user:password@host:port authorities are far shorter. */
const MAX_AUTHORITY = 512;

function isSchemeChar(c: number): boolean {
  return isAlnum(c) || c === 43 || c === 45 || c === 46;
}

/** Characters that end an authority: `/ ? #`, whitespace, quotes, backslash (JSON escapes). */
function endsAuthority(c: number): boolean {
  return (
    c === 47 ||
    c === 63 ||
    c === 35 || // / ? #
    c === 32 ||
    c === 9 ||
    c === 10 ||
    c === 13 || // whitespace
    c === 34 ||
    c === 39 ||
    c === 96 ||
    c === 92 // " ' ` \
  );
}

function decodePassword(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

function scanUrls(key: string, value: string): Finding[] {
  // A finding needs an `@` after `://`: the next `@` (a native search for a rare character)
  // decides where a URL can hold userinfo at all, and the search for `://` starts at most
  // MAX_AUTHORITY characters before it. Both searches only move forward.
  let nextAt = value.indexOf('@');
  if (nextAt === -1) return [];
  let list: FindingList | undefined;
  let from = Math.max(0, nextAt - MAX_AUTHORITY - 3);
  while (list === undefined || !list.full) {
    if (nextAt < from) {
      nextAt = value.indexOf('@', from);
      if (nextAt === -1) break;
    }
    // A `://` more than MAX_AUTHORITY + 3 characters before the next `@` has none in its authority.
    from = Math.max(from, nextAt - MAX_AUTHORITY - 3);
    const sep = value.indexOf('://', from);
    if (sep === -1) break;
    let schemeStart = sep;
    while (schemeStart > 0 && sep - schemeStart < MAX_SCHEME && isSchemeChar(value.charCodeAt(schemeStart - 1)))
      schemeStart--;
    const authorityStart = sep + 3;
    const stop = Math.min(value.length, authorityStart + MAX_AUTHORITY);
    let authorityEnd = authorityStart;
    let at = -1;
    for (; authorityEnd < stop; authorityEnd++) {
      const c = value.charCodeAt(authorityEnd);
      if (endsAuthority(c)) break;
      if (c === 64) at = authorityEnd;
    }
    from = Math.max(authorityEnd, sep + 3);
    if (schemeStart === sep || at === -1 || at === authorityEnd - 1) continue;
    const userinfo = value.slice(authorityStart, at);
    const colon = userinfo.indexOf(':');
    if (colon === -1) continue;
    const password = decodePassword(userinfo.slice(colon + 1));
    if (isPlaceholder(password)) continue;
    list ??= new FindingList(urlCredentialsDetector, key, value);
    list.add(schemeStart);
  }
  return list === undefined ? [] : list.findings;
}

/** The `url-credentials` detector. */
export const urlCredentialsDetector: Detector = {
  name: 'url-credentials',
  minLength: 8, // a://u:p@h
  confidence: 'high',
  description: 'a URL with a password in it (scheme://user:password@host)',
  scan: scanUrls,
};
