/**
 * The last word on placeholders: a finding whose setting value is a stand-in is dropped,
 * whichever detector made it (placeholders are never denied, nor warned about). Token-format detectors match on shape (`AKIA` and 16
 * characters), and documentation example keys have the right shape (`AKIA…EXAMPLE`); the rule
 * "placeholders are never denied" is kept here once instead of in every detector.
 *
 * The value judged is the whole entry when the finding has no line, otherwise the finding's line
 * without a leading setting name (`NAME=`, `name:`, `"name":`) and quotes. Only bare tokens are
 * judged (no whitespace and none of `@ ; & = { } [ ] " ' , : ( )` inside), so a real credential in a
 * URL, connection string or JSON document that also mentions `example.com` is never dropped.
 */
import { isPlaceholder } from './placeholders.js';
import type { Finding } from './types.js';

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

/** Drops findings, high or low, that point at a placeholder token (see the module comment). */
export function dropPlaceholderFindings(value: string, findings: Finding[]): Finding[] {
  const wanted = new Set<number>();
  let whole = false;
  for (const f of findings) {
    if (f.line === undefined) whole = true;
    else wanted.add(f.line);
  }
  if (!whole && wanted.size === 0) return findings;
  const wholeIsPlaceholder = whole && value.length <= MAX_LINE && isPlaceholderToken(guardedText(value, false));
  const lines = linesOf(value, wanted);
  const placeholderLines = new Set<number>();
  for (const [line, text] of lines) if (isPlaceholderToken(guardedText(text, true))) placeholderLines.add(line);
  if (!wholeIsPlaceholder && placeholderLines.size === 0) return findings;
  return findings.filter((f) => !(f.line === undefined ? wholeIsPlaceholder : placeholderLines.has(f.line)));
}

function isPlaceholderToken(text: string | undefined): boolean {
  return text !== undefined && isPlaceholder(text);
}
