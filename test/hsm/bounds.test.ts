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
import { importBinding } from '../../src/hsm/pkcs11-module.js';
import type { SessionPool } from '../../src/hsm/session-pool.js';
import { requireSoftHsm, softHsmTestOptions } from '../helpers/softhsm.js';

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
    const hsm = requireSoftHsm();
    hsm.initToken('bounds', PIN);
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
