/**
 * `config-file-secret`: secret-named settings inside a config-file-shaped value.
 *
 * Line-oriented formats are read one line at a time: `.env` and shell (`KEY=value`,
 * `export KEY=value`), Java properties (`key=value`, `key: value`), INI (`key = value`), YAML
 * (`key: value`, `- key: value`), command-line flags (`--db-password=value`) and pretty-printed
 * JSON (`"password": "value",`), XML (`<password>value</password>`, `password="value"`,
 * `<add key="ApiKey" value="value"/>`) and space-separated pairs (`.netrc`, fluent-bit). A value that starts like a JSON document (`{`, or `[` followed by
 * a JSON value, unlike an INI `[section]`) is read as JSON instead, so that minified JSON with
 * many members on one line is covered too. A setting is reported when its name is secret-named
 * (secret-names.ts) and its value looks real (placeholders.ts); the finding carries the 1-based
 * line of the setting within the value.
 */
import { EntryMemo } from './entry-memo.js';
import { hintLines } from './hint-lines.js';
import { isJsonShaped, walkJsonMembers } from './json-members.js';
import { isVariableReference, MIN_SECRET_LENGTH } from './placeholders.js';
import { namedSettingTier } from './secret-named-key.js';
import { SECRET_HINT } from './secret-names.js';
import { FindingList, isAlnum, isTrimmed } from './text.js';
import type { Detector, Finding } from './types.js';

/** Names longer than this are not setting names. */
const MAX_NAME = 256;
/** Only this much of a setting's value is examined (real-looking values are far shorter). */
const MAX_SETTING_VALUE = 2048;

/** 1 for the characters of an unquoted setting name: letters, digits and `. _ - [ ] @ $ /` (properties, YAML paths, env names, flags). */
const NAME_CHARS = new Uint8Array(128);
for (let c = 0; c < 128; c++) NAME_CHARS[c] = isAlnum(c) || '._-[]@$/'.includes(String.fromCharCode(c)) ? 1 : 0;

function isNameChar(c: number): boolean {
  return c < 128 && NAME_CHARS[c] === 1;
}

function skipBlanks(value: string, i: number, end: number): number {
  while (i < end && (value.charCodeAt(i) === 32 || value.charCodeAt(i) === 9)) i++;
  return i;
}

/** Where a setting's value text is: `[from, to)` of the value (see {@link readSetting}). */
interface Range {
  from: number;
  to: number;
}

/**
 * Finds a setting's value text between `start` and `end` (end of line) and puts it in `range`:
 * the text is trimmed; a quoted value is what is inside its quotes; otherwise an inline comment
 * (a blank, then `#` or `;`: `a#b` may be a password, `a #b` is a comment) and one trailing comma
 * are dropped. Only the first {@link MAX_SETTING_VALUE} characters are read. Indexes only, no
 * string is made: this runs for every line that mentions a secret word, and most values are
 * rejected without one (secretLineTier).
 */
function readSetting(value: string, start: number, end: number, range: Range): void {
  let to = Math.min(end, start + MAX_SETTING_VALUE);
  let from = start;
  while (from < to && isTrimmed(value.charCodeAt(from))) from++;
  while (to > from && isTrimmed(value.charCodeAt(to - 1))) to--;
  const q = value.charCodeAt(from);
  if (from < to && (q === 34 || q === 39)) {
    // Up to the closing quote, or to the end of the text without one (a bounded walk, not an
    // indexOf that could run past the line).
    let close = from + 1;
    while (close < to && value.charCodeAt(close) !== q) close++;
    range.from = from + 1;
    range.to = close;
    return;
  }
  for (let i = from; i + 1 < to; i++) {
    const next = value.charCodeAt(i + 1);
    if ((next === 35 || next === 59) && isTrimmed(value.charCodeAt(i))) {
      to = i;
      break;
    }
  }
  if (to > from && value.charCodeAt(to - 1) === 44) to--;
  range.from = from;
  range.to = to;
}

/** Reused by every line's {@link readSetting} (scans are synchronous, never nested). */
const SETTING: Range = { from: 0, to: 0 };

/** A setting's value text from `start` to `end` (end of line), as {@link readSetting} finds it. */
export function settingValue(value: string, start: number, end: number): string {
  readSetting(value, start, end, SETTING);
  return value.slice(SETTING.from, SETTING.to);
}

type Tier = 'high' | 'low' | undefined;

/** Parses one line as a setting; returns the tier of a secret-named one with a real value. */
function secretLineTier(value: string, start: number, end: number): Tier {
  let i = skipBlanks(value, start, end);
  // Each prefix is looked for only after its first character (most lines start with a letter).
  if (value.charCodeAt(i) === 45 && value.startsWith('- ', i)) i = skipBlanks(value, i + 2, end);
  if (value.charCodeAt(i) === 101 && value.startsWith('export ', i)) i = skipBlanks(value, i + 7, end);
  const first = value.charCodeAt(i);
  if (i >= end || first === 35 || first === 59 || first === 33 || (first === 47 && value.startsWith('//', i)))
    return undefined;
  if (first === 60) return xmlLineTier(value.slice(i, Math.min(end, i + MAX_LINE)));
  let nameStart: number;
  let nameEnd: number;
  if (first === 34 || first === 39) {
    const close = value.indexOf(value[i] as string, i + 1);
    if (close === -1 || close >= end || close - i > MAX_NAME) return undefined;
    nameStart = i + 1;
    nameEnd = close;
    i = close + 1;
  } else {
    nameStart = i;
    const nameStop = Math.min(end, nameStart + MAX_NAME + 1);
    while (i < nameStop && isNameChar(value.charCodeAt(i))) i++;
    if (i === nameStart || i - nameStart > MAX_NAME) return undefined;
    nameEnd = i;
  }
  const afterName = i;
  i = skipBlanks(value, i, end);
  const sep = value.charCodeAt(i);
  if (sep !== 61 && sep !== 58) {
    const line = value.slice(start, Math.min(end, start + MAX_LINE));
    return i > afterName ? spacedLineTier(line) : quotedPairTier(line);
  }
  // `=>` (PHP and Perl arrays) separates like `=`.
  const valueFrom = sep === 61 && value.charCodeAt(i + 1) === 62 ? i + 2 : i + 1;
  // The value's cheap rejections (cannotBeSecret's, on indexes) come before the value and name
  // are sliced and the name judged (a Map lookup that hashes a fresh string): most secret-named
  // settings of a file are short (`token.ttl=3600`) or a reference (`password=${DB_PASSWORD}`).
  // A value read from fewer than MIN_SECRET_LENGTH characters is shorter still.
  let tier: Tier;
  if (end - valueFrom >= MIN_SECRET_LENGTH) {
    readSetting(value, valueFrom, end, SETTING);
    const { from, to } = SETTING;
    if (to - from >= MIN_SECRET_LENGTH && !isVariableReference(value, from, to))
      tier = namedSettingTier(value.slice(nameStart, nameEnd), value.slice(from, to));
  }
  // An XML document as the value of a setting (an embedded file with its newlines escaped).
  const valueStart = skipBlanks(value, i + 1, end);
  const quoted = value.charCodeAt(valueStart) === 34 || value.charCodeAt(valueStart) === 39;
  if (tier === undefined && value.charCodeAt(quoted ? valueStart + 1 : valueStart) === 60)
    return xmlLineTier(value.slice(i + 1, Math.min(end, i + 1 + MAX_LINE)));
  return tier;
}

const SEPARATOR = /[=: <\t]/;

/** Lines longer than this are read only this far by the XML and space-separated readers. */
const MAX_LINE = 4096;

function better(a: Tier, b: Tier): Tier {
  return a === 'high' || b === 'high' ? 'high' : (a ?? b);
}

/** `<password>v</password>`, `<add key="ApiKey" value="v"/>`, `<user password="v" …/>` (bounded patterns on one line). */
const XML_ELEMENT = /<([A-Za-z_][\w.:-]{0,127})>([^<]{1,2048})<\/\1>/g;
const XML_KEY_VALUE = /\b(?:key|name)="([^"]{1,128})"\s+value="([^"]{0,2048})"/g;
const XML_ATTRIBUTE = /\s([A-Za-z_][\w.:-]{0,63})="([^"]{0,2048})"/g;

/**
 * XML config lines: Maven `settings.xml` and Tomcat users (`<password>…</password>`,
 * `password="…"` attributes), .NET `appSettings` (`<add key="ApiKey" value="…"/>`).
 */
function xmlLineTier(line: string): Tier {
  let tier: Tier;
  for (const m of line.matchAll(XML_ELEMENT)) tier = better(tier, namedSettingTier(m[1] as string, m[2] as string));
  for (const m of line.matchAll(XML_KEY_VALUE)) tier = better(tier, namedSettingTier(m[1] as string, m[2] as string));
  for (const m of line.matchAll(XML_ATTRIBUTE)) tier = better(tier, namedSettingTier(m[1] as string, m[2] as string));
  return tier;
}

/** `'name' => 'value'` (PHP arrays), `define('NAME', 'value')` (PHP), `("name", "value")` calls. */
const QUOTED_PAIR = /(['"])([\w.-]{1,128})\1\s*(?:=>|,)\s*(['"])([^'"]{0,2048})\3/g;

function quotedPairTier(line: string): Tier {
  let tier: Tier;
  for (const m of line.matchAll(QUOTED_PAIR)) tier = better(tier, namedSettingTier(m[2] as string, m[4] as string));
  return tier;
}

/**
 * Settings separated by spaces only: `.netrc` (`machine h login u password p`, or
 * `password p` on its own line), fluent-bit (`HTTP_Passwd p`). Read only when the line is an
 * even number (at most 16) of words, as name-value pairs are, and a value of letters only is
 * taken for a word of a sentence (`token rotation happens weekly`).
 */
function spacedLineTier(line: string): Tier {
  const words = line.trim().split(/[ \t]+/);
  if (words.length % 2 !== 0 || words.length > 16) return undefined;
  let tier: Tier;
  for (let w = 0; w < words.length; w += 2) {
    const setting = words[w + 1] as string;
    // Without `=` or `:` the syntax proves little: a value of letters only is a word of a sentence.
    if (/^[A-Za-z]+$/.test(setting)) continue;
    tier = better(tier, namedSettingTier(words[w] as string, setting));
  }
  return tier;
}

/** Reports the secret-named `"name": "value"` members of a JSON(-ish) document (json-members.ts). */
function scanJson(value: string, lists: Lists): void {
  walkJsonMembers(value, {
    member(nameStart, nameEnd, valueStart, valueEnd) {
      const nameLength = nameEnd - nameStart - 2;
      if (nameLength > 0 && nameLength <= MAX_NAME && valueEnd - valueStart - 2 <= MAX_SETTING_VALUE) {
        const tier = namedSettingTier(
          value.slice(nameStart + 1, nameEnd - 1),
          value.slice(valueStart + 1, valueEnd - 1),
        );
        if (tier !== undefined) lists[tier].add(nameStart);
      }
      return lists.high.full && lists.low.full;
    },
  });
}

interface Lists {
  high: FindingList;
  low: FindingList;
}

const NO_FINDINGS: { high: Finding[]; low: Finding[] } = Object.freeze({ high: [], low: [] }) as never;

/** Scans once per entry for both tiers (entry-memo.ts), so the second detector does not scan again. */
const bothTiers = new EntryMemo((_: undefined, key: string, value: string) => scanTiers(key, value));

function scanTiers(key: string, value: string): { high: Finding[]; low: Finding[] } {
  // A setting needs a separator (`=`, `:`, a space, or XML's `<`) and a secret word in its name.
  if (value.length < 8 || !SEPARATOR.test(value)) return NO_FINDINGS;
  // One line: one test of the whole value rejects most. More lines: JSON is tested whole; other
  // files are read through the lines that mention a secret word (hint-lines.ts: a native search
  // shared with other detectors), each parsed once, so other lines are never walked in JavaScript.
  const multiLine = value.indexOf('\n') !== -1;
  if (!multiLine && !SECRET_HINT.test(value)) return NO_FINDINGS;
  const json = isJsonShaped(value);
  const lines = json || !multiLine ? undefined : hintLines(value);
  if (multiLine && (lines === undefined ? !SECRET_HINT.test(value) : !lines.anySecret)) return NO_FINDINGS;
  const lists: Lists = {
    high: new FindingList(configFileSecretDetector, key, value, true),
    low: new FindingList(configFileSecretLowDetector, key, value, true),
  };
  if (json) {
    scanJson(value, lists);
    return { high: lists.high.findings, low: lists.low.findings };
  }
  const { spans, secret } = lines ?? { spans: [0, value.length], secret: [true] };
  for (let l = 0; l < secret.length; l++) {
    if (secret[l] !== true) continue;
    const start = spans[2 * l] as number;
    const tier = secretLineTier(value, start, spans[2 * l + 1] as number);
    if (tier !== undefined) lists[tier].add(start);
    if (lists.high.full && lists.low.full) break;
  }
  return { high: lists.high.findings, low: lists.low.findings };
}

/** The `config-file-secret` detector. */
export const configFileSecretDetector: Detector = {
  name: 'config-file-secret',
  minLength: 8, // a name, a separator and a 6-character value
  confidence: 'high',
  description: 'a secret-named setting inside a config file, with a value that has the entropy of a generated secret',
  scan: (key, value) => bothTiers.get(undefined, key, value).high,
};

/** The `config-file-secret-low` detector. */
export const configFileSecretLowDetector: Detector = {
  name: 'config-file-secret-low',
  minLength: 8, // as config-file-secret
  confidence: 'low',
  description:
    'a setting inside a config file whose name suggests a secret, with a value that looks real but not generated',
  scan: (key, value) => bothTiers.get(undefined, key, value).low,
};
