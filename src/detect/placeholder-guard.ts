/**
 * The last word on placeholders: a finding whose setting value is a stand-in is dropped,
 * whichever detector made it (placeholders are never denied, nor warned about). A token in the
 * shape of a checksummed provider format (GitHub's `ghp_…`, npm's `npm_…`) whose checksum fails
 * counts as one: no provider would accept it, whatever key it sits under. Token-format detectors match on shape (`AKIA` and 16
 * characters), and documentation example keys have the right shape (`AKIA…EXAMPLE`); the rule
 * "placeholders are never denied" is kept here once instead of in every detector.
 *
 * The value judged is the whole entry when the finding has no line, otherwise the finding's line
 * without a leading setting name (`NAME=`, `name:`, `"name":`) and quotes. Only bare tokens are
 * judged (no whitespace and none of `@ ; & = { } [ ] " ' , : ( )` inside), so a real credential in a
 * URL, connection string or JSON document that also mentions `example.com` is never dropped.
 */
import { type ChecksummedShape, failsChecksum } from './formats/checksum.js';
import { BUILTIN_FORMATS } from './formats/table.js';
import { isPlaceholder } from './placeholders.js';
import type { Finding } from './types.js';

const isBase62 = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);

/** The built-in formats with a checksum (GitHub's and npm's tokens): one base62 body each. */
const CHECKSUMMED: readonly ChecksummedShape[] = BUILTIN_FORMATS.filter((f) => f.checksum === 'crc32-base62').map(
  (f) => {
    const part = f.body[0];
    if (f.body.length !== 1 || typeof part !== 'object' || (part[0] !== 'b62' && part[0] !== 'base62'))
      throw new Error(`checksummed format ${f.id} must have one base62 body part`);
    return { prefixes: f.prefixes, length: part[1], alphabet: isBase62 };
  },
);

const MAX_GUARDED = 256;
const SETTING_PREFIX = /^\s*(?:-\s+)?(?:export\s+)?["']?[A-Za-z0-9_.\-[\]]{1,128}["']?\s*[:=]\s*/;

/** The bare token in `text` (a whole value, or one line of it), or undefined when it is not one. */
function guardedText(text: string, isLine: boolean): string | undefined {
  let t = isLine ? text.replace(SETTING_PREFIX, '') : text;
  t = t
    .trim()
    .replace(/,$/, '')
    .replace(/^["']|["']$/g, '');
  if (t.length === 0 || t.length > MAX_GUARDED || /[\s@;&={}[\]"',:()]/.test(t)) return undefined;
  return t;
}

/** The text of each wanted 1-based line, found in one pass over the value. */
function linesOf(value: string, wanted: ReadonlySet<number>): Map<number, string> {
  const out = new Map<number, string>();
  let last = 0;
  for (const l of wanted) if (l > last) last = l;
  let start = 0;
  for (let line = 1; line <= last && start <= value.length; line++) {
    const nl = value.indexOf('\n', start);
    const end = nl === -1 ? value.length : nl;
    if (wanted.has(line)) out.set(line, value.slice(start, Math.min(end, start + MAX_LINE)));
    if (nl === -1) break;
    start = nl + 1;
  }
  return out;
}
/** Lines are cut here before judging: a longer one is no bare token anyway. */
const MAX_LINE = 1024;

/**
 * Drops findings, high or low, that point at a placeholder token (see the module comment). A low
 * finding (a warning) is judged more loosely: on its line's whole setting value when that has no
 * whitespace, whatever punctuation it holds (`ATATT3x…EXAMPLE…=…`), and a `high-entropy` one also when that run starts with a
 * provider's prefix (`ghp_`, `xoxb-`, `pk_live_`): the format table has judged such a token
 * already, and rejected it (a wrong length, a counting-up body, a publishable key).
 */
export function dropPlaceholderFindings(value: string, findings: Finding[]): Finding[] {
  const wanted = new Set<number>();
  let whole = false;
  for (const f of findings) {
    if (f.line === undefined) whole = true;
    else wanted.add(f.line);
  }
  if (!whole && wanted.size === 0) return findings;
  const judge = (text: string, isLine: boolean): Verdict => {
    const strict = isPlaceholderToken(guardedText(text, isLine));
    const run = looseRun(text, isLine);
    return {
      strict,
      loose: strict || isPlaceholderToken(run),
      provider: run !== undefined && hasProviderPrefix(run),
    };
  };
  const wholeVerdict = whole && value.length <= MAX_LINE ? judge(value, false) : NOTHING;
  const verdicts = new Map<number, Verdict>();
  for (const [line, text] of linesOf(value, wanted)) verdicts.set(line, judge(text, true));
  return findings.filter((f) => {
    const v = f.line === undefined ? wholeVerdict : (verdicts.get(f.line) ?? NOTHING);
    if (v.strict) return false;
    if (f.confidence !== 'low') return true;
    return !(v.loose || (f.detector === 'high-entropy' && v.provider));
  });
}

interface Verdict {
  /** The bare token is a stand-in: every finding goes. */
  strict: boolean;
  /** The whitespace-delimited value is a stand-in: warnings go. */
  loose: boolean;
  /** The value starts with a provider prefix of the format table. */
  provider: boolean;
}

const NOTHING: Verdict = { strict: false, loose: false, provider: false };

/**
 * The setting value of `text` with quotes stripped, when it is one run without whitespace (the
 * finding can only be about it); undefined otherwise, or when empty or long.
 */
function looseRun(text: string, isLine: boolean): string | undefined {
  const t = (isLine ? text.replace(SETTING_PREFIX, '') : text)
    .trim()
    .replace(/^["']/, '')
    .replace(/[,"']+$/, '');
  return t.length === 0 || t.length > MAX_GUARDED || /\s/.test(t) ? undefined : t;
}

/** Prefixes of at least 3 characters of the built-in formats. */
const PROVIDER_PREFIXES: readonly string[] = [
  ...new Set(BUILTIN_FORMATS.flatMap((f) => f.prefixes).filter((p) => p.length >= 3)),
];

function hasProviderPrefix(token: string): boolean {
  return longestProviderPrefix(token) !== undefined;
}

function longestProviderPrefix(token: string): string | undefined {
  let longest: string | undefined;
  for (const prefix of PROVIDER_PREFIXES)
    if (token.startsWith(prefix) && (longest === undefined || prefix.length > longest.length)) longest = prefix;
  return longest;
}

/** A stand-in, or a token in a checksummed provider format whose checksum fails (made up). */
function isPlaceholderToken(text: string | undefined): boolean {
  if (text === undefined) return false;
  if (failsChecksum(text, CHECKSUMMED)) return true;
  // A provider's prefix is not part of what is judged: X's bearer tokens start with 21 `A`s.
  const prefix = longestProviderPrefix(text);
  return isPlaceholder(prefix === undefined ? text : text.slice(prefix.length));
}
