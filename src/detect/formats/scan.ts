/**
 * Finding provider token formats in a value, with the whole format table in one pass.
 *
 * Anchors (prefixes, and literals inside tokens such as Mailchimp's `-us`) are found with one
 * regular expression: an alternation of literals, those that start with a letter or digit
 * guarded by a one-character lookbehind (a token does not start in the middle of a word). V8
 * runs it natively, and an alternation of literals has no nested quantifier, so the work is
 * linear in the value. Each hit is dispatched by its first two characters to the formats with
 * that anchor, whose parts are then walked forward (and, for an anchor inside a token, a bounded
 * head backward). The walks are bounded by the part lengths of the table and, in total, by a
 * work budget proportional to the value (`WALK_BUDGET_PER_CHAR`), so a value built to hit
 * anchors everywhere still costs linear time. A match must then look real (`looksRandom`).
 *
 * Keyed formats (a UUID under `HEROKU_API_KEY`) are found by keyed.ts, which reads the setting
 * names around a value.
 */
import { isPlaceholder } from '../placeholders.js';
import { verifyCrc32Base62 } from './checksum.js';
import type { CompiledAlphabet } from './alphabets.js';
import { KeyedFormats } from './keyed.js';
import { hasLongTokenRun, isTokenChar, LONG_RUN } from '../runs.js';
import { looksRandom } from './looks-random.js';
import {
  type Budget,
  type CompiledPart,
  checkFormat,
  compileParts,
  continuesRun,
  isAlnumCode,
  isGlued,
  matchBackward,
  matchForward,
  partLengths,
  runsOf,
} from './parts.js';
import type { Tier, TokenFormat } from './types.js';

/** What a match is, for findings: constant per format, never derived from the value. */
export interface FormatInfo {
  readonly id: string;
  readonly provider: string;
  readonly tier: Tier;
  /** A sentence for findings (`a GitHub personal access token (classic), checksum verified`). */
  readonly description: string;
}

/** One format found in a value. */
export interface FormatMatch {
  readonly format: FormatInfo;
  /** Where the token (or, for keyed formats, the line) starts in the value. */
  readonly position: number;
}

/**
 * A team format given as a regular expression (compiled by the policy loader with a
 * linear-time engine): `find` returns the start of the first match at or after `from`, or -1.
 */
export interface RegexFormat {
  readonly format: FormatInfo;
  find(text: string, from: number): { start: number; end: number } | undefined;
}

interface CompiledFormat {
  readonly info: FormatInfo;
  readonly head: readonly CompiledPart[];
  readonly body: readonly CompiledPart[];
  readonly checksum: boolean;
  readonly hints: readonly string[];
}

interface Anchor {
  readonly anchor: string;
  readonly format: CompiledFormat;
  /** The anchor starts the token and with a letter or digit: the character before must not be one. */
  readonly wordStart: boolean;
}

/** Total characters the part walks of one scan may look at, per character of the value. */
export const WALK_BUDGET_PER_CHAR = 16;
const WALK_BUDGET_BASE = 65_536;
function describe(f: TokenFormat): string {
  const base = `${f.provider} ${f.what}`;
  if (f.keyed === true) return `${base} (its shape, under a key that names ${f.provider})`;
  return f.checksum === undefined ? base : `${base}, checksum verified`;
}

function escapeRegExp(literal: string): string {
  return literal.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

interface Trie extends Map<string, Trie> {
  end?: boolean;
}

/**
 * A regular expression source matching any of `words`, written as a trie (`g(?:hp_|lpat-)`):
 * an anchor that another one starts with stands for both, which is all a finder needs.
 */
function trieSource(words: readonly string[]): string {
  const root: Trie = new Map();
  for (const w of words) {
    let node = root;
    for (const ch of w) {
      let next = node.get(ch);
      if (next === undefined) {
        next = new Map();
        node.set(ch, next);
      }
      node = next;
    }
    node.end = true;
  }
  const emit = (node: Trie): string => {
    if (node.end === true || node.size === 0) return '';
    const alternatives = [...node.entries()].map(([ch, next]) => escapeRegExp(ch) + emit(next));
    return alternatives.length === 1 ? (alternatives[0] as string) : `(?:${alternatives.join('|')})`;
  };
  return emit(root);
}

/**
 * The longest run of token characters (runs.ts) every match of a format with `anchor` holds:
 * consecutive parts (and the anchor) whose characters are all token characters, their shortest
 * lengths added up. A value without a token run that long cannot hold the format.
 */
function guaranteedRun(head: readonly CompiledPart[], anchor: string, body: readonly CompiledPart[]): number {
  let current = 0;
  let longest = 0;
  const add = (tokenOnly: boolean, min: number): void => {
    current = tokenOnly ? current + min : 0;
    if (current > longest) longest = current;
  };
  const partIsToken = (p: CompiledPart): boolean => {
    if (p.lit !== undefined) return literalIsToken(p.lit);
    const table = (p.alphabet as CompiledAlphabet).table;
    for (let c = 0; c < table.length; c++) if (table[c] === 1 && !isTokenChar(c)) return false;
    return true;
  };
  for (const p of head) add(partIsToken(p), p.min);
  add(literalIsToken(anchor), anchor.length);
  for (const p of body) add(partIsToken(p), p.min);
  return longest;
}

function literalIsToken(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (!isTokenChar(text.charCodeAt(i))) return false;
  return true;
}

/**
 * How common a character is in config text, roughly (lower is rarer): lower-case letters by
 * their frequency in English, digits and the punctuation of settings (`. - _ / = :`, blanks,
 * quotes) common, capitals and other punctuation rare.
 */
function commonness(c: number): number {
  if (c >= 97 && c <= 122) return 10 + LETTERS_BY_FREQUENCY.indexOf(String.fromCharCode(c));
  if ((c >= 48 && c <= 57) || COMMON_PUNCTUATION.includes(String.fromCharCode(c))) return 30;
  return 0;
}
const LETTERS_BY_FREQUENCY = 'zqxjkvbpygfwmucldrhsnioate';
const COMMON_PUNCTUATION = ' \t.-_/=:,"\'';

/**
 * The part of `anchor` from its rarest character on, two to six characters (`dG9rOj` gives
 * `G9rOj`): every occurrence
 * of the anchor holds it, and a native search for it stops at fewer places.
 */
function rareTail(anchor: string): string {
  let best = 0;
  // At least two characters: a single capital (`00D`'s `D`) is in every upper-case name.
  for (let i = 1; i < anchor.length - 1; i++)
    if (commonness(anchor.charCodeAt(i)) < commonness(anchor.charCodeAt(best))) best = i;
  // At most MAX_TAIL: V8 searches longer patterns with Boyer-Moore, which is slower than its
  // search for a rare first character.
  return anchor.slice(best, best + MAX_TAIL);
}
const MAX_TAIL = 6;

/**
 * What to pre-search for a format that need not hold a long run: the rare tail of its anchor,
 * or a literal part of the token that is one rare punctuation character (Salesforce's `!`)
 * when that is rarer. Every match of the format holds it.
 */
function rarestPart(anchor: string, head: readonly CompiledPart[], body: readonly CompiledPart[]): string {
  let best = rareTail(anchor);
  for (const p of [...head, ...body]) {
    if (p.lit === undefined || p.lit.length !== 1) continue;
    const c = p.lit.charCodeAt(0);
    if (!isAlnumCode(c) && commonness(c) < commonness(best.charCodeAt(0))) best = p.lit;
  }
  return best;
}

const byPosition = (a: FormatMatch, b: FormatMatch): number => a.position - b.position;

/** True when [start, end) overlaps a span already reported (pairs in `spans`). */
function overlaps(spans: readonly number[], start: number, end: number): boolean {
  for (let i = 0; i < spans.length; i += 2)
    if (start < (spans[i + 1] as number) && (spans[i] as number) < end) return true;
  return false;
}

/** A compiled format table: built-in formats, plus a team's, ready to scan values. */
export class FormatIndex {
  /** Every format of the index, for listings. */
  readonly formats: readonly FormatInfo[];
  /** Anchor finders: word-start anchors by upper case or digit / lower case first, then the rest. */
  private readonly anchors: readonly RegExp[];
  private readonly byFirstTwo = new Map<string, Anchor[]>();
  /** The keyed formats (keyed.ts). */
  private readonly keyed: KeyedFormats;
  private readonly regexFormats: readonly RegexFormat[];
  /**
   * A part of every match of the formats that need not hold a long token run (runs.ts): a rare
   * tail of the anchor or a rare literal, each searched natively (a rare first character makes
   * that fast); when a value has no long run and holds none of these, no anchored format matches.
   */
  private readonly withoutLongRun: readonly string[];
  /** The shortest token of the formats of each tail of {@link withoutLongRun} (ascending). */
  private readonly withoutLongRunMin: readonly number[];
  /** The shortest token an anchored format matches: shorter values are not searched. */
  private readonly anchoredMin: number;

  /**
   * @throws Error when a format does not compile: built-in formats are checked by tests, and the
   *   policy loader checks team formats with {@link checkFormat} before building an index.
   */
  constructor(formats: readonly TokenFormat[], regexFormats: readonly RegexFormat[] = []) {
    const infos: FormatInfo[] = [];
    const keyed: CompiledFormat[] = [];
    const wordStart: string[] = [];
    const anywhere: string[] = [];
    /** Tails (see rareTail) of anchors whose formats need not hold a long run, with the shortest such token. */
    const shortRun = new Map<string, number>();
    let anchoredMin = Number.POSITIVE_INFINITY;
    for (const f of formats) {
      const problem = checkFormat(f);
      if (problem !== undefined) throw new Error(`format ${f.id}: ${problem}`);
      const info: FormatInfo = Object.freeze({
        id: f.id,
        provider: f.provider,
        tier: f.tier,
        description: describe(f),
      });
      infos.push(info);
      const compiled: CompiledFormat = {
        info,
        head: compileParts(f.head ?? []) as CompiledPart[],
        body: compileParts(f.body) as CompiledPart[],
        checksum: f.checksum === 'crc32-base62',
        hints: f.hints ?? [],
      };
      if (f.keyed === true) {
        keyed.push(compiled);
        continue;
      }
      const parts = partLengths(compiled.head).min + partLengths(compiled.body).min;
      for (const anchor of f.prefixes) {
        anchoredMin = Math.min(anchoredMin, parts + anchor.length);
        if (guaranteedRun(compiled.head, anchor, compiled.body) < LONG_RUN) {
          const tail = rarestPart(anchor, compiled.head, compiled.body);
          shortRun.set(tail, Math.min(shortRun.get(tail) ?? Number.POSITIVE_INFINITY, parts + anchor.length));
        }
        const isWordStart = f.head === undefined && isAlnumCode(anchor.charCodeAt(0));
        (isWordStart ? wordStart : anywhere).push(anchor);
        const two = anchor.slice(0, 2);
        const list = this.byFirstTwo.get(two) ?? [];
        list.push({ anchor, format: compiled, wordStart: isWordStart });
        this.byFirstTwo.set(two, list);
      }
    }
    for (const list of this.byFirstTwo.values()) list.sort((a, b) => b.anchor.length - a.anchor.length);
    for (const r of regexFormats) infos.push(r.format);
    // Three expressions rather than one: V8 runs a few smaller alternations much faster than one
    // large one (measured on a 64 KB config file), and each is still one native linear pass.
    const upper = wordStart.filter((a) => !/^[a-z]/.test(a));
    const lower = wordStart.filter((a) => /^[a-z]/.test(a));
    const finders: RegExp[] = [];
    // Anchors inside tokens first: they are the more specific (`sk-…T3BlbkFJ…` over `sk-…`).
    if (anywhere.length > 0) finders.push(new RegExp(trieSource(anywhere), 'g'));
    if (upper.length > 0) finders.push(new RegExp(`\\b${trieSource(upper)}`, 'g'));
    if (lower.length > 0) finders.push(new RegExp(`\\b${trieSource(lower)}`, 'g'));
    this.anchors = finders;
    this.anchoredMin = anchoredMin;
    // A tail that holds another one is found through it (`ps_eyJ` through `yJ`), for tokens as
    // short as either's; shortest tokens first, so short values stop early.
    const tails: Array<{ tail: string; min: number }> = [];
    for (const [tail, min] of shortRun) {
      const within = [...shortRun.keys()].find((u) => u !== tail && tail.includes(u));
      if (within === undefined) tails.push({ tail, min });
      else shortRun.set(within, Math.min(shortRun.get(within) as number, min));
    }
    for (const t of tails) t.min = shortRun.get(t.tail) as number;
    tails.sort((a, b) => a.min - b.min);
    this.withoutLongRun = tails.map((t) => t.tail);
    this.withoutLongRunMin = tails.map((t) => t.min);
    this.keyed = new KeyedFormats(keyed);
    this.regexFormats = regexFormats;
    this.formats = Object.freeze(infos);
  }

  /**
   * The shortest value {@link scan} can find anything in: the shortest anchored token or keyed
   * value (1 when the index has regex formats, which may match anything).
   */
  get minLength(): number {
    if (this.regexFormats.length > 0) return 1;
    return Math.min(this.anchors.length === 0 ? Number.POSITIVE_INFINITY : this.anchoredMin, this.keyed.min);
  }

  /** Every format found in `value` (stored under `key`), in order of position, at most `limit`. */
  scan(key: string, value: string, limit: number): FormatMatch[] {
    const found: FormatMatch[] = [];
    this.scanAnchors(value, limit, found);
    this.keyed.scan(key, value, limit, found);
    for (const r of this.regexFormats) {
      let from = 0;
      while (found.length < limit && from <= value.length) {
        const m = r.find(value, from);
        if (m === undefined) break;
        if (!isPlaceholder(value.slice(m.start, m.end))) found.push({ format: r.format, position: m.start });
        from = Math.max(m.end, m.start + 1);
      }
    }
    if (found.length > 1) found.sort(byPosition);
    return found;
  }

  private scanAnchors(value: string, limit: number, found: FormatMatch[]): void {
    if (this.anchors.length === 0 || value.length < this.anchoredMin) return;
    if (!hasLongTokenRun(value) && !this.holdsShortRunTail(value)) return;
    const budget: Budget = { left: WALK_BUDGET_PER_CHAR * value.length + WALK_BUDGET_BASE };
    const runs: number[] = [];
    const spans: number[] = [];
    const before = found.length;
    for (const re of this.anchors) {
      re.lastIndex = 0;
      while (found.length - before < limit && budget.left > 0) {
        const hit = re.exec(value);
        if (hit === null) break;
        const at = hit.index;
        let resume = at + 1;
        const candidates = this.byFirstTwo.get(value.slice(at, at + 2)) ?? [];
        for (const a of candidates) {
          const end = this.matchAt(value, at, a, budget, runs);
          if (end === -1) continue;
          const start = this.matchStart;
          if (!overlaps(spans, start, end)) {
            spans.push(start, end);
            found.push({ format: a.format.info, position: start });
          }
          resume = end;
          break;
        }
        re.lastIndex = resume;
      }
    }
  }

  private holdsShortRunTail(value: string): boolean {
    const tails = this.withoutLongRun;
    const mins = this.withoutLongRunMin;
    for (let i = 0; i < tails.length && (mins[i] as number) <= value.length; i++)
      if (value.indexOf(tails[i] as string) !== -1) return true;
    return false;
  }

  /** Where the token last matched by {@link matchAt} starts (before its anchor when it has a head). */
  private matchStart = 0;

  /** The end of the token of `a` whose anchor is at `at`, or -1; `runs` gets its runs. */
  private matchAt(value: string, at: number, a: Anchor, budget: Budget, runs: number[]): number {
    if (!value.startsWith(a.anchor, at)) return -1;
    if (a.wordStart && at > 0 && isGlued(value.charCodeAt(at - 1))) return -1;
    const f = a.format;
    const start = f.head.length === 0 ? at : matchBackward(value, at, f.head, f.head.length - 1, budget);
    if (start === -1) return -1;
    if (f.head.length > 0 && start > 0) {
      const before = value.charCodeAt(start - 1);
      const first = f.head[0] as CompiledPart;
      if (isGlued(before) || (first.alphabet !== undefined && before < 128 && first.alphabet.table[before] === 1))
        return -1;
    }
    const bodyStart = at + a.anchor.length;
    const end = matchForward(value, bodyStart, f.body, budget);
    if (end === -1 || continuesRun(value, end, f.body)) return -1;
    if (f.checksum && !verifyCrc32Base62(value, bodyStart, end)) return -1;
    runs.length = 0;
    if (f.head.length > 0) runsOf(value, start, f.head, runs);
    runsOf(value, bodyStart, f.body, runs);
    if (!looksRandom(value, start, end, runs)) return -1;
    this.matchStart = start;
    return end;
  }
}
