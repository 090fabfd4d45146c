/**
 * The local keyring: versions of a symmetric KEK plus an X25519 sealing key pair, and their
 * lifecycle. Pure functions over immutable values; persistence is in keyring-file.ts.
 *
 * States: `primary` (exactly one: new values are sealed to it, its public key is exported),
 * `active` (older version, still opens), `retired` (still opens, marked to be rewrapped and
 * shredded; the only state from which shred is allowed, so destroying a key takes two
 * deliberate steps), `destroyed` (key material gone: values under it are crypto-shredded).
 */
import { createHmac, randomBytes } from 'node:crypto';
import { ShroudError } from '../errors.js';
import type { KeyRef } from './envelope.js';
import type { KeyState, KeyVersionStatus } from './provider.js';
import { generateX25519, type X25519KeyPair } from './x25519.js';

/** Provider id of the local keyring in envelopes. */
export const LOCAL_PROVIDER_ID = 'local';

/** Secret material of a live key version. */
export interface KeyMaterial {
  /** 32-byte AES-256-GCM key-encryption key. */
  kek: Buffer;
  /** X25519 sealing key pair; the public half is what `export-public` writes. */
  seal: X25519KeyPair;
}

/** One version of the keyring. */
export interface KeyVersion {
  readonly version: number;
  readonly state: KeyState;
  /** The version's key tag (KeyRef.keyTag): keyTagOf(material), kept after shredding. */
  readonly tag: string;
  /** ISO 8601 creation time. */
  readonly createdAt: string;
  /** ISO 8601 time of shredding, for destroyed versions. */
  readonly destroyedAt?: string;
  /** Absent exactly when the version is destroyed. */
  readonly material?: KeyMaterial;
}

/** A keyring: an id (the key id in envelopes) and its versions in ascending order. */
export interface Keyring {
  readonly keyringId: string;
  readonly createdAt: string;
  readonly versions: readonly KeyVersion[];
}

/** Injectable clock and randomness (tests and the vector generator pin them). */
export interface KeyringOptions {
  now?: () => Date;
}

function iso(options: KeyringOptions): string {
  return (options.now ?? (() => new Date()))().toISOString();
}

function freshMaterial(): KeyMaterial {
  return { kek: randomBytes(32), seal: generateX25519() };
}

const TAG_LABEL = Buffer.from('shroud:v1:key-tag', 'ascii');

/**
 * The key tag of a version's material: HMAC-SHA256(KEK, label || public sealing key), first 16
 * bytes, as hex. A fingerprint of both keys that reveals nothing about them (HMAC is a PRF), so
 * it can sit in every sealed value and in the exported public key.
 */
export function keyTagOf(material: KeyMaterial): string {
  return createHmac('sha256', material.kek)
    .update(TAG_LABEL)
    .update(material.seal.publicKey)
    .digest()
    .subarray(0, 16)
    .toString('hex');
}

function liveVersion(version: number, state: KeyState, createdAt: string, material: KeyMaterial): KeyVersion {
  return { version, state, createdAt, tag: keyTagOf(material), material };
}

/** Creates a keyring with version 1 as primary. */
export function createKeyring(options: KeyringOptions = {}): Keyring {
  const createdAt = iso(options);
  return {
    keyringId: randomBytes(8).toString('hex'),
    createdAt,
    versions: [liveVersion(1, 'primary', createdAt, freshMaterial())],
  };
}

/** The primary version. @throws CRYPTO_KEYRING_CORRUPT if there is none (a loaded keyring always has one). */
export function primaryVersion(keyring: Keyring): KeyVersion & { material: KeyMaterial } {
  const primary = keyring.versions.find((v) => v.state === 'primary');
  if (primary?.material === undefined)
    throw new ShroudError('CRYPTO_KEYRING_CORRUPT', 'keyring has no primary version');
  return primary as KeyVersion & { material: KeyMaterial };
}

/** A version by number, or undefined. */
export function findVersion(keyring: Keyring, version: number): KeyVersion | undefined {
  return keyring.versions.find((v) => v.version === version);
}

/** The key reference of a version of this keyring. @throws CRYPTO_UNKNOWN_KEY when there is no such version */
export function keyRefOf(keyring: Keyring, version: number): KeyRef {
  return refOfVersion(keyring, requireVersion(keyring, version));
}

function refOfVersion(keyring: Keyring, v: KeyVersion): KeyRef {
  return { provider: LOCAL_PROVIDER_ID, keyId: keyring.keyringId, version: v.version, keyTag: v.tag };
}

function requireVersion(keyring: Keyring, version: number): KeyVersion {
  const found = findVersion(keyring, version);
  if (found === undefined) {
    throw new ShroudError('CRYPTO_UNKNOWN_KEY', `keyring ${keyring.keyringId} has no version ${version}`, {
      details: { keyId: keyring.keyringId, version },
    });
  }
  return found;
}

function stateError(version: KeyVersion, action: string, hint: string): ShroudError {
  return new ShroudError(
    'CRYPTO_KEYRING_STATE',
    `cannot ${action} version ${version.version}: it is ${version.state}; ${hint}`,
    {
      details: { version: version.version, state: version.state },
    },
  );
}

function replace(keyring: Keyring, changed: KeyVersion): Keyring {
  return { ...keyring, versions: keyring.versions.map((v) => (v.version === changed.version ? changed : v)) };
}

/** Adds a new primary version; the old primary becomes active. Nothing is re-encrypted. */
export function rotateKeyring(keyring: Keyring, options: KeyringOptions = {}): Keyring {
  const next = Math.max(...keyring.versions.map((v) => v.version)) + 1;
  const versions = keyring.versions.map((v): KeyVersion => (v.state === 'primary' ? { ...v, state: 'active' } : v));
  return {
    ...keyring,
    versions: [...versions, liveVersion(next, 'primary', iso(options), freshMaterial())],
  };
}

/**
 * Marks an active version retired: it still opens values, but is due to be rewrapped away from
 * and shredded.
 * @throws CRYPTO_UNKNOWN_KEY, CRYPTO_KEYRING_STATE (primary, already retired, destroyed)
 */
export function retireKeyVersion(keyring: Keyring, version: number): Keyring {
  const v = requireVersion(keyring, version);
  if (v.state !== 'active')
    throw stateError(v, 'retire', v.state === 'primary' ? 'rotate first' : 'only active versions can be retired');
  return replace(keyring, { ...v, state: 'retired' });
}

/**
 * Destroys a retired version's key material. Every value sealed under it, by KEK or by public
 * key, can never be opened again. The version's number and dates stay, so such values report
 * CRYPTO_KEY_DESTROYED instead of CRYPTO_UNKNOWN_KEY. The caller drops the old keyring value.
 * @throws CRYPTO_UNKNOWN_KEY, CRYPTO_KEYRING_STATE (not retired)
 */
export function shredKeyVersion(keyring: Keyring, version: number, options: KeyringOptions = {}): Keyring {
  const v = requireVersion(keyring, version);
  if (v.state !== 'retired')
    throw stateError(v, 'shred', v.state === 'destroyed' ? 'it is already gone' : 'retire it first');
  return replace(keyring, {
    version: v.version,
    state: 'destroyed',
    createdAt: v.createdAt,
    tag: v.tag,
    destroyedAt: iso(options),
  });
}

/** Versions and states for status displays; never key material. */
export function describeKeyring(keyring: Keyring): KeyVersionStatus[] {
  return keyring.versions.map((v) => ({ ref: refOfVersion(keyring, v), state: v.state, createdAt: v.createdAt }));
}
