/**
 * Detectors for secret-looking values: a minimal set (private-key, secret-named-key) that
 * implements the detect/ contract so the policy engine can be built and tested. The full set
 * replaces this file at merge; callers only rely on the exported names below.
 */

/** One thing a detector found in a key/value pair. Never carries the value itself. */
export interface Finding {
  detector: string;
  confidence: 'high' | 'low';
  /** The key the value was stored under. */
  key: string;
  /** 1-based line inside the value, when the detector can tell. */
  line?: number;
  /** What was found, in words (never the value). */
  description: string;
}

/** A named check over one key/value pair. */
export interface Detector {
  name: string;
  confidence: 'high' | 'low';
  description: string;
  scan(key: string, value: string): Finding[];
}

const PRIVATE_KEY_HEADER = /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----/;
const SECRET_KEY_NAME = /pass(?:word|wd)?|secret|token|api[-_.]?key|private[-_.]?key|credential/i;

function lineOf(value: string, index: number): number {
  let line = 1;
  for (let i = 0; i < index; i++) if (value.charCodeAt(i) === 10) line++;
  return line;
}

const privateKey: Detector = {
  name: 'private-key',
  confidence: 'high',
  description: 'PEM private key',
  scan(key, value) {
    const m = PRIVATE_KEY_HEADER.exec(value);
    if (m === null) return [];
    return [{ detector: 'private-key', confidence: 'high', key, line: lineOf(value, m.index), description: 'a PEM private key' }];
  },
};

const secretNamedKey: Detector = {
  name: 'secret-named-key',
  confidence: 'high',
  description: 'a key named like a secret (password, token, api key...) holding a real-looking value',
  scan(key, value) {
    if (!SECRET_KEY_NAME.test(key)) return [];
    const v = value.trim();
    if (v.length < 6 || /\s/.test(v)) return [];
    return [{ detector: 'secret-named-key', confidence: 'high', key, description: `a value under a secret-named key` }];
  },
};

const DETECTORS: readonly Detector[] = Object.freeze([privateKey, secretNamedKey]);

/** Every detector, in a stable order. */
export function listDetectors(): readonly Detector[] {
  return DETECTORS;
}

/** The detector with this name, or undefined. */
export function getDetector(name: string): Detector | undefined {
  return DETECTORS.find((d) => d.name === name);
}

const PLACEHOLDER = /^(?:\$\{[^}]*\}|\$\([^)]*\)|<[^<>]*>|\{\{[^}]*\}\}|\*+|x+)$/i;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SHA256 = /^(?:sha256:)?[0-9a-f]{64}$/i;

/** True for values that are never secrets: placeholders, sealed values, UUIDs, digests, public certs. */
function isSuppressed(value: string): boolean {
  const v = value.trim();
  if (v === '' || PLACEHOLDER.test(v) || v.startsWith('shroud:v1:') || UUID.test(v) || SHA256.test(v)) return true;
  return v.includes('-----BEGIN CERTIFICATE-----') && !v.includes('PRIVATE KEY');
}

/**
 * Runs the named detectors (all when `names` is omitted) over one key/value pair.
 * Unknown names are ignored. Values that are never secrets produce no findings.
 */
export function scanEntry(key: string, value: string, names?: readonly string[]): Finding[] {
  if (isSuppressed(value)) return [];
  const detectors = names === undefined ? DETECTORS : DETECTORS.filter((d) => names.includes(d.name));
  const findings: Finding[] = [];
  for (const d of detectors) findings.push(...d.scan(key, value));
  return findings;
}
