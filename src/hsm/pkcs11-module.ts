/**
 * pkcs11js, loaded only when a PKCS#11 provider is asked for (it is an optional native
 * dependency: an install without a compiler, or `--ignore-scripts`, has no binding), and the
 * PKCS#11 libraries (modules) it has loaded, shared by every provider of the process: a module is
 * initialised once per process (a second C_Initialize is CKR_CRYPTOKI_ALREADY_INITIALIZED, and
 * one provider's C_Finalize would end every other's sessions).
 *
 * Only the part of pkcs11js that the provider uses is typed here, so this builds without it.
 */
import { ShroudError } from '../errors.js';

/** A PKCS#11 handle (session, slot or object) as pkcs11js gives it: opaque bytes. Never logged. */
export type Handle = Buffer;

export interface Pkcs11Attribute {
  type: number;
  value?: number | boolean | string | Buffer;
}

export interface Pkcs11Mechanism {
  mechanism: number;
  parameter?: { type: number; iv: Buffer; aad: Buffer; ivBits: number; tagBits: number };
}

export interface Pkcs11TokenInfo {
  label: string;
  serialNumber: string;
  flags: number;
}

/** The calls of pkcs11js's PKCS11 class the provider makes. */
export interface Pkcs11Library {
  load(path: string): void;
  close(): void;
  C_Initialize(options?: { flags?: number }): void;
  C_Finalize(): void;
  C_GetSlotList(tokenPresent?: boolean): Handle[];
  C_GetTokenInfo(slot: Handle): Pkcs11TokenInfo;
  C_OpenSession(slot: Handle, flags: number): Handle;
  C_CloseSession(session: Handle): void;
  C_GetSessionInfo(session: Handle): { state: number; deviceError: number };
  C_Login(session: Handle, userType: number, pin?: string): void;
  C_SetPIN(session: Handle, oldPin: string, newPin: string): void;
  C_FindObjectsInit(session: Handle, template: Pkcs11Attribute[]): void;
  C_FindObjects(session: Handle, maxObjectCount: number): Handle[];
  C_FindObjectsFinal(session: Handle): void;
  C_GetAttributeValue(session: Handle, object: Handle, template: Pkcs11Attribute[]): Pkcs11Attribute[];
  C_SetAttributeValue(session: Handle, object: Handle, template: Pkcs11Attribute[]): void;
  C_CreateObject(session: Handle, template: Pkcs11Attribute[]): Handle;
  C_DestroyObject(session: Handle, object: Handle): void;
  C_GenerateKey(session: Handle, mechanism: Pkcs11Mechanism, template: Pkcs11Attribute[]): Handle;
  C_EncryptInit(session: Handle, mechanism: Pkcs11Mechanism, key: Handle): void;
  C_EncryptAsync(session: Handle, inData: Buffer, outData: Buffer): Promise<Buffer>;
  C_DecryptInit(session: Handle, mechanism: Pkcs11Mechanism, key: Handle): void;
  C_DecryptAsync(session: Handle, inData: Buffer, outData: Buffer): Promise<Buffer>;
}

/** The constants the provider uses (names as in the PKCS#11 headers). */
export interface Pkcs11Constants {
  CKF_SERIAL_SESSION: number;
  CKF_RW_SESSION: number;
  CKF_OS_LOCKING_OK: number;
  CKU_USER: number;
  CKO_SECRET_KEY: number;
  CKO_DATA: number;
  CKK_AES: number;
  CKM_AES_KEY_GEN: number;
  CKM_AES_GCM: number;
  CK_PARAMS_AES_GCM: number;
  CKA_CLASS: number;
  CKA_KEY_TYPE: number;
  CKA_TOKEN: number;
  CKA_PRIVATE: number;
  CKA_LABEL: number;
  CKA_ID: number;
  CKA_APPLICATION: number;
  CKA_VALUE: number;
  CKA_VALUE_LEN: number;
  CKA_SENSITIVE: number;
  CKA_EXTRACTABLE: number;
  CKA_ENCRYPT: number;
  CKA_DECRYPT: number;
  CKA_WRAP: number;
  CKA_UNWRAP: number;
  CKA_SIGN: number;
  CKA_VERIFY: number;
  CKA_DERIVE: number;
  CKA_MODIFIABLE: number;
}

export interface Pkcs11Binding extends Pkcs11Constants {
  PKCS11: new () => Pkcs11Library;
}

let binding: Promise<Pkcs11Binding> | undefined;

/**
 * pkcs11js, imported on first use.
 * @throws HSM_BINDING_MISSING when it is not installed or its native part was not built
 */
export function loadBinding(): Promise<Pkcs11Binding> {
  binding ??= importBinding('pkcs11js').catch((err: unknown) => {
    binding = undefined;
    throw err;
  });
  return binding;
}

/**
 * Imports a pkcs11js-shaped package by name (a variable, so TypeScript does not need the optional
 * package to build). Exported for tests, which ask for a package that is not there.
 * @throws HSM_BINDING_MISSING
 */
export async function importBinding(name: string): Promise<Pkcs11Binding> {
  try {
    const loaded = (await import(name)) as { default?: Pkcs11Binding } & Partial<Pkcs11Binding>;
    const b = (loaded.default ?? loaded) as Pkcs11Binding;
    if (typeof b.PKCS11 !== 'function') throw new TypeError(`${name} has no PKCS11 class`);
    return b;
  } catch (cause) {
    throw new ShroudError(
      'HSM_BINDING_MISSING',
      'the pkcs11 KEK provider needs the optional package pkcs11js (a native addon), and it is not installed or was not built: ' +
        'run "npm install pkcs11js" where a C++ compiler and Python are available (in the image, its install script must run), or use --kek-provider local',
      { cause, details: { package: name } },
    );
  }
}

/** The CKR_ name of a pkcs11js error (`CKR_PIN_INCORRECT`), or undefined for any other error. */
export function ckrOf(err: unknown): string | undefined {
  if (!(err instanceof Error)) return undefined;
  const m = /\b(CKR_[A-Z0-9_]+)\b/.exec(err.message);
  return m?.[1];
}

/** A PKCS#11 module loaded in this process, and how many times it was (re)initialised. */
export interface LoadedModule {
  readonly path: string;
  readonly lib: Pkcs11Library;
  readonly constants: Pkcs11Constants;
  /** Bumped by every finalize: sessions opened under an older generation are gone. */
  generation: number;
  initialized: boolean;
  users: number;
  /**
   * SHA-256 of the PIN each token (by serial number) was logged in with: a login is shared by
   * every session of the process, so a later provider with another PIN would otherwise be let in.
   */
  logins: Map<string, Buffer>;
  /**
   * Calls running in the module now (pkcs11js runs C_EncryptAsync/C_DecryptAsync on other
   * threads). C_Finalize waits until there are none: finalising under a running call is undefined
   * behaviour in most modules.
   */
  inFlight: number;
  /** A finalize (after a device error) waits for the calls in flight; meanwhile nothing initialises. */
  finalizePending: boolean;
  /** The last user let go while calls were in flight: unloaded when they end. */
  unloadPending: boolean;
}

const modules = new Map<string, LoadedModule>();

/**
 * The module at `path`, loaded and initialised (once per process; shared).
 * @throws HSM_BINDING_MISSING, HSM_MODULE_FAILED
 */
export async function acquireModule(path: string): Promise<LoadedModule> {
  const b = await loadBinding();
  let m = modules.get(path);
  if (m === undefined) {
    const lib = new b.PKCS11();
    try {
      lib.load(path);
    } catch (cause) {
      throw new ShroudError(
        'HSM_MODULE_FAILED',
        `cannot load the PKCS#11 module ${path}: ${ckrOf(cause) ?? (cause as Error).message}; check --pkcs11-module (SHROUD_PKCS11_MODULE) names the vendor's .so (SoftHSM2: /usr/lib/softhsm/libsofthsm2.so)`,
        { cause, details: { module: path } },
      );
    }
    m = {
      path,
      lib,
      constants: b,
      generation: 0,
      initialized: false,
      users: 0,
      logins: new Map(),
      inFlight: 0,
      finalizePending: false,
      unloadPending: false,
    };
    modules.set(path, m);
  }
  m.users++;
  m.unloadPending = false;
  try {
    ensureInitialized(m);
  } catch (err) {
    m.users--;
    throw err;
  }
  return m;
}

/**
 * Initialises the module if it is not (after a finalize).
 * @throws HSM_MODULE_FAILED (CRYPTO_PROVIDER_UNAVAILABLE when it worked before: a device that went away)
 */
export function ensureInitialized(m: LoadedModule): void {
  if (m.finalizePending) {
    throw new ShroudError(
      'CRYPTO_PROVIDER_UNAVAILABLE',
      `the PKCS#11 module ${m.path} is reconnecting after a device error (${m.inFlight} call(s) still to end)`,
      { details: { module: m.path } },
    );
  }
  if (m.initialized) return;
  try {
    m.lib.C_Initialize({ flags: m.constants.CKF_OS_LOCKING_OK });
  } catch (cause) {
    if (ckrOf(cause) !== 'CKR_CRYPTOKI_ALREADY_INITIALIZED') {
      throw new ShroudError(
        m.generation === 0 ? 'HSM_MODULE_FAILED' : 'CRYPTO_PROVIDER_UNAVAILABLE',
        `the PKCS#11 module ${m.path} did not initialise (${ckrOf(cause) ?? 'error'}): is the device (or the SoftHSM token folder) there?`,
        { cause, details: { module: m.path } },
      );
    }
  }
  m.initialized = true;
}

/**
 * Finalises the module after a device error so the next call initialises it afresh (a device
 * that was removed and plugged back). Only the first caller of a generation finalises, and only
 * once no call is running in the module.
 */
export function resetModule(m: LoadedModule, seenGeneration: number): void {
  if (m.generation !== seenGeneration) return;
  m.generation++;
  m.logins.clear();
  if (!m.initialized) return;
  m.finalizePending = true;
  if (m.inFlight === 0) whenIdle(m);
}

/** Marks a call into the module; endCall when it has ended (also when it failed). */
export function beginCall(m: LoadedModule): void {
  m.inFlight++;
}

export function endCall(m: LoadedModule): void {
  m.inFlight--;
  if (m.inFlight === 0) whenIdle(m);
}

function whenIdle(m: LoadedModule): void {
  if (m.finalizePending) {
    m.finalizePending = false;
    finalize(m);
  }
  if (m.unloadPending) {
    m.unloadPending = false;
    unload(m);
  }
}

function finalize(m: LoadedModule): void {
  if (!m.initialized) return;
  m.initialized = false;
  try {
    m.lib.C_Finalize();
  } catch {
    /* already gone: nothing to release */
  }
}

function unload(m: LoadedModule): void {
  if (m.users > 0) return;
  modules.delete(m.path);
  finalize(m);
  try {
    m.lib.close();
  } catch {
    /* nothing left to release */
  }
}

/** Drops one user of the module; the last one finalises and unloads it (once no call is running in it). */
export function releaseModule(m: LoadedModule): void {
  m.users--;
  if (m.users > 0) return;
  if (m.inFlight > 0) m.unloadPending = true;
  else unload(m);
}
