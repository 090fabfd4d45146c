/**
 * roles/kek-provider.ts: the settings' choice of provider, and openKekProvider's pkcs11 handle
 * against a real SoftHSM2 token: its /readyz check follows the token (unplugged: not ready, the
 * DEK cache still serving values already opened; back: ready), and close() releases it.
 */
import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { DekCache, openValue, sealValue } from '../../src/crypto/index.js';
import { isShroudError } from '../../src/errors.js';
import { kekChoiceFrom, type OpenedKekProvider, openKekProvider } from '../../src/roles/index.js';
import { tokenSelectorOf } from '../../src/roles/kek-provider.js';
import { requireSoftHsm, softHsmTestOptions } from '../helpers/softhsm.js';
import { tempDir } from '../helpers/temp-dir.js';

const PIN = 'canary-choice-pin-c41f';
const base = {
  kekProvider: 'pkcs11',
  keyringPath: '.shroud/keyring.json',
  pkcs11Module: '/opt/hsm/lib.so',
  pkcs11Token: 'prod',
  pkcs11PinFile: 'pin',
  pkcs11KeyLabel: 'shroud-kek',
};

const choices = [
  {
    name: 'local: the keyring path, resolved',
    values: { ...base, kekProvider: 'local' },
    env: {},
    want: { kind: 'local', keyringPath: '/work/.shroud/keyring.json' },
  },
  {
    name: 'pkcs11 with a PIN file',
    values: base,
    env: {},
    want: {
      kind: 'pkcs11',
      module: '/opt/hsm/lib.so',
      token: 'prod',
      pin: { file: '/work/pin' },
      keyLabel: 'shroud-kek',
    },
  },
  {
    name: 'pkcs11 with the PIN in SHROUD_PKCS11_PIN',
    values: { ...base, pkcs11PinFile: undefined },
    env: { SHROUD_PKCS11_PIN: PIN },
    want: {
      kind: 'pkcs11',
      module: '/opt/hsm/lib.so',
      token: 'prod',
      pin: { env: 'SHROUD_PKCS11_PIN' },
      keyLabel: 'shroud-kek',
    },
  },
  {
    name: 'kms: the socket resolved, the call timeout carried',
    values: { ...base, kekProvider: 'kms', kmsSocket: 'run/kms.sock', kmsTimeoutMs: 1500 },
    env: {},
    want: { kind: 'kms', socket: '/work/run/kms.sock', timeoutMs: 1500 },
  },
];
for (const c of choices) {
  test(`kekChoiceFrom: ${c.name}`, () => {
    assert.deepEqual(kekChoiceFrom(c.values, '/work', c.env), c.want);
  });
}

test('kekChoiceFrom: kms without a socket names --kms-socket', () => {
  assert.throws(
    () => kekChoiceFrom({ ...base, kekProvider: 'kms', kmsSocket: undefined }, '/work', {}),
    (err: unknown) =>
      isShroudError(err) &&
      err.code === 'CONFIG_INVALID' &&
      /--kms-socket PATH \(SHROUD_KMS_SOCKET\)/.test(err.message),
  );
});

test('kekChoiceFrom: pkcs11 without module, token and PIN names all three; the PIN value is never in a choice', () => {
  assert.throws(
    () =>
      kekChoiceFrom(
        { ...base, pkcs11Module: undefined, pkcs11Token: undefined, pkcs11PinFile: undefined },
        '/work',
        {},
      ),
    (err: unknown) =>
      isShroudError(err) &&
      err.code === 'CONFIG_INVALID' &&
      /--pkcs11-module FILE.*--pkcs11-token LABEL.*SHROUD_PKCS11_PIN/.test(err.message),
  );
  const choice = kekChoiceFrom({ ...base, pkcs11PinFile: undefined }, '/work', { SHROUD_PKCS11_PIN: PIN });
  assert.ok(!JSON.stringify(choice).includes(PIN));
});

for (const [text, want] of [
  ['prod', { label: 'prod' }],
  ['slot:7', { slotId: 7n }],
  ['slot:0x44b7314e', { slotId: 0x44b7314en }],
  ['slot:x', { label: 'slot:x' }],
] as const) {
  test(`tokenSelectorOf(${text})`, () => {
    assert.deepEqual(tokenSelectorOf(text), want);
  });
}

const options = softHsmTestOptions();
let opened: OpenedKekProvider | undefined;
after(async () => opened?.close());

test(
  'openKekProvider pkcs11: /readyz follows the token; the DEK cache carries reads while it is away',
  options,
  async () => {
    const hsm = requireSoftHsm();
    hsm.initToken('choice', PIN);
    const dir = tempDir('shroud-choice-');
    writeFileSync(join(dir, 'pin'), `${PIN}\n`);
    const cache = new DekCache();
    const choice = kekChoiceFrom(
      { ...base, pkcs11Module: hsm.module, pkcs11Token: 'choice', pkcs11PinFile: 'pin' },
      dir,
      {},
    );
    // No key yet: open works, but it is not ready.
    opened = await openKekProvider(choice, { cwd: dir, env: {}, caches: [cache], probeIntervalMs: 30 });
    assert.equal(opened.readinessName, 'kek');
    assert.equal(opened.readiness().ok, false);
    await opened.pkcs11!.createKey();
    const ready = async (want: boolean) => {
      for (let i = 0; i < 200 && opened!.readiness().ok !== want; i++) await sleep(20);
      return opened!.readiness();
    };
    assert.equal((await ready(true)).ok, true);
    assert.equal(opened.readiness().primaryVersion, 1);
    const context = { namespace: 'shop', serviceAccount: 'web', name: 'web-secrets', key: 'API_KEY' };
    const sealed = await sealValue('carried by the cache', { scope: 'strict', context, provider: opened.provider });
    await openValue(sealed, { provider: opened.provider, cache, expected: context });
    hsm.unplug();
    try {
      const down = await ready(false);
      assert.equal(down.ok, false);
      assert.match(String(down.message), /CRYPTO_PROVIDER_UNAVAILABLE/);
      const fromCache = await openValue(sealed, { provider: opened.provider, cache, expected: context });
      assert.equal(fromCache.plaintext.toString(), 'carried by the cache');
      await assert.rejects(
        sealValue('needs the token', { scope: 'strict', context, provider: opened.provider }),
        (err: unknown) => isShroudError(err) && err.code === 'CRYPTO_PROVIDER_UNAVAILABLE',
      );
    } finally {
      hsm.plugBack();
    }
    assert.equal((await ready(true)).ok, true);
    assert.ok(!JSON.stringify(opened.readiness()).includes(PIN));
  },
);
