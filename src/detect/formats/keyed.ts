/**
 * Keyed formats: generic shapes (a UUID, 32 hex characters) that are a provider's credential only
 * when a setting name says so (`HEROKU_API_KEY`).
 *
 * They are checked on the value as a whole (under the entry's key), and inside multi-line values
 * on each `key = value` / `key: value` line, only when the value part has a length some keyed
 * format allows: the line scan uses `indexOf` positions that only move forward. A name must hold
 * a credential (a secret name, or one ending in `key`, `token`...: judged once and remembered)
 * and one of the names must name the provider (the format's hints).
 */
import { hintLines } from '../hint-lines.js';
import { unquote } from '../placeholders.js';
import { isSecretName, keyWords, SECRET_HINT } from '../secret-names.js';
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
  }

  /** Adds the keyed formats found in `value` (stored under `key`) to `found`, up to `limit` in all. */
  scan(key: string, value: string, limit: number, found: FormatMatch[]): void {
    if (this.formats.length === 0 || value.length < this.min) return;
    const firstNewline = value.indexOf('\n');
    if (firstNewline === -1 || firstNewline === value.length - 1) {
      // Every secret name contains one of the SECRET_HINT fragments (secret-names.ts).
      if (!SECRET_HINT.test(key)) return;
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
    for (let l = 0; l < spans.length && found.length < limit; l += 2) {
      const lineStart = spans[l] as number;
      const lineEnd = spans[l + 1] as number;
      if (lineEnd - lineStart > MAX_SETTING_LINE) continue;
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

  /** The keyed format `candidate` (a whole setting value) is, given the names it is stored under. */
  private match(candidate: string, names: readonly string[], settingName: string): FormatInfo | undefined {
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
    const words = new Set(names.flatMap((n) => keyWords(n)));
    const compact = names
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
