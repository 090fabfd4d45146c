/**
 * The embedded KEK provider over an in-memory keyring (loaded from the keyring file).
 *
 * `kek` slots: nonce (12) || AES-256-GCM(KEK, DEK) (32) || tag (16), associated data = header +
 * key reference. `x25519` slots (sealed offline with the exported public key) are opened with
 * the version's private sealing key. Both are answered synchronously; the async shape is the
 * interface's, for remote providers.
 */
import { randomBytes } from 'node:crypto';
import { ShroudError } from '../errors.js';
import { gcmDecrypt, gcmEncrypt } from './aead.js';
import { TAG_LEN, type KeyRef } from './envelope.js';
import type { DekCache } from './dek-cache.js';
import { DEK_LEN, wrapAad } from './key-schedule.js';
import {
  describeKeyring,
  findVersion,
  keyRefOf,
  LOCAL_PROVIDER_ID,
  primaryVersion,
  retireKeyVersion,
  shredKeyVersion,
  type Keyring,
  type KeyMaterial,
  type KeyringOptions,
} from './keyring.js';
import type { KekProvider, ProviderStatus, UnwrapRequest, WrapRequest, WrapResult } from './provider.js';
import { importX25519Private, openDekWithPrivateKey, type X25519Recipient } from './x25519.js';

const KEK_WRAPPED_LEN = 12 + DEK_LEN + TAG_LEN;

/**
 * Generation of each keyring value. Keyrings are immutable, so every rotate, retire, shred or
 * load yields a new value and a new generation; providers over the same value share one.
 */
const generations = new WeakMap<Keyring, string>();
let generationCount = 0;

function generationOf(keyring: Keyring): string {
  let generation = generations.get(keyring);
  if (generation === undefined) {
    generation = `${keyring.keyringId}#${++generationCount}`;
    generations.set(keyring, generation);
  }
  return generation;
}

/** LocalKeyringProvider options. */
export interface LocalKeyringProviderOptions {
  /** DEK caches to evict from when this provider's keyring is reloaded, or a version retired or shredded. */
  caches?: readonly DekCache[];
  /** Source of wrap nonces: for known-answer tests only (default crypto.randomBytes). */
  randomBytes?: (size: number) => Buffer;
}

/** KekProvider backed by a local keyring. */
export class LocalKeyringProvider implements KekProvider {
  readonly id = LOCAL_PROVIDER_ID;
  private current: Keyring;
  private generation: string;
  private readonly caches: readonly DekCache[];
  private readonly random: (size: number) => Buffer;
  /** Imported private sealing keys by version: parsing one costs more than the X25519 itself. */
  private readonly recipients = new Map<number, X25519Recipient>();

  constructor(keyring: Keyring, options: LocalKeyringProviderOptions = {}) {
    this.current = keyring;
    this.generation = generationOf(keyring);
    this.caches = options.caches ?? [];
    this.random = options.randomBytes ?? randomBytes;
  }

  /** The keyring this provider answers from now. */
  get keyring(): Keyring {
    return this.current;
  }

  /**
   * Answers from `keyring` from now on (a reloaded keyring file). Cached keys of the old keyring
   * are evicted from the caches this provider was given; any other cache stops serving them
   * because the generation changed.
   */
  reload(keyring: Keyring): void {
    const old = this.current;
    this.current = keyring;
    this.generation = generationOf(keyring);
    this.recipients.clear();
    for (const cache of this.caches) cache.evictKeyring(this.id, old.keyringId);
  }

  /** Retires a version of this provider's keyring (see retireKeyVersion) and evicts its cached keys. Returns the new keyring, to save. */
  retire(version: number): Keyring {
    const next = retireKeyVersion(this.current, version);
    this.replaceVersion(next, version);
    return next;
  }

  /** Shreds a retired version (see shredKeyVersion) and evicts its cached keys. Returns the new keyring, to save. */
  shred(version: number, options: KeyringOptions = {}): Keyring {
    const next = shredKeyVersion(this.current, version, options);
    this.replaceVersion(next, version);
    return next;
  }

  /** Cheap check on a cache hit: the keyring's generation while `ref` is a live version of it. */
  keyGeneration(ref: KeyRef): string {
    this.materialFor(ref);
    return this.generation;
  }

  private replaceVersion(next: Keyring, version: number): void {
    this.current = next;
    this.generation = generationOf(next);
    this.recipients.delete(version);
    for (const cache of this.caches) cache.evictKey(keyRefOf(next, version));
  }

  /** Wraps a DEK under the primary version's KEK. */
  async wrap(request: WrapRequest): Promise<WrapResult> {
    const primary = primaryVersion(this.keyring);
    const ref = keyRefOf(this.keyring, primary.version);
    const nonce = this.random(12);
    const { ciphertext, tag } = gcmEncrypt(
      primary.material.kek,
      nonce,
      wrapAad(request.context, 'kek', ref),
      request.dek,
    );
    return { method: 'kek', ref, wrapped: Buffer.concat([nonce, ciphertext, tag]) };
  }

  /**
   * Unwraps a DEK from a `kek` or `x25519` slot of any live version.
   * @throws CRYPTO_UNKNOWN_KEY, CRYPTO_KEY_DESTROYED, CRYPTO_INTEGRITY
   */
  async unwrap(request: UnwrapRequest): Promise<Uint8Array> {
    const { slot, context } = request;
    const material = this.materialFor(slot.ref);
    if (slot.method === 'x25519')
      return openDekWithPrivateKey(this.recipient(slot.ref.version, material), slot.ref, slot.wrapped, context);
    if (slot.wrapped.length !== KEK_WRAPPED_LEN)
      throw new ShroudError('CRYPTO_INTEGRITY', 'sealed value failed authentication');
    const w = Buffer.from(slot.wrapped.buffer, slot.wrapped.byteOffset, slot.wrapped.byteLength);
    return gcmDecrypt(
      material.kek,
      w.subarray(0, 12),
      wrapAad(context, 'kek', slot.ref),
      w.subarray(12, 12 + DEK_LEN),
      w.subarray(12 + DEK_LEN),
    );
  }

  /** Always healthy (the keyring is in memory); lists versions and states. */
  async status(): Promise<ProviderStatus> {
    return {
      provider: this.id,
      healthy: true,
      primary: keyRefOf(this.keyring, primaryVersion(this.keyring).version),
      versions: describeKeyring(this.keyring),
    };
  }

  private recipient(version: number, material: KeyMaterial): X25519Recipient {
    let recipient = this.recipients.get(version);
    if (recipient === undefined) {
      recipient = { privateKey: importX25519Private(material.seal.privateKey), publicKey: material.seal.publicKey };
      this.recipients.set(version, recipient);
    }
    return recipient;
  }

  private materialFor(ref: KeyRef): KeyMaterial {
    if (ref.provider !== this.id || ref.keyId !== this.keyring.keyringId) {
      throw new ShroudError(
        'CRYPTO_UNKNOWN_KEY',
        `sealed for ${ref.provider} key ${shortKeyId(ref.keyId)} version ${ref.version}, but this keyring is ${this.id} key ${this.keyring.keyringId}`,
        { details: { ...ref } },
      );
    }
    const version = findVersion(this.keyring, ref.version);
    if (version === undefined) {
      throw new ShroudError('CRYPTO_UNKNOWN_KEY', `keyring ${ref.keyId} has no version ${ref.version}`, {
        details: { ...ref },
      });
    }
    if (version.material === undefined) {
      throw new ShroudError(
        'CRYPTO_KEY_DESTROYED',
        `key version ${ref.version} of keyring ${ref.keyId} was shredded on ${version.destroyedAt ?? 'an unknown date'}; the value can never be opened`,
        { details: { ...ref } },
      );
    }
    if (version.tag !== ref.keyTag) {
      throw new ShroudError(
        'CRYPTO_UNKNOWN_KEY',
        `sealed to another key that is also called version ${ref.version} of keyring ${ref.keyId} (key tag ${ref.keyTag}, this keyring's is ${version.tag}): the keyring was replaced or restored from another copy; open it with the keyring it was sealed with`,
        { details: { ...ref } },
      );
    }
    return version.material;
  }
}

/** A key id for a message: a foreign one may be up to 1 KiB. */
function shortKeyId(keyId: string): string {
  return keyId.length <= 64 ? keyId : `${keyId.slice(0, 61)}...`;
}
