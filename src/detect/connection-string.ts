/**
 * `connection-string` (high): passwords in connection strings that are not URLs with userinfo
 * (those are url-credentials'):
 *
 * - parameter lists: JDBC URL parameters (`?user=app&password=…`, `;user=sa;password=…`),
 *   ODBC and ADO.NET (`Uid=…;Pwd=…`, `User ID=…;Password=…`), Npgsql, libpq keyword strings
 *   (`host=db user=app password=…`), Azure connection strings (`AccountKey=…`,
 *   `SharedAccessKey=…`), JAAS login modules (`… LoginModule required username="…" password="…";`).
 *   A password parameter counts only next to another connection parameter (user, host, server,
 *   database, account name, endpoint) or a JAAS login module, so that a lone `password=…` line of
 *   a properties file stays config-file-secret's business (and its tiers);
 * - Oracle thin URLs (`jdbc:oracle:thin:user/password@host`) and Go DSNs (`user:password@tcp(host)`);
 * - HTTP Basic credentials (`Basic base64(user:password)`) and Docker `config.json` `"auth"`
 *   members (base64 of `user:password`).
 *
 * A password that is a placeholder (`${DB_PASSWORD}`, `<password>`, `changeme`, made-up words)
 * is not reported. Candidates are found with regular expressions that start with a literal and
 * have bounded repetitions only, so each position costs a bounded amount of work.
 */
import { hintLines } from './hint-lines.js';
import { isPlaceholder } from './placeholders.js';
import { byPosition, FindingList } from './text.js';
import type { Detector, Finding } from './types.js';

/** Longest parameter value read. */
const MAX_PARAM = 256;
/** How far around a password parameter other connection parameters are looked for. */
const CONTEXT = 512;

/**
 * Names of password parameters, lower case; matched in any (ASCII) case right before `=`, blanks
 * between allowed. Each ends in `d` or `y`, the first thing checked, and no name ends another.
 */
const PASSWORD_NAMES: readonly string[] = ['password', 'pwd', 'passwd', 'accountkey', 'sharedaccesskey'];
/** Characters that may come right before a parameter name: `; & ?`, blanks, line ends, `, ( " '`. */
function isParamBoundary(c: number): boolean {
  return (
    c === 59 ||
    c === 38 ||
    c === 63 ||
    c === 32 ||
    c === 9 ||
    c === 13 ||
    c === 10 ||
    c === 44 ||
    c === 40 ||
    c === 34 ||
    c === 39
  );
}
const CONTEXT_PARAM =
  /(?:^|[;&?\s,("'])(?:user|username|uid|user id|userid|host|hostname|server|data source|database|dbname|initial catalog|accountname|endpoint|sharedaccesskeyname|port)[ \t]*=|LoginModule|jdbc:/i;
const ORACLE_THIN = /jdbc:oracle:thin:([^/@\s:;"']{1,64})\/([^@\s;"']{1,256})@/g;
const BASIC = /\bBasic[ \t]+([A-Za-z0-9+/]{8,1024}={0,2})/g;
/** `"auth": "…"`, also with the quotes escaped (the JSON embedded in another string). */
const DOCKER_AUTH = /\\?"auth\\?"[ \t]*:[ \t]*\\?"([A-Za-z0-9+/]{8,1024}={0,2})\\?"/g;

/** Reads a parameter value at `from`: a quoted string, or up to `;`, `&`, whitespace or a quote. */
function paramValue(value: string, from: number): string {
  const q = value.charCodeAt(from);
  if (q === 34 || q === 39 || q === 123) {
    const close = value.indexOf(q === 123 ? '}' : (value[from] as string), from + 1);
    if (close === -1 || close - from > MAX_PARAM) return '';
    return value.slice(from + 1, close);
  }
  let end = from;
  const stop = Math.min(value.length, from + MAX_PARAM);
  while (end < stop) {
    const c = value.charCodeAt(end);
    if (c === 59 || c === 38 || c === 32 || c === 9 || c === 10 || c === 13 || c === 34 || c === 39 || c === 92) break;
    end++;
  }
  return value.slice(from, end);
}

/** The password of base64 `user:password` text, or undefined when it is not that. */
function decodedPassword(encoded: string): string | undefined {
  const text = Buffer.from(encoded, 'base64').toString('latin1');
  const colon = text.indexOf(':');
  if (colon < 1) return undefined;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: printable text only
  if (/[\u0000-\u001f\u007f-\uffff]/.test(text)) return undefined;
  return text.slice(colon + 1);
}

function isRealPassword(password: string): boolean {
  return password.length > 0 && !isPlaceholder(password);
}

function goDsnPositions(value: string, out: number[]): void {
  for (const marker of ['@tcp(', '@unix(']) {
    let from = 0;
    while (out.length < 64) {
      const at = value.indexOf(marker, from);
      if (at === -1) break;
      from = at + marker.length;
      // Walk back over the password and the user name: user:password@tcp(
      let i = at;
      const stop = Math.max(0, at - MAX_PARAM);
      while (i > stop && !/[\s"'=,;]/.test(value[i - 1] as string)) i--;
      const userinfo = value.slice(i, at);
      const colon = userinfo.indexOf(':');
      if (colon < 1) continue;
      if (isRealPassword(userinfo.slice(colon + 1))) out.push(i);
    }
  }
}

/**
 * Something every candidate above needs (`=` for parameters, `@` for Oracle thin URLs and Go
 * DSNs, `Basic`, `"auth`): native searches that reject most values.
 */
function hasAnchor(value: string): boolean {
  return (
    value.indexOf('=') !== -1 ||
    value.indexOf('@') !== -1 ||
    value.indexOf('Basic') !== -1 ||
    value.indexOf('"auth') !== -1
  );
}

/** True when `value` ends at `end` with `name` (lower-case letters), in any ASCII case. */
function endsWithName(value: string, end: number, name: string): boolean {
  const start = end - name.length;
  if (start < 0) return false;
  for (let i = 0; i < name.length; i++) if ((value.charCodeAt(start + i) | 32) !== name.charCodeAt(i)) return false;
  return true;
}

/**
 * The start of the password parameter (a PASSWORD_NAMES name) that ends right before the `=` at
 * `eq`, blanks between allowed, starting at or after `from` and at a parameter boundary (the
 * start of the value or an isParamBoundary character); -1 when there is none. The boundary is
 * checked before the name's characters: a name ends no other (`passwd` is not `pwd`), so the
 * first name that fits the end is the only one. (`| 32` lower-cases ASCII letters and maps no
 * other character to one.)
 */
export function passwordParamBefore(value: string, from: number, eq: number): number {
  let end = eq;
  while (end > from && (value.charCodeAt(end - 1) === 32 || value.charCodeAt(end - 1) === 9)) end--;
  const last = value.charCodeAt(end - 1) | 32;
  if (last !== 100 && last !== 121) return -1; // d, y
  for (const name of PASSWORD_NAMES) {
    const start = end - name.length;
    if (start < from || (start > 0 && !isParamBoundary(value.charCodeAt(start - 1)))) continue;
    if (endsWithName(value, end, name)) return start;
  }
  return -1;
}

/**
 * Adds the positions of password parameters in `value[from, to)` (the value, or a line of it) with
 * a real value and another connection parameter near them, up to 64 in all. `eq` is the first
 * `=` at or after `from` (or -1); returns the first `=` at or after `to`, so that the next line's
 * search resumes there and no character is searched twice.
 */
function passwordParams(value: string, from: number, to: number, eq: number, positions: number[]): number {
  for (; eq !== -1 && eq < to && positions.length < 64; eq = value.indexOf('=', eq + 1)) {
    const start = passwordParamBefore(value, from, eq);
    if (start === -1) continue;
    let valueFrom = eq + 1;
    while (value.charCodeAt(valueFrom) === 32 || value.charCodeAt(valueFrom) === 9) valueFrom++;
    if (!isRealPassword(paramValue(value, valueFrom))) continue;
    // Another connection parameter on the same line (before or after the password), looked
    // for within CONTEXT characters either side.
    let contextStart = start;
    const leftStop = Math.max(0, start - CONTEXT);
    while (contextStart > leftStop && value.charCodeAt(contextStart - 1) !== 10) contextStart--;
    let contextEnd = start;
    const rightStop = Math.min(value.length, start + CONTEXT);
    while (contextEnd < rightStop && value.charCodeAt(contextEnd) !== 10) contextEnd++;
    if (CONTEXT_PARAM.test(value.slice(contextStart, contextEnd))) positions.push(start);
  }
  return eq;
}

function scanConnectionStrings(key: string, value: string): Finding[] {
  if (value.length < 8 || !hasAnchor(value)) return [];
  const positions: number[] = [];
  // Password parameters are found from the `=` after their names: a native search for `=`.
  const firstEq = value.indexOf('=');
  if (firstEq !== -1) {
    if (value.indexOf('\n') === -1) passwordParams(value, 0, value.length, firstEq, positions);
    else {
      // Every password parameter name holds `pass`, `pw` or `key`: only the lines that mention
      // a secret word (hint-lines.ts, shared with other detectors) are searched. A parameter
      // never spans a newline, so searching each line finds what a search of the value would.
      const spans = hintLines(value).spans;
      let eq = firstEq;
      for (let l = 0; l < spans.length && positions.length < 64 && eq !== -1; l += 2) {
        const lineStart = spans[l] as number;
        if (eq < lineStart) eq = value.indexOf('=', lineStart);
        eq = passwordParams(value, lineStart, spans[l + 1] as number, eq, positions);
      }
    }
  }
  // Oracle thin URLs and Go DSNs end their credentials with `@`: one search for that rare
  // character gates the three searches for their literals.
  const hasAt = value.indexOf('@') !== -1;
  if (hasAt && value.indexOf('jdbc:oracle:thin:') !== -1)
    for (const m of value.matchAll(ORACLE_THIN)) if (isRealPassword(m[2] as string)) positions.push(m.index);
  if (hasAt && (value.indexOf('@tcp(') !== -1 || value.indexOf('@unix(') !== -1)) goDsnPositions(value, positions);
  if (value.indexOf('Basic') !== -1)
    for (const m of value.matchAll(BASIC)) {
      const password = decodedPassword(m[1] as string);
      if (password !== undefined && isRealPassword(password)) positions.push(m.index);
    }
  // DOCKER_AUTH needs `"auth` (escaped or not); `"` is rarer than `a`.
  if (value.indexOf('"auth') !== -1)
    for (const m of value.matchAll(DOCKER_AUTH)) {
      const password = decodedPassword(m[1] as string);
      if (password !== undefined && isRealPassword(password)) positions.push(m.index);
    }
  if (positions.length === 0) return [];
  const list = new FindingList(connectionStringDetector, key, value);
  for (const p of positions.sort(byPosition)) list.add(p);
  return list.findings;
}

/** The `connection-string` detector. */
export const connectionStringDetector: Detector = {
  name: 'connection-string',
  minLength: 8, // pwd=x;u= and the shortest other forms
  confidence: 'high',
  description:
    'a password in a connection string (JDBC, ODBC/ADO.NET, libpq, JAAS, Azure, Go DSN) or an HTTP Basic / Docker auth credential',
  scan: scanConnectionStrings,
};
