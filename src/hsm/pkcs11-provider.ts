/**
 * The `pkcs11` KEK provider: DEKs are wrapped and unwrapped inside a PKCS#11 token (an HSM, a
 * cloud HSM, SoftHSM2) by a non-extractable, sensitive AES-256 key that never leaves it.
 *
 * Mechanism: CKM_AES_GCM through C_Encrypt/C_Decrypt, a fresh random 96-bit IV per wrap, a
 * 128-bit tag, and as associated data the envelope's header and key reference (wrapAad, the same
 * bytes the local keyring binds). Why not C_WrapKey with CKM_AES_KEY_WRAP(_PAD) (RFC 3394/5649)?
 * The DEK is not a token object (it is made by Shroud, and importing it first would be two more
 * calls and a session object holding it), and key wrap has no associated data: the wrapped DEK
 * could then be moved to another envelope, caught only by the envelope's key commitment and slot
 * MAC. GCM binds the DEK to this value's header inside the token, as the keyring does. SoftHSM
 * 2.6 and the HSMs we know implement CKM_AES_GCM with caller IVs; a token in a mode that insists
 * on making the IV itself refuses C_EncryptInit, which fails loudly (CRYPTO_PROVIDER_UNAVAILABLE).
 * Slot: IV (12) || ciphertext (32) || tag (16).
 *
 * Key versions are token objects labelled `<label>.v<N>` (CKO_SECRET_KEY, CKK_AES, 32 bytes,
 * CKA_TOKEN, CKA_PRIVATE, CKA_SENSITIVE, not CKA_EXTRACTABLE, only CKA_ENCRYPT/CKA_DECRYPT).
 * CKA_ID is 16 random bytes then the creation time (8 bytes, big-endian milliseconds): the 16
 * random bytes are the version's key tag, so "version 3" of two tokens never match. State lives
 * in the token, so every process sees the same: the primary is the highest live version; retired
 * is CKA_ENCRYPT false (the token itself then refuses to wrap with it); destroyed is a tombstone
 * data object (CKO_DATA, CKA_APPLICATION "shroud", same label, the tag and dates as JSON) left
 * when the key object is destroyed (C_DestroyObject), so its values say CRYPTO_KEY_DESTROYED and
 * the version number is never reused.
 *
 * Never logged or put in an error: the PIN, DEKs, key or session handles.
 */
import { randomBytes } from 'node:crypto';
import { DEFAULT_PROVIDER_TIMEOUT_MS, type KeyRef, type KeyState, callProvider } from '../crypto/index.js';
import type {
  KekProvider,
  KeyVersionStatus,
  ProviderStatus,
  UnwrapRequest,
  WrapRequest,
  WrapResult,
} from '../crypto/index.js';
import { wrapAad } from '../crypto/key-schedule.js';
import { ShroudError, isShroudError } from '../errors.js';
import {
  acquireModule,
  ckrOf,
  type Handle,
  type LoadedModule,
  type Pkcs11Attribute,
  releaseModule,
} from './pkcs11-module.js';
import { SessionPool, type TokenSelector } from './session-pool.js';

/** Provider id written into envelopes. */
export const PKCS11_PROVIDER_ID = 'pkcs11';

const IV_LEN = 12;
const TAG_BYTES = 16;
const DEK_BYTES = 32;
const WRAPPED_LEN = IV_LEN + DEK_BYTES + TAG_BYTES;
const TAG_ID_LEN = 16;
const APPLICATION = 'shroud';
/** Codes of this provider's own that `call` passes through callProvider unchanged. */
const PASSED_THROUGH: ReadonlySet<string> = new Set([
  'HSM_BINDING_MISSING',
  'HSM_MODULE_FAILED',
  'HSM_TOKEN_NOT_FOUND',
  'HSM_LOGIN_FAILED',
  'HSM_KEY_EXISTS',
  'CRYPTO_KEYRING_STATE',
  'CRYPTO_KEYRING_BUSY',
]);
/** Labels: printable ASCII without spaces; the version suffix is added. */
const KEY_LABEL = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,100}$/;

/** Pkcs11Provider settings. */
export interface Pkcs11ProviderOptions {
  /** Path of the vendor's PKCS#11 library (SoftHSM2: /usr/lib/softhsm/libsofthsm2.so). */
  module: string;
  token: TokenSelector;
  /** The user PIN; read from a file or the environment by the caller, never a flag. */
  pin: string;
  /** Base label of the key objects; version N is `<keyLabel>.v<N>`. It is the key id in envelopes. */
  keyLabel: string;
  /** Sessions open at once at most (default 4). */
  maxSessions?: number;
  /** Every operation's bound, in milliseconds (default 5000). */
  timeoutMs?: number;
  /** How long the list of key versions is trusted before it is read from the token again (default 5000 ms). */
  inventoryTtlMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

interface LiveVersion {
  version: number;
  handle: Handle;
  tag: string;
  createdAt: string;
  retired: boolean;
}

interface Tombstone {
  version: number;
  handle: Handle;
  tag: string;
  createdAt: string;
  destroyedAt: string;
}

interface Inventory {
  live: Map<number, LiveVersion>;
  tombstones: Map<number, Tombstone>;
  /** Versions labelled twice (two processes rotated at once): refused until one is removed. */
  duplicates: Set<number>;
  primary: number | undefined;
  readAt: number;
  fingerprint: string;
}

/** Health as last seen, for /readyz (synchronous). */
export interface Pkcs11Health {
  ok: boolean;
  message?: string;
  checkedAt?: string;
}

export function isValidKeyLabel(label: string): boolean {
  return KEY_LABEL.test(label);
}

function isoDate(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * Opens a pkcs11 provider: loads the module, finds the token and logs in once, so a wrong PIN,
 * module or token label fails here (typed) and not at the first value.
 * @throws HSM_BINDING_MISSING, HSM_MODULE_FAILED, HSM_TOKEN_NOT_FOUND, HSM_LOGIN_FAILED, CONFIG_INVALID
 */
export async function openPkcs11Provider(options: Pkcs11ProviderOptions): Promise<Pkcs11Provider> {
  if (!isValidKeyLabel(options.keyLabel)) {
    throw new ShroudError(
      'CONFIG_INVALID',
      `--pkcs11-key-label must be 1 to 101 letters, digits and . _ : / - (starting with a letter or digit); version N is the object labelled LABEL.vN`,
    );
  }
  const module = await acquireModule(options.module);
  const provider = new Pkcs11Provider(module, options);
  try {
    await provider.connect();
  } catch (err) {
    await provider.close();
    throw err;
  }
  return provider;
}

/** KekProvider over a PKCS#11 token. Make one with openPkcs11Provider. */
export class Pkcs11Provider implements KekProvider {
  readonly id = PKCS11_PROVIDER_ID;
  readonly keyLabel: string;
  private readonly pool: SessionPool;
  private readonly timeoutMs: number;
  private readonly ttlMs: number;
  private readonly now: () => number;
  private inventory: Inventory | undefined;
  private refreshing: Promise<Inventory> | undefined;
  private generationCount = 0;
  private readonly instance = randomBytes(4).toString('hex');
  private lastHealth: Pkcs11Health = { ok: false, message: 'not connected yet' };
  private closed = false;

  constructor(
    private readonly module: LoadedModule,
    options: Pkcs11ProviderOptions,
  ) {
    this.keyLabel = options.keyLabel;
    const pin = options.pin;
    this.pool = new SessionPool(module, options.token, () => pin, Math.max(1, options.maxSessions ?? 4));
    this.timeoutMs = options.timeoutMs ?? DEFAULT_PROVIDER_TIMEOUT_MS;
    this.ttlMs = options.inventoryTtlMs ?? 5000;
    this.now = options.now ?? Date.now;
  }

  /** Where, for messages: token and module (never the PIN). */
  get where(): string {
    return this.pool.where;
  }

  /** Sessions open now. */
  get sessions(): number {
    return this.pool.size;
  }

  /** The last seen health (refreshed by every call and by status()). */
  health(): Pkcs11Health {
    return { ...this.lastHealth };
  }

  /** Logs in and reads the key versions. */
  async connect(): Promise<void> {
    await this.call((signal) => this.pool.use((s) => this.readInventory(s), signal));
  }

  /** Releases the sessions and the module. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.pool.close();
    releaseModule(this.module);
  }

  /** Wraps a DEK under the primary version. */
  async wrap(request: WrapRequest): Promise<WrapResult> {
    if (request.dek.length !== DEK_BYTES) throw new TypeError('a DEK is 32 bytes');
    return this.call(async (signal) => {
      for (let attempt = 0; ; attempt++) {
        const inv = await this.current(signal, attempt > 0);
        const primary = inv.primary === undefined ? undefined : inv.live.get(inv.primary);
        if (primary === undefined) {
          throw new ShroudError(
            'CRYPTO_UNKNOWN_KEY',
            `${this.where} has no key "${this.keyLabel}.v1" (or later version) to wrap with: create it with shroud keys init --kek-provider pkcs11`,
            { details: { keyId: this.keyLabel } },
          );
        }
        const ref = this.refOf(primary);
        const iv = randomBytes(IV_LEN);
        try {
          const out = await this.pool.use(async (session) => {
            const { lib } = this.module;
            lib.C_EncryptInit(session, this.gcm(iv, wrapAad(request.context, 'kek', ref)), primary.handle);
            const dek = Buffer.from(request.dek);
            try {
              return await lib.C_EncryptAsync(session, dek, Buffer.alloc(DEK_BYTES + TAG_BYTES + 16));
            } finally {
              dek.fill(0);
            }
          }, signal);
          if (out.length !== DEK_BYTES + TAG_BYTES) {
            throw new ShroudError(
              'CRYPTO_PROVIDER_UNAVAILABLE',
              `${this.where} answered an AES-GCM encryption with ${out.length} bytes instead of ${DEK_BYTES + TAG_BYTES}`,
            );
          }
          return { method: 'kek', ref, wrapped: Buffer.concat([iv, out]) };
        } catch (err) {
          // The object was destroyed or retired by another process meanwhile: read the versions again, once.
          if (attempt === 0 && this.isStaleHandle(err)) continue;
          throw err;
        }
      }
    }, request.signal);
  }

  /**
   * Unwraps a DEK of any live version.
   * @throws CRYPTO_UNKNOWN_KEY, CRYPTO_KEY_DESTROYED, CRYPTO_INTEGRITY, CRYPTO_PROVIDER_*
   */
  async unwrap(request: UnwrapRequest): Promise<Uint8Array> {
    const { slot, context } = request;
    return this.call(async (signal) => {
      this.checkRef(slot.ref);
      if (slot.method !== 'kek') {
        throw new ShroudError(
          'CRYPTO_UNKNOWN_KEY',
          `the pkcs11 provider opens only values wrapped in the token (method kek), not ${slot.method}`,
          { details: { ...slot.ref } },
        );
      }
      if (slot.wrapped.length !== WRAPPED_LEN)
        throw new ShroudError('CRYPTO_INTEGRITY', 'sealed value failed authentication');
      const iv = slot.wrapped.subarray(0, IV_LEN);
      const body = slot.wrapped.subarray(IV_LEN);
      for (let attempt = 0; ; attempt++) {
        const version = await this.liveVersionFor(slot.ref, signal, attempt > 0);
        try {
          return await this.pool.use(async (session) => {
            const { lib } = this.module;
            lib.C_DecryptInit(session, this.gcm(Buffer.from(iv), wrapAad(context, 'kek', slot.ref)), version.handle);
            let dek: Buffer;
            try {
              dek = await lib.C_DecryptAsync(session, Buffer.from(body), Buffer.alloc(body.length));
            } catch (err) {
              throw this.decryptFailure(err, session);
            }
            if (dek.length !== DEK_BYTES) {
              dek.fill(0);
              throw new ShroudError('CRYPTO_INTEGRITY', 'sealed value failed authentication');
            }
            return dek;
          }, signal);
        } catch (err) {
          if (attempt === 0 && this.isStaleHandle(err)) continue;
          throw err;
        }
      }
    }, request.signal);
  }

  /** Versions and states as the token holds them now; unhealthy (not thrown) when the token is away. */
  async status(options: { signal?: AbortSignal } = {}): Promise<ProviderStatus> {
    try {
      const inv = await this.call((signal) => this.current(signal, true), options.signal);
      const versions = this.describe(inv);
      const primary = inv.primary === undefined ? undefined : inv.live.get(inv.primary);
      return {
        provider: this.id,
        healthy: true,
        ...(primary === undefined
          ? { message: `no key "${this.keyLabel}.v1" in ${this.where}` }
          : { primary: this.refOf(primary) }),
        versions,
      };
    } catch (err) {
      const message = isShroudError(err) ? `${err.code}: ${err.message}` : 'the token did not answer';
      return { provider: this.id, healthy: false, message, versions: [] };
    }
  }

  /**
   * Cheap check on a DEK cache hit, from the versions last read (no token call): throws for a
   * version known to be destroyed or another key's tag; the generation changes whenever a read of
   * the token finds the versions changed. A stale list is refreshed in the background.
   */
  keyGeneration(ref: KeyRef): string {
    this.checkRef(ref);
    const inv = this.inventory;
    if (inv !== undefined) {
      if (this.now() - inv.readAt > this.ttlMs) this.refreshInBackground();
      const dead = inv.tombstones.get(ref.version);
      const live = inv.live.get(ref.version);
      if (live === undefined && dead !== undefined && dead.tag === ref.keyTag) throw this.destroyedError(ref, dead);
      if (live !== undefined && live.tag !== ref.keyTag) throw this.otherKeyError(ref, live.tag);
    }
    return `${this.instance}#${this.generationCount}`;
  }

  // ---- key lifecycle (shroud keys) ----

  /**
   * Creates version 1 in the token.
   * @throws HSM_KEY_EXISTS when any version (live or destroyed) of this label is there
   */
  async createKey(): Promise<KeyVersionStatus> {
    return this.call(async (signal) => {
      const inv = await this.current(signal, true);
      if (inv.live.size + inv.tombstones.size > 0) {
        throw new ShroudError(
          'HSM_KEY_EXISTS',
          `${this.where} already holds key "${this.keyLabel}" (versions ${[...inv.live.keys(), ...inv.tombstones.keys()].sort((a, b) => a - b).join(', ')}): nothing was created; use shroud keys rotate for a new version, or another --pkcs11-key-label`,
          { details: { keyId: this.keyLabel } },
        );
      }
      return this.generateVersion(1, signal);
    });
  }

  /** Makes a new primary version; older versions keep opening. */
  async rotate(): Promise<KeyVersionStatus> {
    return this.call(async (signal) => {
      const inv = await this.current(signal, true);
      const all = [...inv.live.keys(), ...inv.tombstones.keys()];
      if (all.length === 0) {
        throw new ShroudError(
          'CRYPTO_UNKNOWN_KEY',
          `${this.where} has no key "${this.keyLabel}" to rotate: create it with shroud keys init --kek-provider pkcs11`,
          { details: { keyId: this.keyLabel } },
        );
      }
      return this.generateVersion(Math.max(...all) + 1, signal);
    });
  }

  /**
   * Retires an active version (CKA_ENCRYPT false): it still opens, never wraps.
   * @throws CRYPTO_UNKNOWN_KEY, CRYPTO_KEYRING_STATE
   */
  async retire(version: number): Promise<void> {
    await this.call(async (signal) => {
      const inv = await this.current(signal, true);
      const state = this.stateOf(inv, version);
      if (state !== 'active') {
        throw this.stateError(
          version,
          state,
          'retire',
          state === 'primary' ? 'rotate first' : 'only active versions can be retired',
        );
      }
      const live = inv.live.get(version)!;
      await this.pool.use(
        (s) => this.module.lib.C_SetAttributeValue(s, live.handle, [this.attr('CKA_ENCRYPT', false)]),
        signal,
      );
      await this.current(signal, true);
    });
  }

  /**
   * Destroys a retired version's key object (C_DestroyObject), leaving a tombstone.
   * @throws CRYPTO_UNKNOWN_KEY, CRYPTO_KEYRING_STATE
   */
  async shred(version: number): Promise<void> {
    await this.call(async (signal) => {
      const inv = await this.current(signal, true);
      const state = this.stateOf(inv, version);
      if (state !== 'retired') {
        throw this.stateError(
          version,
          state,
          'shred',
          state === 'destroyed' ? 'it is already gone' : 'retire it first',
        );
      }
      const live = inv.live.get(version)!;
      await this.pool.use((s) => {
        const { lib } = this.module;
        // The tombstone first: a crash between the two calls leaves a retired key with its
        // tombstone, which a second shred finishes; never a key gone without a trace.
        if (!inv.tombstones.has(version)) {
          const record = JSON.stringify({
            keyTag: live.tag,
            createdAt: live.createdAt,
            destroyedAt: isoDate(this.now()),
          });
          lib.C_CreateObject(s, [
            this.attr('CKA_CLASS', this.module.constants.CKO_DATA),
            this.attr('CKA_TOKEN', true),
            this.attr('CKA_PRIVATE', true),
            this.attr('CKA_MODIFIABLE', false),
            this.attr('CKA_APPLICATION', APPLICATION),
            this.attr('CKA_LABEL', this.labelOf(version)),
            this.attr('CKA_VALUE', Buffer.from(record, 'utf8')),
          ]);
        }
        lib.C_DestroyObject(s, live.handle);
      }, signal);
      await this.current(signal, true);
    });
  }

  // ---- internals ----

  private async call<T>(operation: (signal: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<T> {
    try {
      const result = await callProvider(this.id, operation, {
        timeoutMs: this.timeoutMs,
        ...(signal ? { signal } : {}),
      });
      this.lastHealth = { ok: true, checkedAt: isoDate(this.now()) };
      return result;
    } catch (caught) {
      // callProvider reports what it does not know as CRYPTO_PROVIDER_UNAVAILABLE; this
      // provider's own codes (login, token, key state) are more useful to whoever opened it.
      const cause = isShroudError(caught) ? (caught as { cause?: unknown }).cause : undefined;
      const err =
        isShroudError(caught) &&
        caught.code === 'CRYPTO_PROVIDER_UNAVAILABLE' &&
        isShroudError(cause) &&
        PASSED_THROUGH.has(cause.code)
          ? cause
          : caught;
      if (isShroudError(err) && (err.code.startsWith('CRYPTO_PROVIDER_') || err.code.startsWith('HSM_'))) {
        this.lastHealth = { ok: false, message: `${err.code}: ${err.message}`, checkedAt: isoDate(this.now()) };
      } else {
        // The token answered (an unknown key, a failed tag): it is up.
        this.lastHealth = { ok: true, checkedAt: isoDate(this.now()) };
      }
      throw err;
    }
  }

  private gcm(iv: Buffer, aad: Buffer) {
    const k = this.module.constants;
    return {
      mechanism: k.CKM_AES_GCM,
      parameter: { type: k.CK_PARAMS_AES_GCM, iv, aad, ivBits: IV_LEN * 8, tagBits: TAG_BYTES * 8 },
    };
  }

  private attr(name: keyof LoadedModule['constants'], value?: Pkcs11Attribute['value']): Pkcs11Attribute {
    return value === undefined ? { type: this.module.constants[name] } : { type: this.module.constants[name], value };
  }

  private labelOf(version: number): string {
    return `${this.keyLabel}.v${version}`;
  }

  private refOf(v: { version: number; tag: string }): KeyRef {
    return { provider: this.id, keyId: this.keyLabel, version: v.version, keyTag: v.tag };
  }

  private checkRef(ref: KeyRef): void {
    if (ref.provider !== this.id || ref.keyId !== this.keyLabel) {
      const keyId = ref.keyId.length <= 64 ? ref.keyId : `${ref.keyId.slice(0, 61)}...`;
      throw new ShroudError(
        'CRYPTO_UNKNOWN_KEY',
        `sealed for ${ref.provider} key ${keyId} version ${ref.version}, but this provider is pkcs11 key ${this.keyLabel} in ${this.where}`,
        { details: { ...ref } },
      );
    }
  }

  private isStaleHandle(err: unknown): boolean {
    const ckr = ckrOf(err);
    return (
      ckr === 'CKR_OBJECT_HANDLE_INVALID' ||
      ckr === 'CKR_KEY_HANDLE_INVALID' ||
      ckr === 'CKR_KEY_FUNCTION_NOT_PERMITTED'
    );
  }

  /**
   * A failed AES-GCM decryption: a tag that does not verify is CKR_ENCRYPTED_DATA_INVALID in the
   * standard, and CKR_GENERAL_ERROR in SoftHSM 2.6. Since a dying device can also say
   * CKR_GENERAL_ERROR, the session is asked about first: if it still answers, the data is at fault.
   */
  private decryptFailure(err: unknown, session: Handle): unknown {
    const ckr = ckrOf(err);
    if (ckr === 'CKR_ENCRYPTED_DATA_INVALID' || ckr === 'CKR_ENCRYPTED_DATA_LEN_RANGE') {
      return new ShroudError('CRYPTO_INTEGRITY', 'sealed value failed authentication');
    }
    if (ckr === 'CKR_GENERAL_ERROR' || ckr === 'CKR_FUNCTION_FAILED') {
      try {
        const info = this.module.lib.C_GetSessionInfo(session);
        this.pool.checkToken();
        if (info.deviceError === 0) return new ShroudError('CRYPTO_INTEGRITY', 'sealed value failed authentication');
      } catch (probe) {
        return probe;
      }
    }
    return err;
  }

  /** The versions, read again when older than the TTL or when `fresh`. */
  private async current(signal: AbortSignal, fresh = false): Promise<Inventory> {
    const inv = this.inventory;
    if (!fresh && inv !== undefined && this.now() - inv.readAt <= this.ttlMs) return inv;
    return this.pool.use((s) => this.readInventory(s), signal);
  }

  private refreshInBackground(): void {
    if (this.refreshing !== undefined || this.closed) return;
    this.refreshing = this.call((signal) => this.pool.use((s) => this.readInventory(s), signal));
    this.refreshing
      .catch(() => undefined)
      .finally(() => {
        this.refreshing = undefined;
      });
  }

  private async liveVersionFor(ref: KeyRef, signal: AbortSignal, fresh: boolean): Promise<LiveVersion> {
    let inv = await this.current(signal, fresh);
    if (!inv.live.has(ref.version) && !fresh) inv = await this.current(signal, true);
    if (inv.duplicates.has(ref.version)) throw this.duplicateError(ref.version);
    const live = inv.live.get(ref.version);
    if (live === undefined) {
      const dead = inv.tombstones.get(ref.version);
      if (dead !== undefined && dead.tag === ref.keyTag) throw this.destroyedError(ref, dead);
      if (dead !== undefined) throw this.otherKeyError(ref, dead.tag);
      // Not there: make sure it is the key that is missing, not the token.
      await this.pool.use(() => this.pool.checkToken(), signal);
      throw new ShroudError(
        'CRYPTO_UNKNOWN_KEY',
        `${this.where} has no key object "${this.labelOf(ref.version)}": sealed with another token, or the object was deleted outside shroud`,
        { details: { ...ref } },
      );
    }
    if (live.tag !== ref.keyTag) throw this.otherKeyError(ref, live.tag);
    return live;
  }

  private destroyedError(ref: KeyRef, dead: Tombstone): ShroudError {
    return new ShroudError(
      'CRYPTO_KEY_DESTROYED',
      `key version ${ref.version} of pkcs11 key ${this.keyLabel} was shredded on ${dead.destroyedAt}; the value can never be opened`,
      { details: { ...ref } },
    );
  }

  private otherKeyError(ref: KeyRef, tag: string): ShroudError {
    return new ShroudError(
      'CRYPTO_UNKNOWN_KEY',
      `sealed to another key that is also called version ${ref.version} of pkcs11 key ${this.keyLabel} (key tag ${ref.keyTag}, ${this.where} has ${tag}): it was sealed with another token; open it with that one`,
      { details: { ...ref } },
    );
  }

  private duplicateError(version: number): ShroudError {
    return new ShroudError(
      'HSM_KEY_EXISTS',
      `${this.where} holds two key objects labelled "${this.labelOf(version)}" (two rotations at once?): remove the one no value uses with the vendor's tool`,
      { details: { keyId: this.keyLabel, version } },
    );
  }

  private stateOf(inv: Inventory, version: number): KeyState | undefined {
    const live = inv.live.get(version);
    if (live === undefined) return inv.tombstones.has(version) ? 'destroyed' : undefined;
    if (inv.tombstones.has(version) || live.retired) return 'retired';
    return inv.primary === version ? 'primary' : 'active';
  }

  private stateError(version: number, state: KeyState | undefined, action: string, hint: string): ShroudError {
    if (state === undefined) {
      return new ShroudError(
        'CRYPTO_UNKNOWN_KEY',
        `pkcs11 key ${this.keyLabel} in ${this.where} has no version ${version}`,
        {
          details: { keyId: this.keyLabel, version },
        },
      );
    }
    return new ShroudError('CRYPTO_KEYRING_STATE', `cannot ${action} version ${version}: it is ${state}; ${hint}`, {
      details: { version, state },
    });
  }

  private describe(inv: Inventory): KeyVersionStatus[] {
    const versions = new Set([...inv.live.keys(), ...inv.tombstones.keys()]);
    return [...versions]
      .sort((a, b) => a - b)
      .map((version) => {
        const state = this.stateOf(inv, version)!;
        const live = inv.live.get(version);
        const source = live ?? inv.tombstones.get(version)!;
        return { ref: this.refOf(source), state, createdAt: source.createdAt };
      });
  }

  /** Generates `<label>.v<version>` in the token; refuses if another process made it meanwhile. */
  private async generateVersion(version: number, signal: AbortSignal): Promise<KeyVersionStatus> {
    const k = this.module.constants;
    const created = this.now();
    const id = Buffer.alloc(TAG_ID_LEN + 8);
    randomBytes(TAG_ID_LEN).copy(id);
    id.writeBigUInt64BE(BigInt(created), TAG_ID_LEN);
    const label = this.labelOf(version);
    const handle = await this.pool.use((s) => {
      const { lib } = this.module;
      lib.C_FindObjectsInit(s, [this.attr('CKA_LABEL', label)]);
      let existing: Handle[];
      try {
        existing = lib.C_FindObjects(s, 1);
      } finally {
        lib.C_FindObjectsFinal(s);
      }
      if (existing.length > 0) throw this.busy();
      return lib.C_GenerateKey(s, { mechanism: k.CKM_AES_KEY_GEN }, [
        this.attr('CKA_CLASS', k.CKO_SECRET_KEY),
        this.attr('CKA_KEY_TYPE', k.CKK_AES),
        this.attr('CKA_VALUE_LEN', DEK_BYTES),
        this.attr('CKA_TOKEN', true),
        this.attr('CKA_PRIVATE', true),
        this.attr('CKA_SENSITIVE', true),
        this.attr('CKA_EXTRACTABLE', false),
        this.attr('CKA_MODIFIABLE', true),
        this.attr('CKA_ENCRYPT', true),
        this.attr('CKA_DECRYPT', true),
        this.attr('CKA_WRAP', false),
        this.attr('CKA_UNWRAP', false),
        this.attr('CKA_SIGN', false),
        this.attr('CKA_VERIFY', false),
        this.attr('CKA_DERIVE', false),
        this.attr('CKA_LABEL', label),
        this.attr('CKA_ID', id),
      ]);
    }, signal);
    const inv = await this.current(signal, true);
    if (inv.duplicates.has(version)) {
      // Another process made the same version between our look and our create: ours goes.
      await this.pool.use((s) => this.module.lib.C_DestroyObject(s, handle), signal);
      await this.current(signal, true);
      throw this.busy();
    }
    const tag = id.subarray(0, TAG_ID_LEN).toString('hex');
    return { ref: this.refOf({ version, tag }), state: 'primary', createdAt: isoDate(created) };
  }

  private busy(): ShroudError {
    return new ShroudError(
      'CRYPTO_KEYRING_BUSY',
      `another command created a version of pkcs11 key ${this.keyLabel} in ${this.where} at the same time; nothing was created: run the command again`,
      { details: { keyId: this.keyLabel } },
    );
  }

  /** Reads every key version and tombstone of the label from the token (short synchronous calls). */
  private readInventory(s: Handle): Inventory {
    const { lib, constants: k } = this.module;
    const find = (template: Pkcs11Attribute[]): Handle[] => {
      lib.C_FindObjectsInit(s, template);
      const found: Handle[] = [];
      try {
        for (let batch = lib.C_FindObjects(s, 64); batch.length > 0; batch = lib.C_FindObjects(s, 64)) {
          found.push(...batch);
          if (found.length > 100_000) break;
        }
      } finally {
        lib.C_FindObjectsFinal(s);
      }
      return found;
    };
    const pattern = new RegExp(`^${this.keyLabel.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.v([1-9][0-9]{0,9})$`);
    const versionOf = (label: Buffer | undefined): number | undefined => {
      const m = label === undefined ? null : pattern.exec(label.toString('utf8'));
      const n = m ? Number(m[1]) : Number.NaN;
      return Number.isSafeInteger(n) && n <= 0xffffffff ? n : undefined;
    };
    const live = new Map<number, LiveVersion>();
    const duplicates = new Set<number>();
    for (const handle of find([this.attr('CKA_CLASS', k.CKO_SECRET_KEY), this.attr('CKA_TOKEN', true)])) {
      const [label, id, encrypt, keyType] = lib.C_GetAttributeValue(s, handle, [
        this.attr('CKA_LABEL'),
        this.attr('CKA_ID'),
        this.attr('CKA_ENCRYPT'),
        this.attr('CKA_KEY_TYPE'),
      ]);
      const version = versionOf(label?.value as Buffer | undefined);
      if (version === undefined) continue;
      const idBytes = id?.value as Buffer | undefined;
      const type = keyType?.value as Buffer | undefined;
      if (
        idBytes === undefined ||
        idBytes.length < TAG_ID_LEN ||
        type === undefined ||
        type.readUInt32LE(0) !== k.CKK_AES
      ) {
        // Not made by shroud (no 16-byte CKA_ID to tag it by, or not AES): never used.
        continue;
      }
      if (live.has(version)) duplicates.add(version);
      live.set(version, {
        version,
        handle,
        tag: idBytes.subarray(0, TAG_ID_LEN).toString('hex'),
        createdAt: idBytes.length >= TAG_ID_LEN + 8 ? isoDate(Number(idBytes.readBigUInt64BE(TAG_ID_LEN))) : 'unknown',
        retired: (encrypt?.value as Buffer | undefined)?.[0] === 0,
      });
    }
    const tombstones = new Map<number, Tombstone>();
    for (const handle of find([this.attr('CKA_CLASS', k.CKO_DATA), this.attr('CKA_APPLICATION', APPLICATION)])) {
      const [label, value] = lib.C_GetAttributeValue(s, handle, [this.attr('CKA_LABEL'), this.attr('CKA_VALUE')]);
      const version = versionOf(label?.value as Buffer | undefined);
      if (version === undefined) continue;
      try {
        const bytes = value?.value;
        if (!Buffer.isBuffer(bytes)) continue;
        const record = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
        if (typeof record.keyTag !== 'string' || !/^[0-9a-f]{32}$/.test(record.keyTag)) continue;
        tombstones.set(version, {
          version,
          handle,
          tag: record.keyTag,
          createdAt: typeof record.createdAt === 'string' ? record.createdAt : 'unknown',
          destroyedAt: typeof record.destroyedAt === 'string' ? record.destroyedAt : 'unknown',
        });
      } catch {
        /* not a tombstone of ours */
      }
    }
    const candidates = [...live.values()].filter((v) => !v.retired && !tombstones.has(v.version));
    const highest = Math.max(0, ...live.keys(), ...tombstones.keys());
    // The primary is the highest version, and only if it is live and not retired (rotate always adds on top).
    const primary = candidates.some((v) => v.version === highest) ? highest : undefined;
    const fingerprint = [
      ...[...live.values()].map((v) => `${v.version}:${v.tag}:${v.retired ? 'r' : 'l'}`),
      ...[...tombstones.values()].map((t) => `${t.version}:${t.tag}:d`),
      ...[...duplicates].map((d) => `${d}:dup`),
    ]
      .sort()
      .join(',');
    if (this.inventory === undefined || this.inventory.fingerprint !== fingerprint) {
      // A token that went away may still answer searches, with nothing (SoftHSM with its folder
      // gone): before taking "the versions changed" for an answer, make sure it is the same token.
      this.pool.checkToken();
      this.generationCount++;
    }
    const inv: Inventory = { live, tombstones, duplicates, primary, readAt: this.now(), fingerprint };
    this.inventory = inv;
    return inv;
  }
}
