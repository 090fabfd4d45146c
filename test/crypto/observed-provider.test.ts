import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import {
  callProvider,
  createKeyring,
  type KekProvider,
  LocalKeyringProvider,
  observeProvider,
  openValue,
  sealValue,
} from '../../src/crypto/index.js';
import { ShroudError } from '../../src/errors.js';

type Told = [string, string, string | undefined];

function never(id: string): KekProvider {
  return {
    id,
    wrap: () => new Promise(() => undefined),
    unwrap: () => new Promise(() => undefined),
    status: () => Promise.reject(new ShroudError('CRYPTO_PROVIDER_UNAVAILABLE', 'down')),
  };
}

test('wrap, unwrap and status are each reported once, with the provider id and the error code', async () => {
  const told: Told[] = [];
  const local = new LocalKeyringProvider(createKeyring());
  const provider = observeProvider(local, (...args) => told.push(args));
  assert.equal(provider.id, local.id);
  assert.equal(typeof provider.keyGeneration, 'function', 'the key check passes through');
  const context = { namespace: 'ns', serviceAccount: 'sa', name: 'cm', key: 'k' };
  const sealed = await sealValue('plain', { scope: 'strict', context, provider });
  const opened = await openValue(sealed, { provider, expected: context });
  assert.equal(opened.plaintext.toString(), 'plain');
  await provider.status();
  assert.deepEqual(told, [
    [local.id, 'wrap', undefined],
    [local.id, 'unwrap', undefined],
    [local.id, 'status', undefined],
  ]);
});

test('failures: a typed error keeps its code; a timeout imposed by callProvider is reported when it fires', async () => {
  const cases = [
    {
      name: 'typed error',
      call: (p: KekProvider) => callProvider(p.id, (signal) => p.status({ signal })),
      expected: ['slow', 'status', 'CRYPTO_PROVIDER_UNAVAILABLE'] as Told,
    },
    {
      name: 'timeout',
      call: (p: KekProvider) =>
        callProvider(p.id, (signal) => p.wrap({ dek: new Uint8Array(32), context: new Uint8Array(64), signal }), {
          timeoutMs: 10,
        }),
      expected: ['slow', 'wrap', 'CRYPTO_PROVIDER_TIMEOUT'] as Told,
    },
  ];
  for (const c of cases) {
    const told: Told[] = [];
    const provider = observeProvider(never('slow'), (...args) => told.push(args));
    await assert.rejects(c.call(provider));
    assert.deepEqual(told, [c.expected], c.name);
  }
});
