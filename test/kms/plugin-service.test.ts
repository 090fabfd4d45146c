import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import {
  createKeyring,
  type KekProvider,
  type KeyRef,
  LocalKeyringProvider,
  rotateKeyring,
} from '../../src/crypto/index.js';
import { isShroudError } from '../../src/errors.js';
import { KeyIdHistory } from '../../src/kms/server/key-id-history.js';
import {
  createKmsPluginService,
  decodeFrame,
  encodeFrame,
  encodeFrameHeader,
  kmsKeyId,
} from '../../src/kms/server/index.js';

const REF: KeyRef = { provider: 'local', keyId: 'k1', version: 1, keyTag: 'ab'.repeat(16) };

test('Encrypt: when the primary moves between the snapshot and the wrap, it wraps again and answers the new key_id', async () => {
  const first = createKeyring();
  const provider = new LocalKeyringProvider(first);
  const second = rotateKeyring(first);
  let staleOnce = true;
  // Status still reports version 1 once while the keyring already wraps under version 2.
  const racing: KekProvider = {
    id: provider.id,
    wrap: (r) => provider.wrap(r),
    unwrap: (r) => provider.unwrap(r),
    status: async () => {
      const status = await provider.status();
      if (!staleOnce) return status;
      staleOnce = false;
      provider.reload(second);
      return status;
    },
  };
  const service = createKmsPluginService({ provider: () => racing });
  const encrypted = await service.encrypt({ plaintext: randomBytes(32), uid: 'u' });
  const status = await service.status();
  assert.equal(decodeFrame(encrypted.ciphertext).ref.version, 2);
  assert.equal(encrypted.key_id, status.key_id, 'Encrypt and Status agree');
});

test('Encrypt: a provider that never wraps under the primary it reports is refused, not answered', async () => {
  const provider = new LocalKeyringProvider(createKeyring());
  const liar: KekProvider = {
    id: provider.id,
    wrap: async (r) => ({ ...(await provider.wrap(r)), ref: REF }),
    unwrap: (r) => provider.unwrap(r),
    status: () => provider.status(),
  };
  const service = createKmsPluginService({ provider: () => liar });
  await assert.rejects(service.encrypt({ plaintext: randomBytes(32), uid: 'u' }), (err: unknown) =>
    isShroudError(err, 'CRYPTO_PROVIDER_UNAVAILABLE'),
  );
});

test('Status of an unhealthy provider: its reason, typed, and the last key_id', async () => {
  const provider = new LocalKeyringProvider(createKeyring());
  let healthy = true;
  const flaky: KekProvider = {
    id: provider.id,
    wrap: (r) => provider.wrap(r),
    unwrap: (r) => provider.unwrap(r),
    status: async () => ({ ...(await provider.status()), healthy, message: 'token removed' }),
  };
  const service = createKmsPluginService({ provider: () => flaky });
  const ok = await service.status();
  healthy = false;
  const down = await service.status();
  assert.equal(down.healthz, 'CRYPTO_PROVIDER_UNAVAILABLE: KEK provider "local" is unhealthy: token removed');
  assert.equal(down.key_id, ok.key_id);
});

test('the 1 KiB limits: key_id and ciphertext', async (t) => {
  const cases: { name: string; run: () => unknown }[] = [
    { name: 'a key_id over 1 KiB', run: () => kmsKeyId({ ...REF, keyId: 'k'.repeat(1000) }) },
    {
      name: 'a ciphertext over 1 KiB',
      run: () => encodeFrame(encodeFrameHeader('kek', REF), undefined, Buffer.alloc(1000)),
    },
    {
      name: 'provider annotations that are not domain names',
      run: () => encodeFrame(encodeFrameHeader('kek', REF), { nodot: Buffer.from('1') }, Buffer.alloc(60)),
    },
    { name: 'a key id with a control character', run: () => encodeFrameHeader('kek', { ...REF, keyId: 'a\nb' }) },
  ];
  for (const c of cases) {
    await t.test(c.name, () => {
      assert.throws(c.run, (err: unknown) => isShroudError(err, 'KMS_PLUGIN_KEY_TOO_LARGE'));
    });
  }
  await t.test('a provider whose wrapped DEK does not fit: Encrypt refuses', async () => {
    const provider = new LocalKeyringProvider(createKeyring());
    const big: KekProvider = {
      id: provider.id,
      wrap: async (r) => ({ ...(await provider.wrap(r)), wrapped: Buffer.alloc(1024) }),
      unwrap: (r) => provider.unwrap(r),
      status: () => provider.status(),
    };
    const service = createKmsPluginService({ provider: () => big });
    await assert.rejects(service.encrypt({ plaintext: randomBytes(32), uid: 'u' }), (err: unknown) =>
      isShroudError(err, 'KMS_PLUGIN_KEY_TOO_LARGE'),
    );
  });
  await t.test('the largest frame that fits round-trips', () => {
    const header = encodeFrameHeader('kek', REF);
    const wrapped = Buffer.alloc(1024 - header.length - 4, 1);
    const frame = encodeFrame(header, undefined, wrapped);
    assert.equal(frame.length, 1024);
    assert.deepEqual(decodeFrame(frame).wrapped, wrapped);
    assert.deepEqual(decodeFrame(frame).ref, REF);
  });
});

test('KeyIdHistory: key_ids never go back; a slower call that saw an older primary is not a flip-flop', () => {
  const history = new KeyIdHistory();
  history.observe('a', 1);
  history.observe('b', 3);
  history.observe('a', 2); // began before the call that saw b
  assert.equal(history.latest, 'b');
  history.observe('b', 4);
  assert.throws(
    () => history.observe('a', 5),
    (err: unknown) => isShroudError(err, 'KMS_PLUGIN_KEY_ID_REUSED'),
  );
  assert.equal(history.latest, 'b');
  history.observe('c', 6);
  assert.equal(history.latest, 'c');
});
