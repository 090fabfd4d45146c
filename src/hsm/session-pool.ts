/**
 * A bounded pool of logged-in read-write sessions on one token.
 *
 * pkcs11js runs C_EncryptAsync/C_DecryptAsync on libuv's thread pool, so several wraps can be in
 * the token at once, each on its own session (a session holds one operation at a time). Sessions
 * are opened on demand up to `max`; a caller beyond that waits in line (and stops waiting when its
 * signal fires). A session is handed back only when its operation has really ended, even if the
 * caller stopped waiting (a timeout): a hung token therefore holds its sessions, and later calls
 * time out in the line instead of piling up inside the module.
 *
 * After a device error (the token removed, the module finalised, a session closed under us) the
 * pool is reset: every session is dropped, the module is finalised, and the next call initialises
 * it, finds the token again (by label or slot id) and logs in again.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { isShroudError, ShroudError } from '../errors.js';
import {
  beginCall,
  ckrOf,
  endCall,
  ensureInitialized,
  type Handle,
  type LoadedModule,
  type Pkcs11TokenInfo,
  resetModule,
} from './pkcs11-module.js';

/** Which token: its label (as `softhsm2-util --init-token --label` or the vendor's tool set it), or a slot id. */
export type TokenSelector = { label: string } | { slotId: bigint };

/** PKCS#11 return values after which the session, the token or the module is not usable any more. */
const DEVICE_ERRORS: ReadonlySet<string> = new Set([
  'CKR_SESSION_HANDLE_INVALID',
  'CKR_SESSION_CLOSED',
  'CKR_SESSION_COUNT',
  'CKR_TOKEN_NOT_PRESENT',
  'CKR_TOKEN_NOT_RECOGNIZED',
  'CKR_DEVICE_REMOVED',
  'CKR_DEVICE_ERROR',
  'CKR_DEVICE_MEMORY',
  'CKR_CRYPTOKI_NOT_INITIALIZED',
  'CKR_USER_NOT_LOGGED_IN',
  'CKR_SLOT_ID_INVALID',
  'CKR_GENERAL_ERROR',
  'CKR_FUNCTION_FAILED',
]);

const LOGIN_ERRORS: ReadonlySet<string> = new Set([
  'CKR_PIN_INCORRECT',
  'CKR_PIN_INVALID',
  'CKR_PIN_LEN_RANGE',
  'CKR_PIN_EXPIRED',
  'CKR_PIN_LOCKED',
]);

/** Whether a PKCS#11 error means the session or device is gone (the pool resets). */
export function isDeviceError(err: unknown): boolean {
  const ckr = ckrOf(err);
  return ckr !== undefined && DEVICE_ERRORS.has(ckr);
}

export function describeToken(token: TokenSelector): string {
  return 'label' in token ? `token "${token.label}"` : `slot ${token.slotId}`;
}

function slotIdOf(slot: Handle): bigint {
  return slot.length >= 8 ? slot.readBigUInt64LE(0) : BigInt(slot.readUInt32LE(0));
}

interface Waiter {
  resolve(session: Handle): void;
  reject(err: unknown): void;
}

export class SessionPool {
  private slot: Handle | undefined;
  private serial: string | undefined;
  private generation = -1;
  private readonly idle: Handle[] = [];
  private open = 0;
  private readonly waiters: Waiter[] = [];
  private closed = false;
  /**
   * A refused login, kept: the PIN does not change while the pool lives, and every retry with a
   * wrong PIN brings the token closer to locking it (most HSMs lock after a few). Reopen the
   * provider (restart) with the right PIN.
   */
  private loginRefused: ShroudError | undefined;

  constructor(
    private readonly module: LoadedModule,
    private readonly token: TokenSelector,
    private readonly pin: () => string,
    private readonly max: number,
  ) {}

  /** What a message may say about where: the module and the token. */
  get where(): string {
    return `${describeToken(this.token)} of PKCS#11 module ${this.module.path}`;
  }

  /** Sessions open now (in use or idle). */
  get size(): number {
    return this.open;
  }

  /**
   * Runs `fn` on a session of its own. A device error resets the pool and comes back as
   * CRYPTO_PROVIDER_UNAVAILABLE; any other error is rethrown as it is.
   */
  async use<T>(fn: (session: Handle) => Promise<T> | T, signal?: AbortSignal): Promise<T> {
    const session = await this.acquire(signal);
    const generation = this.generation;
    let broken = false;
    beginCall(this.module);
    try {
      return await fn(session);
    } catch (err) {
      if (isDeviceError(err)) {
        broken = true;
        this.reset(generation);
        throw this.unavailable(err);
      }
      throw err;
    } finally {
      endCall(this.module);
      if (!broken) this.release(session, generation);
    }
  }

  /** Token info of the slot in use, to tell "no such object" from "the token went away". */
  checkToken(): void {
    if (this.slot === undefined) return;
    let info: Pkcs11TokenInfo;
    try {
      info = this.module.lib.C_GetTokenInfo(this.slot);
    } catch (err) {
      this.reset(this.generation);
      throw this.unavailable(err);
    }
    if (info.serialNumber !== this.serial) {
      this.reset(this.generation);
      throw new ShroudError(
        'CRYPTO_PROVIDER_UNAVAILABLE',
        `${this.where} was replaced by another token (another serial number) while in use`,
        { details: { module: this.module.path } },
      );
    }
  }

  /** Drops every session and finalises the module so the next call starts afresh. */
  reset(generation: number): void {
    if (generation !== this.generation || generation === -1) return;
    this.idle.length = 0;
    this.open = 0;
    this.slot = undefined;
    this.generation = -1;
    resetModule(this.module, generation);
    // Those waiting get a fresh start: each retries to open a session.
    for (const w of this.waiters.splice(0)) w.reject(this.unavailableMessage('was reset after a device error'));
  }

  /** Closes every idle session; later calls are refused. */
  close(): void {
    this.closed = true;
    if (this.generation === this.module.generation && this.module.initialized) {
      for (const s of this.idle) {
        try {
          this.module.lib.C_CloseSession(s);
        } catch {
          /* gone already */
        }
      }
    }
    this.idle.length = 0;
    for (const w of this.waiters.splice(0)) w.reject(this.unavailableMessage('was closed'));
  }

  private unavailableMessage(what: string): ShroudError {
    return new ShroudError('CRYPTO_PROVIDER_UNAVAILABLE', `the session pool of ${this.where} ${what}`, {
      details: { module: this.module.path },
    });
  }

  private unavailable(cause: unknown): ShroudError {
    return new ShroudError(
      'CRYPTO_PROVIDER_UNAVAILABLE',
      `${this.where} is not available (${ckrOf(cause) ?? 'error'}): the device was removed, reset or logged out; the next call reconnects`,
      { cause, details: { module: this.module.path, ckr: ckrOf(cause) } },
    );
  }

  private async acquire(signal?: AbortSignal): Promise<Handle> {
    if (this.closed) throw this.unavailableMessage('was closed');
    if (this.loginRefused !== undefined) throw this.loginRefused;
    if (this.generation !== this.module.generation || !this.module.initialized) this.reconnect();
    const idle = this.idle.pop();
    if (idle !== undefined) return idle;
    if (this.open < this.max) return this.openSession();
    return new Promise<Handle>((resolve, reject) => {
      const waiter: Waiter = {
        resolve: (s) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(s);
        },
        reject: (e) => {
          signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
      };
      const onAbort = () => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(this.unavailableMessage('had no free session before the call was given up'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  private release(session: Handle, generation: number): void {
    if (generation !== this.generation || this.closed) return;
    const waiter = this.waiters.shift();
    if (waiter !== undefined) waiter.resolve(session);
    else this.idle.push(session);
  }

  /** (Re)initialises the module, finds the slot, and forgets sessions of an older generation. */
  private reconnect(): void {
    ensureInitialized(this.module);
    this.idle.length = 0;
    this.open = 0;
    const { lib } = this.module;
    let slots: Handle[];
    try {
      slots = lib.C_GetSlotList(true);
    } catch (err) {
      throw this.unavailable(err);
    }
    for (const slot of slots) {
      let info: Pkcs11TokenInfo;
      try {
        info = lib.C_GetTokenInfo(slot);
      } catch {
        continue;
      }
      const match =
        'label' in this.token ? info.label.trimEnd() === this.token.label : slotIdOf(slot) === this.token.slotId;
      if (match) {
        this.slot = slot;
        this.serial = info.serialNumber;
        this.generation = this.module.generation;
        return;
      }
    }
    throw new ShroudError(
      'HSM_TOKEN_NOT_FOUND',
      `no ${describeToken(this.token)} in PKCS#11 module ${this.module.path} (${slots.length} slot(s) with a token): check --pkcs11-token (SHROUD_PKCS11_TOKEN), or that the device is connected`,
      { details: { module: this.module.path } },
    );
  }

  private openSession(): Handle {
    const { lib, constants: k } = this.module;
    let session: Handle;
    try {
      session = lib.C_OpenSession(this.slot!, k.CKF_SERIAL_SESSION | k.CKF_RW_SESSION);
    } catch (err) {
      if (isDeviceError(err)) this.reset(this.generation);
      throw this.unavailable(err);
    }
    const pinHash = createHash('sha256').update(this.pin(), 'utf8').digest();
    const loggedIn = this.module.logins.get(this.serial!);
    try {
      if (loggedIn !== undefined && !timingSafeEqual(loggedIn, pinHash)) {
        throw new ShroudError(
          'HSM_LOGIN_FAILED',
          `login to ${this.where} was refused: this process is logged in to the token with another PIN; check the PIN file (--pkcs11-pin-file) or SHROUD_PKCS11_PIN`,
          { details: { module: this.module.path } },
        );
      }
      lib.C_Login(session, k.CKU_USER, this.pin());
      this.module.logins.set(this.serial!, pinHash);
    } catch (err) {
      const ckr = ckrOf(err);
      if (isShroudError(err)) {
        try {
          lib.C_CloseSession(session);
        } catch {
          /* gone already */
        }
        if (err.code === 'HSM_LOGIN_FAILED') this.loginRefused = err;
        throw err;
      }
      if (ckr !== 'CKR_USER_ALREADY_LOGGED_IN') {
        try {
          lib.C_CloseSession(session);
        } catch {
          /* gone already */
        }
        if (ckr !== undefined && LOGIN_ERRORS.has(ckr)) {
          this.loginRefused = new ShroudError(
            'HSM_LOGIN_FAILED',
            `login to ${this.where} was refused (${ckr}): check the PIN file (--pkcs11-pin-file) or SHROUD_PKCS11_PIN, then restart; it is not tried again with the same PIN${ckr === 'CKR_PIN_LOCKED' ? '; the PIN is locked: the security officer must unlock it' : ''}`,
            { details: { module: this.module.path, ckr } },
          );
          throw this.loginRefused;
        }
        if (isDeviceError(err)) this.reset(this.generation);
        throw this.unavailable(err);
      }
    }
    this.open++;
    return session;
  }
}
