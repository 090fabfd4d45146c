/**
 * The pkcs11 provider's bounds, against a real SoftHSM2 token: a missing binding is typed; a
 * caller waiting for a session stops when its signal fires; a provider call that cannot get a
 * session before its timeout is CRYPTO_PROVIDER_TIMEOUT, and the pool serves again afterwards.
 * The session is held on purpose (a promise the test releases), so no outcome depends on speed.
 */
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { after, test } from 'node:test';
import { isShroudError } from '../../src/errors.js';
import { openPkcs11Provider, type Pkcs11Provider } from '../../src/hsm/index.js';
import { acquireModule, importBinding, releaseModule } from '../../src/hsm/pkcs11-module.js';
import type { SessionPool } from '../../src/hsm/session-pool.js';
import { requireSoftHsm, type SoftHsm, softHsmTestOptions } from '../helpers/softhsm.js';

const PIN = 'canary-bounds-pin-9e0a';
const options = softHsmTestOptions();

for (const name of ['pkcs11js-is-not-installed', 'node:path']) {
  test(`a binding that is missing or not pkcs11js (${name}) is HSM_BINDING_MISSING`, async () => {
    await assert.rejects(
      importBinding(name),
      (err: unknown) =>
        isShroudError(err) && err.code === 'HSM_BINDING_MISSING' && /npm install pkcs11js/.test(err.message),
    );
  });
}

let hsm: SoftHsm | undefined;
/** One SoftHSM for the file; tokens are made before the module is first initialised (it lists slots then). */
function setup(): SoftHsm {
  if (hsm === undefined) {
    hsm = requireSoftHsm();
    hsm.initToken('bounds', PIN);
    hsm.initToken('rekeyed', PIN);
  }
  return hsm;
}

let provider: Pkcs11Provider | undefined;
after(async () => provider?.close());

/** The provider's pool, to hold its only session from the test. */
function poolOf(p: Pkcs11Provider): SessionPool {
  return (p as unknown as { pool: SessionPool }).pool;
}

test(
  'a full pool: a waiter stops on its signal, a call times out typed, then the pool serves again',
  options,
  async () => {
    const hsm = setup();
    provider = await openPkcs11Provider({
      module: hsm.module,
      token: { label: 'bounds' },
      pin: PIN,
      keyLabel: 'bounds-kek',
      maxSessions: 1,
      timeoutMs: 200,
    });
    await provider.createKey();
    const pool = poolOf(provider);
    let release: () => void = () => undefined;
    const held = pool.use(() => new Promise<void>((r) => (release = r)));
    try {
      const waiter = new AbortController();
      const waiting = pool.use(() => 'never', waiter.signal);
      waiter.abort();
      await assert.rejects(
        waiting,
        (err: unknown) =>
          isShroudError(err) && err.code === 'CRYPTO_PROVIDER_UNAVAILABLE' && /no free session/.test(err.message),
      );
      await assert.rejects(
        provider.wrap({ dek: randomBytes(32), context: randomBytes(64) }),
        (err: unknown) => isShroudError(err) && err.code === 'CRYPTO_PROVIDER_TIMEOUT',
      );
    } finally {
      release();
      await held;
    }
    const wrapped = await provider.wrap({ dek: randomBytes(32), context: randomBytes(64) });
    assert.equal(wrapped.ref.provider, 'pkcs11');
    assert.equal(provider.sessions, 1, 'still one session');
  },
);

test('a PIN changed on the token while in use: the next login is refused once and never retried', options, async () => {
  const hsm = setup();
  const changing = await openPkcs11Provider({
    module: hsm.module,
    token: { label: 'rekeyed' },
    pin: PIN,
    keyLabel: 'k',
  });
  try {
    await changing.createKey();
    // The token's user changes the PIN (through the process's own login), then the token blips.
    const m = await acquireModule(hsm.module);
    try {
      const { lib, constants: k } = m;
      const slot = lib.C_GetSlotList(true).find((s) => lib.C_GetTokenInfo(s).label.trimEnd() === 'rekeyed')!;
      const session = lib.C_OpenSession(slot, k.CKF_SERIAL_SESSION | k.CKF_RW_SESSION);
      lib.C_SetPIN(session, PIN, 'canary-new-pin-7d3c');
      lib.C_CloseSession(session);
      let logins = 0;
      const login = lib.C_Login.bind(lib);
      lib.C_Login = (...args: Parameters<typeof lib.C_Login>) => {
        logins++;
        return login(...args);
      };
      hsm.unplug();
      assert.equal((await changing.status()).healthy, false);
      hsm.plugBack();
      for (const attempt of [1, 2, 3]) {
        await assert.rejects(
          changing.wrap({ dek: randomBytes(32), context: randomBytes(64) }),
          (err: unknown) =>
            isShroudError(err) && err.code === 'HSM_LOGIN_FAILED' && /not tried again/.test(err.message),
          `attempt ${attempt}`,
        );
      }
      assert.equal(logins, 1, 'one login with the old PIN, then none');
      lib.C_Login = login;
    } finally {
      releaseModule(m);
    }
  } finally {
    await changing.close();
  }
});

test('a module finalised under the provider: the call fails typed, the next one reconnects', options, async () => {
  const hsm = setup();
  const p = await openPkcs11Provider({
    module: hsm.module,
    token: { label: 'bounds' },
    pin: PIN,
    keyLabel: 'bounds-kek',
  });
  const m = await acquireModule(hsm.module);
  try {
    const before = await p.wrap({ dek: randomBytes(32), context: randomBytes(64) });
    // Someone else in the process ends the module's life behind the provider's back.
    m.lib.C_Finalize();
    await assert.rejects(
      p.wrap({ dek: randomBytes(32), context: randomBytes(64) }),
      (err: unknown) =>
        isShroudError(err) &&
        err.code === 'CRYPTO_PROVIDER_UNAVAILABLE' &&
        /CKR_CRYPTOKI_NOT_INITIALIZED/.test(err.message),
    );
    const after = await p.wrap({ dek: randomBytes(32), context: randomBytes(64) });
    assert.deepEqual(after.ref, before.ref);
  } finally {
    releaseModule(m);
    await p.close();
  }
});
