/**
 * The keyring file's text: JSON with a SHA-256 checksum over its canonical form, so a damaged or
 * hand-edited file is refused with CRYPTO_KEYRING_CORRUPT instead of yielding garbage keys. The
 * checksum detects corruption, not an attacker: whoever can write the file can replace the keys.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { ShroudError } from '../errors.js';
import { isRecord } from '../util/is-record.js';
import { decodeBase64url, encodeBase64url } from './encoding.js';
import { keyTagOf, type Keyring, type KeyVersion } from './keyring.js';
import type { KeyState } from './provider.js';
import { x25519PublicOf } from './x25519.js';

const KIND = 'ShroudKeyring';
const FILE_FORMAT = 1;
const WARNING =
  'Secret key material: keep mode 0600, never commit it, back it up offline. Losing it makes every value sealed under it unreadable.';
const STATES: readonly KeyState[] = ['primary', 'active', 'retired', 'destroyed'];

interface VersionJson {
  version: number;
  state: KeyState;
  createdAt: string;
  destroyedAt?: string;
  tag?: string;
  kek?: string;
  sealPrivateKey?: string;
  sealPublicKey?: string;
}

function corrupt(message: string): ShroudError {
  return new ShroudError('CRYPTO_KEYRING_CORRUPT', `keyring is corrupt: ${message}`);
}

/** The checksummed body, with keys in a fixed order (JSON.stringify keeps insertion order). */
function canonicalBody(keyringId: string, createdAt: string, versions: VersionJson[]): string {
  return JSON.stringify({ kind: KIND, formatVersion: FILE_FORMAT, keyringId, createdAt, versions });
}

function checksumOf(body: string): string {
  return `sha256:${createHash('sha256').update(body, 'utf8').digest('hex')}`;
}

function versionToJson(v: KeyVersion): VersionJson {
  const out: VersionJson = { version: v.version, state: v.state, createdAt: v.createdAt };
  if (v.destroyedAt !== undefined) out.destroyedAt = v.destroyedAt;
  out.tag = v.tag;
  if (v.material !== undefined) {
    out.kek = encodeBase64url(v.material.kek);
    out.sealPrivateKey = encodeBase64url(v.material.seal.privateKey);
    out.sealPublicKey = encodeBase64url(v.material.seal.publicKey);
  }
  return out;
}

/** Serialises a keyring to the file's JSON text (ends with a newline). */
export function serializeKeyring(keyring: Keyring): string {
  const versions = keyring.versions.map(versionToJson);
  const checksum = checksumOf(canonicalBody(keyring.keyringId, keyring.createdAt, versions));
  const file = {
    kind: KIND,
    formatVersion: FILE_FORMAT,
    warning: WARNING,
    keyringId: keyring.keyringId,
    createdAt: keyring.createdAt,
    versions,
    checksum,
  };
  return `${JSON.stringify(file, null, 2)}\n`;
}

function isIsoDate(value: unknown): value is string {
  return typeof value === 'string' && !Number.isNaN(Date.parse(value));
}

function key32(value: unknown, field: string, version: number): Buffer {
  if (typeof value !== 'string') throw corrupt(`version ${version} has no ${field}`);
  const bytes = decodeBase64url(value, 'CRYPTO_KEYRING_CORRUPT', `version ${version} ${field}`);
  if (bytes.length !== 32) throw corrupt(`version ${version} ${field} is not 32 bytes`);
  return bytes;
}

function parseVersion(raw: unknown, index: number): { json: VersionJson; version: KeyVersion } {
  if (!isRecord(raw)) throw corrupt(`versions[${index}] is not an object`);
  const { version, state, createdAt, destroyedAt } = raw;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1 || version > 0xffffffff) {
    throw corrupt(`versions[${index}].version is not a positive integer`);
  }
  if (typeof state !== 'string' || !(STATES as readonly string[]).includes(state))
    throw corrupt(`version ${version} has an unknown state`);
  if (!isIsoDate(createdAt)) throw corrupt(`version ${version} has no valid createdAt`);
  const json: VersionJson = { version, state: state as KeyState, createdAt };
  // Files written before key tags existed have none: a live version's is computed, a destroyed one's is unknown (zeros).
  const storedTag = raw.tag;
  if (storedTag !== undefined && (typeof storedTag !== 'string' || !/^[0-9a-f]{32}$/.test(storedTag)))
    throw corrupt(`version ${version} has a tag that is not 32 hex digits`);
  if (state === 'destroyed') {
    if (!isIsoDate(destroyedAt)) throw corrupt(`version ${version} is destroyed but has no valid destroyedAt`);
    if (raw.kek !== undefined || raw.sealPrivateKey !== undefined)
      throw corrupt(`destroyed version ${version} still holds key material`);
    json.destroyedAt = destroyedAt;
    if (storedTag !== undefined) json.tag = storedTag;
    const tag = storedTag ?? '0'.repeat(32);
    return { json, version: { version, state: 'destroyed', createdAt, destroyedAt, tag } };
  }
  if (storedTag !== undefined) json.tag = storedTag;
  const kek = key32(raw.kek, 'kek', version);
  const privateKey = key32(raw.sealPrivateKey, 'sealPrivateKey', version);
  const publicKey = key32(raw.sealPublicKey, 'sealPublicKey', version);
  Object.assign(json, { kek: raw.kek, sealPrivateKey: raw.sealPrivateKey, sealPublicKey: raw.sealPublicKey });
  const material = { kek, seal: { privateKey, publicKey } };
  const tag = keyTagOf(material);
  if (storedTag !== undefined && storedTag !== tag) throw corrupt(`version ${version} tag does not match its keys`);
  return { json, version: { version, state: state as KeyState, createdAt, tag, material } };
}

/**
 * Parses and verifies keyring file text: structure, key lengths, exactly one primary,
 * ascending unique versions, the checksum, and that each public sealing key matches its
 * private key.
 * @throws CRYPTO_KEYRING_CORRUPT (the message names the field, never a value)
 */
export function parseKeyring(text: string): Keyring {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw corrupt('not valid JSON');
  }
  if (!isRecord(raw) || raw.kind !== KIND) throw corrupt(`not a ${KIND} file`);
  // The value is not echoed: it comes from a file of secrets, and a number is all we expect.
  if (raw.formatVersion !== FILE_FORMAT) throw corrupt(`formatVersion is not ${FILE_FORMAT}, the one this build reads`);
  const { keyringId, createdAt, versions, checksum } = raw;
  if (typeof keyringId !== 'string' || !/^[0-9a-f]{16}$/.test(keyringId)) throw corrupt('keyringId is not valid');
  if (!isIsoDate(createdAt)) throw corrupt('createdAt is not valid');
  if (!Array.isArray(versions) || versions.length === 0) throw corrupt('versions is missing or empty');
  const parsed = versions.map(parseVersion);
  if (typeof checksum !== 'string') throw corrupt('checksum is missing');
  const expected = Buffer.from(
    checksumOf(
      canonicalBody(
        keyringId,
        createdAt,
        parsed.map((p) => p.json),
      ),
    ),
  );
  const actual = Buffer.from(checksum);
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual))
    throw corrupt('checksum does not match its content');
  let previous = 0;
  for (const { version } of parsed) {
    if (version.version <= previous) throw corrupt('versions are not in ascending order');
    previous = version.version;
    const seal = version.material?.seal;
    if (seal !== undefined && !x25519PublicOf(seal.privateKey).equals(seal.publicKey)) {
      throw corrupt(`version ${version.version} sealing key pair does not match`);
    }
  }
  if (parsed.filter((p) => p.version.state === 'primary').length !== 1)
    throw corrupt('there must be exactly one primary version');
  return { keyringId, createdAt, versions: parsed.map((p) => p.version) };
}
