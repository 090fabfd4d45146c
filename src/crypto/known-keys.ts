/**
 * Trust in public sealing keys that lives outside the public key file. A file's own `fingerprint`
 * is computed from the key beside it, so whoever can edit the file can swap both; `encrypt`
 * therefore decides from a pin (`--fingerprint`) or, without one, from the known-keys file, where
 * the first fingerprint seen for each (provider, key id, version) is remembered, like SSH's
 * known_hosts (trust on first use).
 *
 * Pure: text in, decisions and text out. Reading and writing the file is the caller's job
 * (src/cli/known-keys-file.ts).
 *
 * The file is JSON lines: one object per line with `provider`, `keyId`, `version`, `fingerprint`
 * (and `added`, for people), so a key id may be any UTF-8 string (spaces, quotes, up to 1 KiB)
 * and still takes exactly one line. Blank lines and lines starting with `#` are ignored.
 */
import { ShroudError } from '../errors.js';
import { isRecord } from '../util/is-record.js';
import type { KeyRef } from './envelope.js';

/** What names a key version in the known-keys file (the key tag is not needed: the fingerprint names the key). */
type KeyName = Pick<KeyRef, 'provider' | 'keyId' | 'version'>;
import { parseFingerprint, publicKeyFingerprint, type PublicSealingKey } from './public-key.js';

/** Longest key id the file accepts, in UTF-8 bytes (KMS v2 key ids go up to 1 KiB). */
export const MAX_KNOWN_KEY_ID_BYTES = 1024;
/** Longest provider id, in UTF-8 bytes. */
export const MAX_KNOWN_PROVIDER_BYTES = 255;
/** Longest line: a 1 KiB key id with every byte escaped as \uXXXX fits. */
export const MAX_KNOWN_KEYS_LINE_BYTES = 16_384;

/** The first lines of a new known-keys file. */
export const KNOWN_KEYS_HEADER =
  '# shroud known-keys: the fingerprint first trusted for each public sealing key (provider, key id, version).\n' +
  '# One JSON object per line. shroud only appends; to trust a changed key, delete its line after checking\n' +
  '# the new fingerprint with "shroud keys status" on the keyring\'s host.\n';

/** A remembered key: which key version, and the fingerprint first trusted for it. */
export interface KnownKey {
  provider: string;
  keyId: string;
  version: number;
  fingerprint: string;
}

/** A remembered key and the line of the file that holds it. */
export interface KnownKeyEntry extends KnownKey {
  line: number;
}

function isWellFormed(value: string): boolean {
  return (value as string & { isWellFormed(): boolean }).isWellFormed();
}

function utf8Bytes(value: string): number {
  return Buffer.byteLength(value, 'utf8');
}

function invalid(file: string, line: number, reason: string): ShroudError {
  return new ShroudError(
    'CRYPTO_KNOWN_KEYS_INVALID',
    `${file}:${line}: ${reason}. Fix or delete that line (shroud never rewrites this file on its own; a deleted line means the next use of that key is a first use again).`,
    { details: { file, line } },
  );
}

/**
 * Parses known-keys text. `file` names it in errors.
 * @throws CRYPTO_KNOWN_KEYS_INVALID naming `file:line` (a malformed line, or a second line for a
 *   key version already listed)
 */
export function parseKnownKeys(text: string, file: string): KnownKeyEntry[] {
  const entries: KnownKeyEntry[] = [];
  const seen = new Map<string, number>();
  const lines = text.split('\n');
  for (const [i, raw] of lines.entries()) {
    const line = i + 1;
    const content = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const trimmed = content.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    if (utf8Bytes(content) > MAX_KNOWN_KEYS_LINE_BYTES)
      throw invalid(file, line, `longer than ${MAX_KNOWN_KEYS_LINE_BYTES} bytes`);
    let doc: unknown;
    try {
      doc = JSON.parse(trimmed);
    } catch {
      throw invalid(file, line, 'not a JSON object (each line is one {"provider", "keyId", "version", "fingerprint"})');
    }
    if (!isRecord(doc)) throw invalid(file, line, 'not a JSON object');
    const problem = entryProblem(doc);
    if (problem !== undefined) throw invalid(file, line, problem);
    const { provider, keyId, version, fingerprint } = doc as unknown as KnownKey;
    const id = identity({ provider, keyId, version });
    const first = seen.get(id);
    if (first !== undefined)
      throw invalid(file, line, `the same provider, key id and version as line ${first}; keep only the right one`);
    seen.set(id, line);
    entries.push({ provider, keyId, version, fingerprint, line });
  }
  return entries;
}

/** What is wrong with an entry's fields, or undefined when they are a valid entry. */
function entryProblem(doc: Record<string, unknown>): string | undefined {
  const { provider, keyId, version, fingerprint } = doc;
  if (typeof provider !== 'string' || provider === '' || utf8Bytes(provider) > MAX_KNOWN_PROVIDER_BYTES)
    return `provider must be a string of 1 to ${MAX_KNOWN_PROVIDER_BYTES} bytes`;
  if (typeof keyId !== 'string' || keyId === '' || utf8Bytes(keyId) > MAX_KNOWN_KEY_ID_BYTES || !isWellFormed(keyId))
    return `keyId must be well-formed text of 1 to ${MAX_KNOWN_KEY_ID_BYTES} UTF-8 bytes`;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1 || version > 0xffffffff)
    return 'version must be a whole number from 1 to 4294967295';
  if (typeof fingerprint !== 'string' || parseFingerprint(fingerprint) !== fingerprint)
    return 'fingerprint must be sha256: and 32 lowercase hex digits';
  return undefined;
}

function identity(ref: KeyName): string {
  return JSON.stringify([ref.provider, ref.keyId, ref.version]);
}

/**
 * One line of the file (with its newline) for `key`, first trusted at `added`.
 * @throws CRYPTO_PUBLIC_KEY_INVALID for a key the file could not read back (a key id over 1 KiB or
 *   with lone surrogates): refused here rather than written as a line that breaks the file
 */
export function formatKnownKey(key: KnownKey, added: Date): string {
  const { provider, keyId, version, fingerprint } = key;
  const problem = entryProblem({ provider, keyId, version, fingerprint });
  if (problem !== undefined)
    throw new ShroudError('CRYPTO_PUBLIC_KEY_INVALID', `this key cannot be remembered as trusted: ${problem}`);
  return `${JSON.stringify({ provider, keyId, version, fingerprint, added: added.toISOString() })}\n`;
}

/**
 * The file's text with `key` appended (the header first when the file is new or empty), and the
 * line it lands on. What is already there is kept byte for byte.
 */
export function appendKnownKey(text: string, key: KnownKey, added: Date): { text: string; line: number } {
  const base = text.trim() === '' ? KNOWN_KEYS_HEADER : text.endsWith('\n') ? text : `${text}\n`;
  const line = base.split('\n').length; // base ends with a newline: the new line is the last, empty, piece
  return { text: `${base}${formatKnownKey(key, added)}`, line };
}

/** A key version for people: `local key "3f2a..." version 2`; a long id is shortened. */
export function describeKeyRef(ref: KeyName): string {
  const id = ref.keyId.length > 64 ? `${ref.keyId.slice(0, 48)}... (${utf8Bytes(ref.keyId)} bytes)` : ref.keyId;
  return `${ref.provider} key ${JSON.stringify(id)} version ${ref.version}`;
}

/** Where a pin came from, for messages: the flag or the environment variable. */
export type PinSource = '--fingerprint' | 'SHROUD_PUBLIC_KEY_FINGERPRINT';

/** What trust rests on, for one seal. */
export type TrustInput =
  | { pin: string; pinSource: PinSource }
  | { knownKeysFile: string; known: readonly KnownKeyEntry[] };

/** Why a key is trusted; `first-use` must be recorded before sealing. */
export type TrustDecision =
  | { kind: 'pinned'; fingerprint: string }
  | { kind: 'known'; fingerprint: string; line: number }
  | { kind: 'first-use'; fingerprint: string; record: KnownKey; knownVersions: number[] };

const HOW_TO_CHECK =
  'Check on the keyring\'s host: "shroud keys status" lists the public key fingerprint of every version.';

/**
 * Decides whether to seal to `key` (read from `source`). With a pin, only the pin counts. Without
 * one, a key version seen before must have the fingerprint first trusted for it; an unseen one is
 * a first use.
 * @throws CRYPTO_PUBLIC_KEY_UNTRUSTED (expected and found fingerprints, how to check, how to re-pin)
 */
export function decideTrust(key: PublicSealingKey, source: string, input: TrustInput): TrustDecision {
  const found = publicKeyFingerprint(key.publicKey);
  const what = describeKeyRef(key.ref);
  if ('pin' in input) {
    if (found === input.pin) return { kind: 'pinned', fingerprint: found };
    throw new ShroudError(
      'CRYPTO_PUBLIC_KEY_UNTRUSTED',
      `${source} holds ${what} with fingerprint ${found}, but ${input.pinSource} expects ${input.pin}; nothing was sealed. ` +
        'The fingerprint field inside a public key file proves nothing (it is computed from the key beside it), so the file may have been replaced. ' +
        `${HOW_TO_CHECK} If ${found} is the right one there, pin that instead.`,
      { details: { file: source, expected: input.pin, found } },
    );
  }
  const { knownKeysFile, known } = input;
  const id = identity(key.ref);
  const entry = known.find((e) => identity(e) === id);
  if (entry === undefined) {
    const knownVersions = known
      .filter((e) => e.provider === key.ref.provider && e.keyId === key.ref.keyId)
      .map((e) => e.version)
      .sort((a, b) => a - b);
    const { provider, keyId, version } = key.ref;
    const record: KnownKey = { provider, keyId, version, fingerprint: found };
    return { kind: 'first-use', fingerprint: found, record, knownVersions };
  }
  if (entry.fingerprint === found) return { kind: 'known', fingerprint: found, line: entry.line };
  throw new ShroudError(
    'CRYPTO_PUBLIC_KEY_UNTRUSTED',
    `${source} holds ${what} with fingerprint ${found}, but ${knownKeysFile}:${entry.line} expects ${entry.fingerprint}, ` +
      'the one trusted when this key version was first used; nothing was sealed. ' +
      'The fingerprint field inside a public key file proves nothing (it is computed from the key beside it), so the file may have been replaced. ' +
      `${HOW_TO_CHECK} Only if it shows ${found} for version ${key.ref.version} (the keyring was re-created), re-pin: ` +
      `delete line ${entry.line} of ${knownKeysFile}, or pass --fingerprint ${found}.`,
    { details: { file: source, knownKeysFile, line: entry.line, expected: entry.fingerprint, found } },
  );
}

/** What `encrypt` prints on stderr after a first use was recorded at `file:line`. */
export function firstUseNotice(decision: TrustDecision & { kind: 'first-use' }, file: string, line: number): string {
  const { record } = decision;
  const also =
    decision.knownVersions.length > 0
      ? ` This is a NEW version of a key id you have sealed to before (known versions: ${decision.knownVersions.join(', ')}): expect it only after a "shroud keys rotate".`
      : '';
  return (
    `shroud: first use of ${describeKeyRef(record)}: trusted fingerprint ${record.fingerprint} and recorded it in ${file}:${line}.${also}\n` +
    `  ${HOW_TO_CHECK} If it differs there, do not use this output, and delete that line.\n` +
    '  To require a fingerprint instead of trusting a first use (CI): --fingerprint or SHROUD_PUBLIC_KEY_FINGERPRINT.\n'
  );
}
