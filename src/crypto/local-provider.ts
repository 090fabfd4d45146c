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
import { DEK_LEN, wrapAad } from './key-schedule.js';
import {
  describeKeyring,
  findVersion,
  keyRefOf,
  LOCAL_PROVIDER_ID,
  primaryVersion,
  type Keyring,
  type KeyMaterial,
} from './keyring.js';
import type { KekProvider, ProviderStatus, UnwrapRequest, WrapRequest, WrapResult } from './provider.js';
import { importX25519Private, openDekWithPrivateKey, type X25519Recipient } from './x25519.js';

const KEK_WRAPPED_LEN = 12 + DEK_LEN + TAG_LEN;

/** KekProvider backed by a local keyring. */
export class LocalKeyringProvider implements KekProvider {
  readonly id = LOCAL_PROVIDER_ID;
  readonly keyring: Keyring;
  /** Imported private sealing keys by version: parsing one costs more than the X25519 itself. */
  private readonly recipients = new Map<number, X25519Recipient>();

  constructor(keyring: Keyring) {
    this.keyring = keyring;
  }

  /** Wraps a DEK under the primary version's KEK. */
  async wrap(request: WrapRequest): Promise<WrapResult> {
    const primary = primaryVersion(this.keyring);
    const ref = keyRefOf(this.keyring, primary.version);
    const nonce = randomBytes(12);
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
        `sealed for ${ref.provider} key ${ref.keyId} version ${ref.version}, but this keyring is ${this.id} key ${this.keyring.keyringId}`,
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
    return version.material;
  }
}
