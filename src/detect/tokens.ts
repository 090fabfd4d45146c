/**
 * The provider-format detectors: every format of the table (formats/table.ts) in one scan.
 *
 * `provider-token` reports the `high` formats (deny), `provider-token-weak` the `low` ones
 * (warn). Inside scanEntry both read the same scan of the value (entry-memo.ts), so
 * running both costs one pass. A finding's description names the provider and the kind of credential
 * (a constant of the format, never a part of the value).
 *
 * A platform team's formats (`kind: SecretFormats` in the policy directory) are merged into a
 * {@link FormatIndex} by the policy loader; {@link formatDetectors} makes the two detectors for
 * such an index.
 */
import { BUILTIN_FORMATS } from './formats/table.js';
import { EntryMemo } from './entry-memo.js';
import { FormatIndex } from './formats/scan.js';
import type { RegexFormat } from './formats/scan.js';
import type { TokenFormat } from './formats/types.js';
import { LineLocator } from './text.js';
import { MAX_FINDINGS_PER_DETECTOR, type Detector, type Finding } from './types.js';

export const PROVIDER_TOKEN = 'provider-token';
export const PROVIDER_TOKEN_WEAK = 'provider-token-weak';

/** The built-in table, compiled once. */
export const BUILTIN_INDEX: FormatIndex = new FormatIndex(BUILTIN_FORMATS);

/** Builds the index of the built-in formats plus a team's (validated by the policy loader). */
export function buildFormatIndex(team: readonly TokenFormat[], regexFormats: readonly RegexFormat[]): FormatIndex {
  if (team.length === 0 && regexFormats.length === 0) return BUILTIN_INDEX;
  return new FormatIndex([...BUILTIN_FORMATS, ...team], regexFormats);
}

// While scanEntry runs the detectors on one entry, the two detectors of an index share one scan
// (entry-memo.ts). Twice the bound: the two tiers share the list and each may report up to it.
const scans = new EntryMemo((index: FormatIndex, key: string, value: string) =>
  index.scan(key, value, 2 * MAX_FINDINGS_PER_DETECTOR),
);

function tierDetector(index: FormatIndex, name: string, tier: 'high' | 'low', description: string): Detector {
  const shortest = index.minLength;
  return {
    name,
    confidence: tier,
    description,
    ...(Number.isFinite(shortest) ? { minLength: shortest } : {}),
    scan(key: string, value: string): Finding[] {
      const matches = scans.get(index, key, value);
      if (matches.length === 0) return [];
      const findings: Finding[] = [];
      let lines: LineLocator | undefined;
      for (const m of matches) {
        if (m.format.tier !== tier) continue;
        lines ??= new LineLocator(value);
        const finding: Finding = { detector: name, confidence: tier, key, description: m.format.description };
        const line = lines.lineAt(m.position);
        if (line !== undefined) finding.line = line;
        findings.push(finding);
        if (findings.length === MAX_FINDINGS_PER_DETECTOR) break;
      }
      return findings;
    },
  };
}

/** The two detectors (`high` and `low` tier) for a format index. */
export function formatDetectors(index: FormatIndex): { high: Detector; low: Detector } {
  return {
    high: tierDetector(
      index,
      PROVIDER_TOKEN,
      'high',
      'a provider credential with an unmistakable format (a checksum that verifies, or a distinctive prefix with its exact shape), or a provider key shape under a key naming the provider',
    ),
    low: tierDetector(
      index,
      PROVIDER_TOKEN_WEAK,
      'low',
      'a value in a provider format whose prefix or shape is less distinctive (short or shared prefixes, test-mode keys, key ids)',
    ),
  };
}

const builtin = formatDetectors(BUILTIN_INDEX);
export const providerTokenDetector: Detector = builtin.high;
export const providerTokenWeakDetector: Detector = builtin.low;
