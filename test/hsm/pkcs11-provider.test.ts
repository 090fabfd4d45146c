/**
 * The pkcs11 KEK provider against a real SoftHSM2 token (a temp token folder per run): the
 * envelope's full round trip, rotation, retirement, shredding, a wrong PIN, tampering, another
 * token's key of the same label and version, and an unplugged token and its return.
 * Canaries: the PIN and the DEKs never appear in an error.
 */
import { strict as assert } from 'node:assert';
import { createHash, randomBytes } from 'node:crypto';
import { after, test } from 'node:test';
import { DekCache, type KekProvider, openValue, parseEnvelope, sealValue } from '../../src/crypto/index.js';
import { CHECK_LEN, SLOT_MAC_LEN } from '../../src/crypto/envelope.js';
import { isShroudError } from '../../src/errors.js';
import { openPkcs11Provider, type Pkcs11Provider } from '../../src/hsm/index.js';
import { requireSoftHsm, type SoftHsm, softHsmTestOptions } from '../helpers/softhsm.js';

const PIN = 'canary-pin-5d1e0c';
const OTHER_PIN = 'canary-pin-other-93b2';
const LABEL = 'shroud-kek';
const context = { namespace: 'shop', serviceAccount: 'checkout', name: 'checkout-secrets', key: 'STRIPE_KEY' };
const options = softHsmTestOptions();

let hsm: SoftHsm | undefined;
const opened: Pkcs11Provider[] = [];
/** Every error a test saw, for the canary check at the end. */
const seen: unknown[] = [];

function setup(): SoftHsm {
  if (hsm === undefined) {
    hsm = requireSoftHsm();
    hsm.initToken('alpha', PIN);
    hsm.initToken('beta', OTHER_PIN);
    hsm.initToken('gamma', PIN);
  }
  return hsm;
}

async function open(token = 'alpha', pin = PIN, extra: { maxSessions?: number } = {}): Promise<Pkcs11Provider> {
  const h = setup();
  const p = await openPkcs11Provider({ module: h.module, token: { label: token }, pin, keyLabel: LABEL, ...extra });
  opened.push(p);
  return p;
}

async function rejectsWith(promise: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    seen.push(err);
    assert.ok(isShroudError(err), `a ShroudError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (message) assert.match(err.message, message);
    return true;
  });
}

after(async () => {
  for (const p of opened) await p.close();
});

let alpha: Pkcs11Provider;
let sealedV1 = '';
let sealedV2 = '';

test('keys init creates version 1 in the token; a second init is refused', options, async () => {
  alpha = await open();
  const created = await alpha.createKey();
  assert.equal(created.state, 'primary');
  assert.deepEqual({ ...created.ref, keyTag: 'x' }, { provider: 'pkcs11', keyId: LABEL, version: 1, keyTag: 'x' });
  assert.match(created.ref.keyTag, /^[0-9a-f]{32}$/);
  await rejectsWith(alpha.createKey(), 'HSM_KEY_EXISTS', /already holds key "shroud-kek"/);
  const status = await alpha.status();
  assert.equal(status.healthy, true);
  assert.deepEqual(
    status.versions.map((v) => [v.ref.version, v.state]),
    [[1, 'primary']],
  );
});

for (const size of [0, 1, 17, 4096, 65_536]) {
  test(`round trip of ${size} B through seal and open, the DEK wrapped in the token`, options, async () => {
    const plaintext = randomBytes(size);
    const sealed = await sealValue(plaintext, { scope: 'strict', context, provider: alpha });
    const info = parseEnvelope(sealed);
    assert.equal(info.method, 'kek');
    assert.deepEqual(
      { provider: info.key.provider, keyId: info.key.keyId, version: info.key.version },
      { provider: 'pkcs11', keyId: LABEL, version: 1 },
    );
    const back = await openValue(sealed, { provider: alpha, expected: context });
    assert.ok(back.plaintext.equals(plaintext));
    sealedV1 = sealed;
  });
}

test('a value sealed for another scope does not open (the wrap binds the header)', options, async () => {
  await rejectsWith(
    openValue(sealedV1, { provider: alpha, expected: { ...context, key: 'OTHER' } }),
    'CRYPTO_SCOPE_MISMATCH',
  );
});

test('a tampered wrapped DEK, or another context, is CRYPTO_INTEGRITY, never garbage', options, async () => {
  const dek = randomBytes(32);
  const header = randomBytes(64);
  const wrapped = await alpha.wrap({ dek, context: header });
  assert.equal(wrapped.wrapped.length, 60);
  const ok = await alpha.unwrap({
    slot: { method: 'kek', ref: wrapped.ref, wrapped: Buffer.from(wrapped.wrapped) },
    context: header,
  });
  assert.ok(Buffer.from(ok).equals(dek));
  const cases = [
    { name: 'a bit of the ciphertext', at: 20 },
    { name: 'a bit of the IV', at: 0 },
    { name: 'a bit of the tag', at: 59 },
  ];
  for (const c of cases) {
    const bad = Buffer.from(wrapped.wrapped);
    bad[c.at]! ^= 1;
    await rejectsWith(
      alpha.unwrap({ slot: { method: 'kek', ref: wrapped.ref, wrapped: bad }, context: header }),
      'CRYPTO_INTEGRITY',
    );
  }
  const otherHeader = Buffer.from(header);
  otherHeader[0]! ^= 1;
  await rejectsWith(
    alpha.unwrap({
      slot: { method: 'kek', ref: wrapped.ref, wrapped: Buffer.from(wrapped.wrapped) },
      context: otherHeader,
    }),
    'CRYPTO_INTEGRITY',
  );
  await rejectsWith(
    alpha.unwrap({
      slot: { method: 'kek', ref: wrapped.ref, wrapped: Buffer.from(wrapped.wrapped).subarray(0, 59) },
      context: header,
    }),
    'CRYPTO_INTEGRITY',
  );
  // The session that saw the failures still works.
  const again = await alpha.unwrap({
    slot: { method: 'kek', ref: wrapped.ref, wrapped: Buffer.from(wrapped.wrapped) },
    context: header,
  });
  assert.ok(Buffer.from(again).equals(dek));
  seen.push({ dekHex: dek.toString('hex') });
});

test('a sealed value whose wrapped DEK was altered fails CRYPTO_INTEGRITY through openValue', options, async () => {
  // A spy in front of the token records the wrapped DEK, so the test finds it in the envelope
  // without knowing the format's offsets.
  let wrapped: Buffer | undefined;
  const spy: KekProvider = {
    id: alpha.id,
    wrap: async (request) => {
      const result = await alpha.wrap(request);
      wrapped = Buffer.from(result.wrapped);
      return result;
    },
    unwrap: (request) => alpha.unwrap(request),
    status: () => alpha.status(),
  };
  const sealed = await sealValue('tamper me', { scope: 'strict', context, provider: spy });
  const bytes = Buffer.from(sealed.slice('shroud:v1:'.length), 'base64url');
  const at = bytes.indexOf(wrapped!);
  assert.ok(at > 0, 'the wrapped DEK is in the envelope');
  const slotEnd = at + wrapped!.length;
  for (const offset of [0, 30, wrapped!.length - 1]) {
    const bad = Buffer.from(bytes);
    bad[at + offset]! ^= 0x80;
    // A deliberate tamper also fixes the envelope's (unkeyed) corruption check, so the token's tag decides.
    createHash('sha256')
      .update(bad.subarray(0, slotEnd + SLOT_MAC_LEN))
      .digest()
      .copy(bad, slotEnd + SLOT_MAC_LEN, 0, CHECK_LEN);
    await rejectsWith(
      openValue(`shroud:v1:${bad.toString('base64url')}`, { provider: alpha, expected: context }),
      'CRYPTO_INTEGRITY',
    );
  }
});

test("another token's key with the same label and version is refused by its key tag", options, async () => {
  const beta = await open('beta', OTHER_PIN);
  const created = await beta.createKey();
  assert.equal(created.ref.version, 1);
  assert.notEqual(created.ref.keyTag, parseEnvelope(sealedV1).key.keyTag, 'two tokens never share a key tag');
  await rejectsWith(
    openValue(sealedV1, { provider: beta, expected: context }),
    'CRYPTO_UNKNOWN_KEY',
    /another key that is also called version 1/,
  );
});

test('rotate makes version 2 primary: old values still open, new ones use version 2', options, async () => {
  const rotated = await alpha.rotate();
  assert.deepEqual([rotated.ref.version, rotated.state], [2, 'primary']);
  sealedV2 = await sealValue('after rotation', { scope: 'strict', context, provider: alpha });
  assert.equal(parseEnvelope(sealedV2).key.version, 2);
  assert.ok((await openValue(sealedV1, { provider: alpha, expected: context })).plaintext.length > 0);
  assert.equal(
    (await openValue(sealedV2, { provider: alpha, expected: context })).plaintext.toString(),
    'after rotation',
  );
  // Another process (a second provider) sees the same versions and states: they live in the token.
  const other = await open();
  assert.deepEqual(
    (await other.status()).versions.map((v) => [v.ref.version, v.state]),
    [
      [1, 'active'],
      [2, 'primary'],
    ],
  );
});

test('retire: the primary is refused; an active version is retired and still opens', options, async () => {
  await rejectsWith(alpha.retire(2), 'CRYPTO_KEYRING_STATE', /rotate first/);
  await rejectsWith(alpha.shred(1), 'CRYPTO_KEYRING_STATE', /retire it first/);
  await rejectsWith(alpha.retire(9), 'CRYPTO_UNKNOWN_KEY');
  await alpha.retire(1);
  assert.deepEqual(
    (await alpha.status()).versions.map((v) => [v.ref.version, v.state]),
    [
      [1, 'retired'],
      [2, 'primary'],
    ],
  );
  assert.ok((await openValue(sealedV1, { provider: alpha, expected: context })).plaintext.length > 0);
});

test(
  'shred destroys the key object: its values fail CRYPTO_KEY_DESTROYED in every process; others still open',
  options,
  async () => {
    const cache = new DekCache();
    // A cached DEK of version 1 stops serving once this process has read the token again.
    await openValue(sealedV1, { provider: alpha, cache, expected: context });
    const other = await open();
    await other.shred(1);
    await rejectsWith(alpha.shred(1), 'CRYPTO_KEYRING_STATE', /already gone/);
    await rejectsWith(
      openValue(sealedV1, { provider: alpha, cache, expected: context }),
      'CRYPTO_KEY_DESTROYED',
      /shredded/,
    );
    await rejectsWith(openValue(sealedV1, { provider: other, expected: context }), 'CRYPTO_KEY_DESTROYED');
    assert.equal(
      (await openValue(sealedV2, { provider: alpha, expected: context })).plaintext.toString(),
      'after rotation',
    );
    const status = await (await open()).status();
    assert.deepEqual(
      status.versions.map((v) => [v.ref.version, v.state]),
      [
        [1, 'destroyed'],
        [2, 'primary'],
      ],
    );
    // Rotation never reuses a shredded version's number.
    assert.equal((await alpha.rotate()).ref.version, 3);
  },
);

test('a wrong PIN is HSM_LOGIN_FAILED and does not show the PIN', options, async () => {
  // gamma: no login yet in this process; the token checks the PIN.
  await rejectsWith(open('gamma', 'wrong-canary-pin-0000'), 'HSM_LOGIN_FAILED', /CKR_PIN_INCORRECT/);
  // alpha: this process is logged in already (a login is per process and token); the PIN is compared.
  await rejectsWith(open('alpha', 'wrong-canary-pin-0000'), 'HSM_LOGIN_FAILED', /another PIN/);
  const right = await open('gamma', PIN);
  assert.equal((await right.status()).healthy, true);
});

test('a missing token label or module is typed', options, async () => {
  await rejectsWith(open('no-such-token'), 'HSM_TOKEN_NOT_FOUND', /no token "no-such-token"/);
  await rejectsWith(
    openPkcs11Provider({ module: '/nonexistent/libpkcs11.so', token: { label: 'alpha' }, pin: PIN, keyLabel: LABEL }),
    'HSM_MODULE_FAILED',
  );
});

test('sessions are bounded: 40 concurrent wraps on a pool of 2 all complete', options, async () => {
  const small = await open('alpha', PIN, { maxSessions: 2 });
  const header = randomBytes(64);
  const results = await Promise.all(
    Array.from({ length: 40 }, () => small.wrap({ dek: randomBytes(32), context: header })),
  );
  assert.equal(results.length, 40);
  assert.ok(small.sessions <= 2, `at most 2 sessions, saw ${small.sessions}`);
});

test('an unplugged token is a typed error and no crash; it works again when it is back', options, async () => {
  const h = setup();
  const header = randomBytes(64);
  const dek = randomBytes(32);
  const wrapped = await alpha.wrap({ dek, context: header });
  const slot = { method: 'kek' as const, ref: wrapped.ref, wrapped: Buffer.from(wrapped.wrapped) };
  // Calls in flight in the token while it goes: each ends with the DEK or a typed error, and the
  // module is finalised only after they have ended (no crash).
  const inFlight = Array.from({ length: 16 }, () => alpha.unwrap({ slot, context: header }));
  h.unplug();
  try {
    for (const r of await Promise.allSettled(inFlight)) {
      if (r.status === 'fulfilled') assert.ok(Buffer.from(r.value).equals(dek));
      else {
        seen.push(r.reason);
        assert.ok(isShroudError(r.reason) && r.reason.code.startsWith('CRYPTO_PROVIDER_'), String(r.reason));
      }
    }
    for (const attempt of [1, 2]) {
      await assert.rejects(alpha.unwrap({ slot, context: header }), (err: unknown) => {
        seen.push(err);
        assert.ok(isShroudError(err));
        assert.equal(err.code, 'CRYPTO_PROVIDER_UNAVAILABLE', `attempt ${attempt}: ${err.message}`);
        return true;
      });
    }
    const status = await alpha.status();
    assert.equal(status.healthy, false);
    assert.equal(alpha.health().ok, false);
  } finally {
    h.plugBack();
  }
  const back = await alpha.unwrap({ slot, context: header });
  assert.ok(Buffer.from(back).equals(dek));
  assert.equal(alpha.health().ok, true);
});

test('canary: no error message or detail holds the PIN', options, () => {
  assert.ok(seen.length > 10, `errors were collected (${seen.length})`);
  const dekHexes = seen.flatMap((e) => (e && typeof e === 'object' && 'dekHex' in e ? [String(e.dekHex)] : []));
  for (const err of seen) {
    if (!isShroudError(err)) continue;
    const text = `${err.message} ${JSON.stringify(err.details ?? {})} ${String((err as { cause?: unknown }).cause ?? '')}`;
    for (const secret of [PIN, OTHER_PIN, 'wrong-canary-pin-0000', ...dekHexes]) {
      assert.ok(!text.includes(secret), `${err.code} does not leak a secret`);
    }
  }
});
