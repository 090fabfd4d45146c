/**
 * `secret-named-key` (high) and `secret-named-key-low` (low): a ConfigMap key whose name says it
 * holds a secret (`DB_PASSWORD`, `apiKey`, `client_secret`; see secret-names.ts) with a
 * single-line value that is not a placeholder (see placeholders.ts).
 *
 * The value decides the tier: one with the entropy of a generated secret (`isStrongSecret`)
 * denies; one that could be a password a person chose (`sunshine42`) only warns. A name that only
 * suggests a credential (`MAILER_KEY`, `isKeyLikeName`) warns, and only for a strong value.
 * Multi-line values are files: the private-key and config-file-secret detectors look inside them.
 */
import { EntryMemo } from './entry-memo.js';
import { isVariableReference, MIN_SECRET_LENGTH } from './placeholders.js';
import { isStrongSecret, namedValueTier } from './secret-strength.js';
import { NAME_SAYS_NOTHING, nameKind, SECRET_NAME } from './secret-names.js';
import type { Detector, Finding } from './types.js';

/** The tier of one named setting: `high`, `low` or undefined (no finding). */
export function namedSettingTier(name: string, value: string): 'high' | 'low' | undefined {
  if (cannotBeSecret(value)) return undefined;
  // The name first: it is judged once and remembered, and most names say nothing.
  const kind = nameKind(name);
  if (kind === NAME_SAYS_NOTHING) return undefined;
  const secret = kind === SECRET_NAME;
  if (YAML_SETTING.test(value)) return undefined;
  if (secret) return namedValueTier(value);
  if (namedValueTier(value) !== undefined && isStrongSecret(value)) return 'low';
  return undefined;
}

/**
 * True when no name can make `value` a finding ({@link namedSettingTier} is undefined for every
 * name): shorter than MIN_SECRET_LENGTH, or a `${VAR}` reference (a placeholder whatever the
 * name). The cheapest rejections, made before a name is judged.
 */
export function cannotBeSecret(value: string): boolean {
  return value.length < MIN_SECRET_LENGTH || isVariableReference(value);
}

/**
 * True when `name` can make a setting a finding at all (a secret name, or a key-like one):
 * {@link namedSettingTier} is undefined for every value otherwise.
 */
export function mayNameSecret(name: string): boolean {
  return nameKind(name) !== NAME_SAYS_NOTHING;
}

/** A value that is itself a YAML setting (`password: ENC[…]`): a file embedded in another, read as one. */
const YAML_SETTING = /^\s*[A-Za-z_][\w.-]{0,63}: \S/;

/** A value that is itself a setting (`password: ENC[…]`, `user=app`): a one-line file, config-file-secret's to read. */
const SETTING_LINE = /^\s*[A-Za-z_][\w.-]{0,63}(?:: |=)\S/;

/**
 * The entry's tier, judged once per entry for both detectors (entry-memo.ts). Cheapest first:
 * the value's character checks, then the name (a Map lookup), then a regex.
 */
const entryTier = new EntryMemo((_: undefined, key: string, value: string): 'high' | 'low' | undefined =>
  cannotBeSecret(value) || !mayNameSecret(key) || SETTING_LINE.test(value) ? undefined : namedSettingTier(key, value),
);

function finding(detector: Detector, key: string): Finding[] {
  const { name, confidence, description } = detector;
  return [{ detector: name, confidence, key, description }];
}

/** The `secret-named-key` detector. */
export const secretNamedKeyDetector: Detector = {
  name: 'secret-named-key',
  minLength: 6, // MIN_SECRET_LENGTH
  confidence: 'high',
  description: 'the key name says it holds a secret and the value has the entropy of a generated one',
  scan: (key, value) => (entryTier.get(undefined, key, value) === 'high' ? finding(secretNamedKeyDetector, key) : []),
};

/** The `secret-named-key-low` detector. */
export const secretNamedKeyLowDetector: Detector = {
  name: 'secret-named-key-low',
  minLength: 6, // MIN_SECRET_LENGTH
  confidence: 'low',
  description:
    'the key name suggests a secret and the value looks real but not generated (a chosen password, or a name without a secret word)',
  scan: (key, value) => (entryTier.get(undefined, key, value) === 'low' ? finding(secretNamedKeyLowDetector, key) : []),
};
