/**
 * Detectors for secret-looking values in ConfigMaps: pure functions, no I/O.
 *
 * The policy engine names detectors in policy files (`detector: private-key`) and calls
 * {@link scanEntry} for each `data` entry. Findings never contain the value or any part of it.
 */
import { ShroudError } from '../errors.js';
import { configFileSecretDetector, configFileSecretLowDetector } from './config-file.js';
import { connectionStringDetector } from './connection-string.js';
import { highEntropyDetector } from './entropy.js';
import { beginEntryScan, endEntryScan } from './entry-memo.js';
import { jwtDetector } from './jwt.js';
import { dropPlaceholderFindings } from './placeholder-guard.js';
import { privateKeyDetector } from './private-key.js';
import { secretNamedKeyDetector, secretNamedKeyLowDetector } from './secret-named-key.js';
import type { FormatIndex } from './formats/scan.js';
import { formatDetectors, providerTokenDetector, providerTokenWeakDetector } from './tokens.js';
import type { Detector, Finding } from './types.js';
import { urlCredentialsDetector } from './url-credentials.js';

export type { Detector, Finding } from './types.js';
export { MAX_FINDINGS_PER_DETECTOR } from './types.js';
export type { TokenFormat, Part, Tier } from './formats/types.js';
export type { FormatIndex, FormatInfo, RegexFormat } from './formats/scan.js';
export { checkFormat } from './formats/parts.js';
export { NAMED_ALPHABETS } from './formats/alphabets.js';
export { BUILTIN_FORMATS } from './formats/table.js';
export { BUILTIN_INDEX, buildFormatIndex, PROVIDER_TOKEN, PROVIDER_TOKEN_WEAK } from './tokens.js';

// Frozen, detectors included, so no caller can change what every other caller runs.
const DETECTORS: readonly Detector[] = Object.freeze(
  [
    privateKeyDetector,
    providerTokenDetector,
    jwtDetector,
    urlCredentialsDetector,
    connectionStringDetector,
    secretNamedKeyDetector,
    configFileSecretDetector,
    secretNamedKeyLowDetector,
    configFileSecretLowDetector,
    highEntropyDetector,
    providerTokenWeakDetector,
  ].map((d) => Object.freeze(d)),
);

const BY_NAME: ReadonlyMap<string, Detector> = new Map(DETECTORS.map((d) => [d.name, d]));

/** The shortest value a built-in detector reads. */
const SHORTEST_READ = Math.min(...DETECTORS.map((d) => d.minLength ?? 0));

/** Every built-in detector; the list is frozen. */
export function listDetectors(): readonly Detector[] {
  return DETECTORS;
}

/** The detector called `name`, or undefined (policy loaders use this to validate names). */
export function getDetector(name: string): Detector | undefined {
  return BY_NAME.get(name);
}

/**
 * Runs the named detectors (all when `names` is omitted) on one ConfigMap entry and returns
 * their findings, in detector order. A `high-entropy` finding is dropped when a high-confidence
 * detector already reported the same line of the same entry: the token then has a better
 * explanation than "random-looking". Repeated names run once.
 *
 * `formats` is the format table to use (the built-in one plus a team's `SecretFormats`, see
 * buildFormatIndex); the built-in table when omitted. `memo` (one per admission review) lets a
 * detector run once per entry when several rules ask for it.
 *
 * @throws ShroudError `DETECT_UNKNOWN_DETECTOR` when a name is not a detector (check names with
 *   {@link getDetector} when loading policies, so this never happens at admission time).
 */
export function scanEntry(
  key: string,
  value: string,
  names?: readonly string[],
  formats?: FormatIndex,
  memo?: DetectionMemo,
): Finding[] {
  const selected = names === undefined ? DETECTORS : resolve(names);
  const teamDetectors = formats === undefined ? undefined : detectorsFor(formats);
  // Most values of a ConfigMap (`true`, `8080`, `info`) are shorter than any detector reads
  // (a team's formats may read shorter ones).
  if (value.length < (formats === undefined ? SHORTEST_READ : Math.min(SHORTEST_READ, formats.minLength))) return [];
  const findings: Finding[] = [];
  // No closures on this path: most entries are short values that every detector skips at once.
  beginEntryScan();
  try {
    for (let d = 0; d < selected.length; d++) {
      const builtin = selected[d] as Detector;
      const detector = teamDetectors === undefined ? builtin : (teamDetectors.get(builtin.name) ?? builtin);
      if (detector.minLength !== undefined && value.length < detector.minLength) continue;
      const found = memo === undefined ? detector.scan(key, value) : memo.scan(detector, key, value);
      for (let i = 0; i < found.length; i++) findings.push(found[i] as Finding);
    }
  } finally {
    endEntryScan();
  }
  if (findings.length === 0) return findings;
  const kept = dropPlaceholderFindings(value, findings);
  return explainLowFindings(kept);
}

/**
 * Each detector's findings per entry, for one admission review: rules that run the same detector
 * on the same entry (the built-in `high-entropy-value` rule runs the high detectors again for its
 * `noDetector: high`) get the findings of the first run. Raw findings are kept (before the
 * placeholder guard and the low-finding rule, which scanEntry applies to each call's set), so a
 * call gets what running the detectors would give. Hold one only for the review: it keeps the
 * values it has seen.
 */
export class DetectionMemo {
  private readonly byDetector = new Map<Detector, Map<string, Map<string, Finding[]>>>();

  /** The findings of `detector` on the entry, run on the first call. */
  scan(detector: Detector, key: string, value: string): Finding[] {
    let byKey = this.byDetector.get(detector);
    if (byKey === undefined) {
      byKey = new Map();
      this.byDetector.set(detector, byKey);
    }
    let byValue = byKey.get(key);
    if (byValue === undefined) {
      byValue = new Map();
      byKey.set(key, byValue);
    }
    let found = byValue.get(value);
    if (found === undefined) {
      found = detector.scan(key, value);
      byValue.set(value, found);
    }
    return found;
  }
}

/**
 * Drops a low finding when a high-confidence detector already reported the same line of the
 * same entry: the value then has a better explanation than "random-looking".
 */
function explainLowFindings(findings: Finding[]): Finding[] {
  const explainedLines = new Set<number | undefined>();
  for (const f of findings) if (f.confidence === 'high') explainedLines.add(f.line);
  if (explainedLines.size === 0) return findings;
  return findings.filter((f) => f.confidence === 'high' || !explainedLines.has(f.line));
}

const byIndex = new WeakMap<FormatIndex, ReadonlyMap<string, Detector>>();

/** The provider-format detectors bound to `formats`, by name (made once per index). */
function detectorsFor(formats: FormatIndex): ReadonlyMap<string, Detector> {
  let map = byIndex.get(formats);
  if (map === undefined) {
    const { high, low } = formatDetectors(formats);
    map = new Map([
      [high.name, Object.freeze(high)],
      [low.name, Object.freeze(low)],
    ]);
    byIndex.set(formats, map);
  }
  return map;
}

/** Resolved lists per names array: policy conditions pass the same array for every entry. */
const RESOLVED = new WeakMap<readonly string[], Detector[]>();

function resolve(names: readonly string[]): Detector[] {
  const known = RESOLVED.get(names);
  if (known !== undefined) return known;
  const selected = resolveNames(names);
  // Only frozen arrays are remembered: a caller could change any other one after this call.
  if (Object.isFrozen(names)) RESOLVED.set(names, selected);
  return selected;
}

function resolveNames(names: readonly string[]): Detector[] {
  const selected: Detector[] = [];
  for (const name of new Set(names)) {
    const detector = BY_NAME.get(name);
    if (detector === undefined) {
      const known = DETECTORS.map((d) => d.name).join(', ');
      throw new ShroudError('DETECT_UNKNOWN_DETECTOR', `unknown detector "${name}"; known detectors: ${known}`, {
        details: { detector: name },
      });
    }
    selected.push(detector);
  }
  return selected;
}
