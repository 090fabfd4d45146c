/**
 * Keyed formats: generic shapes (a UUID, 32 hex characters) that are a provider's credential only
 * when a setting name says so (`HEROKU_API_KEY`).
 *
 * They are checked on the value as a whole (under the entry's key), in the `"name": "value"`
 * members of a JSON document (one walk from quote to quote, json-members.ts: minified documents
 * hold every member on one line), and inside multi-line values on each `key = value` /
 * `key: value` line, only when the value part has a length some keyed format allows: the line
 * scan uses `indexOf` positions that only move forward. The setting's own name must hold a
 * credential (a secret name, or one ending in `key`, `token`...: judged once and remembered);
 * the provider (the format's hints) may be named by it, by the entry's key, or in JSON by an
 * enclosing member (`{"heroku": {"api_key": ...}}`), as a file's name names it for its lines.
 */
import { hintLines } from '../hint-lines.js';
import { isJsonShaped, JsonContext, type JsonMemberVisitor, walkJsonMembers } from '../json-members.js';
import { unquote } from '../placeholders.js';
import { isSecretName, keyWords } from '../secret-names.js';
import { isSpace } from '../text.js';
import type { CompiledAlphabet } from './alphabets.js';
import { looksRandom } from './looks-random.js';
import { type Budget, type CompiledPart, matchForward, partLengths, runsOf } from './parts.js';
import type { FormatInfo, FormatMatch } from './scan.js';

/** A compiled keyed format: what it is, the parts of its value, the words naming its provider. */
export interface KeyedFormat {
  readonly info: FormatInfo;
  readonly body: readonly CompiledPart[];
  readonly hints: readonly string[];
}

/** Lines longer than this are not read as `key = value` settings for keyed formats. */
const MAX_SETTING_LINE = 1024;
/** JSON member names longer than this are not setting names (as config-file.ts). */
const MAX_NAME = 256;
/**
 * How many enclosing JSON member names may name the provider, nearest first: a provider's
 * section sits close to its credential (`{"providers": {"heroku": {"auth": {"api_key": …}}}}`),
 * and the bound keeps the names read per candidate member bounded.
 */
const MAX_ENCLOSING_NAMES = 4;
/**
 * A fragment every credential name holds (a SECRET_HINT fragment, or the `pat` and `auth` of
 * CREDENTIAL_LAST_WORDS, as hint-lines.ts searches): a JSON document without one has none.
 */
const NAME_FRAGMENT = /pass|pw|secret|token|key|cred|pat|auth/i;

/** Last words that make a key naming a provider hold its credential (`DD_APP_KEY`, `SEGMENT_WRITE_KEY`). */
const CREDENTIAL_LAST_WORDS: ReadonlySet<string> = new Set([
  'key',
  'keys',
  'token',
  'tokens',
  'secret',
  'pat',
  'auth',
  'authtoken',
  'apikey',
  'password',
]);

/**
 * True when a key that names a provider holds a credential: a secret name, or one ending in
 * `key`, `token`... Remembered per name like secret-names.ts does (names are not secret).
 */
function isCredentialName(name: string): boolean {
  const known = credentialNames.get(name);
  if (known !== undefined) return known;
  const result = judgeCredentialName(name);
  if (credentialNames.size >= 4096) credentialNames.clear();
  credentialNames.set(name, result);
  return result;
}
const credentialNames = new Map<string, boolean>();

function judgeCredentialName(name: string): boolean {
  if (isSecretName(name)) return true;
  const words = keyWords(name);
  let last = words.length - 1;
  while (last >= 0 && /^\d+$/.test(words[last] as string)) last--;
  return last >= 0 && CREDENTIAL_LAST_WORDS.has(words[last] as string);
}

/** The keyed formats of a format index, compiled for {@link KeyedFormats.scan}. */
export class KeyedFormats {
  /** Keyed formats by every length their value can have. */
  private readonly byLength = new Map<number, KeyedFormat[]>();
  /** The shortest keyed value (+Infinity without keyed formats). */
  readonly min: number;
  private readonly max: number;
  /** `=` or `:` followed by a run of keyed-value characters (a line worth reading), tested per line. */
  private readonly candidates: RegExp | undefined;
  /** A JSON member's `:` and quote followed by a run of keyed-value characters, tested per document. */
  private readonly jsonCandidates: RegExp | undefined;
  /** The walk's context, reused (scans are synchronous and never nested). */
  private readonly context = new JsonContext();

  constructor(private readonly formats: readonly KeyedFormat[]) {
    const lengths = formats.map((k) => partLengths(k.body));
    formats.forEach((k, i) => {
      const { min, max } = lengths[i] as { min: number; max: number };
      for (let n = min; n <= max; n++) {
        const list = this.byLength.get(n) ?? [];
        list.push(k);
        this.byLength.set(n, list);
      }
    });
    this.min = Math.min(...lengths.map((l) => l.min));
    this.max = Math.max(...lengths.map((l) => l.max));
    this.candidates =
      formats.length === 0 ? undefined : new RegExp(`[=:][ \\t]*["']?[${valueClass(formats)}]{${this.min}}`);
    this.jsonCandidates = formats.length === 0 ? undefined : new RegExp(`:\\s*"[${valueClass(formats)}]{${this.min}}`);
  }

  /** Adds the keyed formats found in `value` (stored under `key`) to `found`, up to `limit` in all. */
  scan(key: string, value: string, limit: number, found: FormatMatch[]): void {
    if (this.formats.length === 0 || value.length < this.min) return;
    const firstNewline = value.indexOf('\n');
    const oneLine = firstNewline === -1 || firstNewline === value.length - 1;
    // JSON: its members, wherever they are (a minified document holds them all on one line).
    const fromJson = found.length;
    const first = value.charCodeAt(0);
    const maybeJson = first === 123 || first === 91 || isSpace(first);
    if (maybeJson && isJsonShaped(value) && this.scanJson(key, value, limit, found) && oneLine) return;
    if (oneLine) {
      // Every credential name contains one of the fragments (`…_PAT` and `…_AUTH` included).
      if (!NAME_FRAGMENT.test(key)) return;
      const match = this.match(unquote(value), [key], key);
      if (match !== undefined) found.push({ format: match, position: 0 });
      return;
    }
    // Multi-line: a keyed format needs a setting name that holds a credential, whose words are
    // among the hint fragments (hint-lines.ts: a native search shared with other detectors), so
    // only those lines are read; of them, only lines where a separator is followed by a run of
    // keyed-value characters as long as the shortest keyed format. Each line is read once.
    const candidates = this.candidates;
    if (candidates === undefined) return;
    const spans = hintLines(value).spans;
    // The lines of a multi-line JSON document are read too (JSON5 and YAML-ish documents have
    // unquoted names); lines where the JSON walk found a credential are not reported twice.
    for (let l = 0; l < spans.length && found.length < limit; l += 2) {
      const lineStart = spans[l] as number;
      const lineEnd = spans[l + 1] as number;
      if (lineEnd - lineStart > MAX_SETTING_LINE || reportedAt(found, fromJson, lineStart)) continue;
      const line = value.slice(lineStart, lineEnd);
      if (!candidates.test(line)) continue;
      const sep = separatorOf(line);
      if (sep === -1 || line.length - sep - 1 < this.min) continue;
      const setting = settingOf(line, 0, sep, line.length);
      if (setting.value.length < this.min || setting.value.length > this.max) continue;
      const match = this.match(setting.value, [key, setting.key], setting.key);
      if (match !== undefined) found.push({ format: match, position: lineStart });
    }
  }

  /**
   * Keyed credentials among the string members of a JSON document: a member's name must hold a
   * credential (judged before its value's shape, and remembered), and the provider may be named
   * by it, by the entry's key, or by the members whose objects enclose it (`{"heroku":
   * {"api_key": ...}}`). A finding's position is the start of the member's line. Returns false
   * when the document was not read as JSON (no candidate member, or no member at all), so that
   * the caller reads it as text.
   */
  private scanJson(key: string, value: string, limit: number, found: FormatMatch[]): boolean {
    const candidates = this.jsonCandidates;
    // A document without a hint line (hint-lines.ts: the same fragments, found once per entry and
    // shared with other detectors) has no credential name.
    if (candidates === undefined || hintLines(value).spans.length === 0 || !candidates.test(value)) return false;
    const context = this.context;
    let name = '';
    const names = (): string[] => [key, ...context.names(value, MAX_ENCLOSING_NAMES), name];
    const visitor: JsonMemberVisitor = {
      member: (nameStart, nameEnd, valueStart, valueEnd) => {
        if (!this.byLength.has(valueEnd - valueStart - 2) || nameEnd - nameStart - 2 > MAX_NAME) return false;
        name = value.slice(nameStart + 1, nameEnd - 1);
        if (!isCredentialName(name)) return false;
        const candidate = value.slice(valueStart + 1, valueEnd - 1);
        const match = this.match(candidate, names, name);
        if (match !== undefined) found.push({ format: match, position: context.memberLineStart });
        return found.length >= limit;
      },
    };
    walkJsonMembers(value, visitor, context);
    return context.sawMember;
  }

  /**
   * The keyed format `candidate` (a whole setting value) is, given the names it is stored under
   * (or a function giving them, called only for a value of a keyed shape under `settingName`).
   */
  private match(
    candidate: string,
    names: readonly string[] | (() => readonly string[]),
    settingName: string,
  ): FormatInfo | undefined {
    const formats = this.byLength.get(candidate.length);
    // The name before the shape: it is remembered, and most names do not hold a credential.
    if (formats === undefined || !isCredentialName(settingName)) return undefined;
    // Shape first (most candidates fail at their first characters), then the names.
    const budget: Budget = { left: Number.POSITIVE_INFINITY };
    let shaped: KeyedFormat[] | undefined;
    for (const f of formats) {
      if (matchForward(candidate, 0, f.body, budget) !== candidate.length) continue;
      shaped ??= [];
      shaped.push(f);
    }
    if (shaped === undefined) return undefined;
    const all = typeof names === 'function' ? names() : names;
    const words = new Set(all.flatMap((n) => keyWords(n)));
    const compact = all
      .join(' ')
      .toLowerCase()
      .replace(/[^a-z0-9]/g, '');
    const runs: number[] = [];
    for (const f of shaped) {
      if (!f.hints.some((h) => words.has(h) || (h.length >= 5 && compact.includes(h)))) continue;
      runsOf(candidate, 0, f.body, runs);
      return looksRandom(candidate, 0, candidate.length, runs) ? f.info : undefined;
    }
    return undefined;
  }
}

/** True when a match from index `from` on of `found` is at `position`. */
function reportedAt(found: readonly FormatMatch[], from: number, position: number): boolean {
  for (let i = from; i < found.length; i++) if ((found[i] as FormatMatch).position === position) return true;
  return false;
}

/**
 * Where the name of a setting line ends: the first `=`, or the first `:` followed by a blank or
 * a quote (YAML, JSON), whichever comes first. A `:` inside a name (`//host/:_authToken=`) is
 * not a separator; an `=` after a YAML `key: ` is part of the value (base64 padding).
 */
function separatorOf(line: string): number {
  const eq = line.indexOf('=');
  let colon = line.indexOf(':');
  while (colon !== -1 && (eq === -1 || colon < eq)) {
    const next = line.charCodeAt(colon + 1);
    if (next === 32 || next === 9 || next === 34 || next === 39 || Number.isNaN(next)) return colon;
    colon = line.indexOf(':', colon + 1);
  }
  return eq;
}

/** The name and value of a `name = value` / `name: value` line, quotes and comma stripped. */
function settingOf(value: string, lineStart: number, sep: number, lineEnd: number): { key: string; value: string } {
  let name = value.slice(lineStart, sep).trim();
  if (name.startsWith('- ')) name = name.slice(2).trim();
  if (name.startsWith('export ')) name = name.slice(7).trim();
  name = unquote(name);
  let text = value.slice(sep + 1, lineEnd).trim();
  if (text.endsWith(',')) text = text.slice(0, -1).trimEnd();
  return { key: name, value: unquote(text) };
}

/** A regular-expression class (without brackets) of every character a keyed value can hold. */
function valueClass(keyed: readonly KeyedFormat[]): string {
  const chars = new Set<number>();
  for (const f of keyed)
    for (const p of f.body) {
      if (p.lit !== undefined) for (let i = 0; i < p.lit.length; i++) chars.add(p.lit.charCodeAt(i));
      else {
        const table = (p.alphabet as CompiledAlphabet).table;
        for (let c = 0; c < table.length; c++) if (table[c] === 1) chars.add(c);
      }
    }
  return [...chars]
    .sort((a, b) => a - b)
    .map((c) => `\\x${c.toString(16).padStart(2, '0')}`)
    .join('');
}
