import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { ShroudError } from '../../src/errors.js';
import {
  callProvider,
  createKeyring,
  LocalKeyringProvider,
  openValue,
  sealValue,
  type KekProvider,
} from '../../src/crypto/index.js';
import { rejectsWithCode } from '../helpers/crypto.js';

const keyring = createKeyring();
const local = new LocalKeyringProvider(keyring);

function provider(overrides: Partial<KekProvider>): KekProvider {
  return {
    id: 'local',
    wrap: (r) => local.wrap(r),
    unwrap: (r) => local.unwrap(r),
    status: () => local.status(),
    ...overrides,
  };
}

const never = () => new Promise<never>(() => undefined);

test('a provider that never answers times out with CRYPTO_PROVIDER_TIMEOUT', async () => {
  await rejectsWithCode(callProvider('hsm', never, { timeoutMs: 5 }), 'CRYPTO_PROVIDER_TIMEOUT');
  const sealed = await sealValue('x', { scope: 'cluster', context: {}, provider: local });
  await rejectsWithCode(
    openValue(sealed, { provider: provider({ unwrap: never }), expected: {}, timeoutMs: 5 }),
    'CRYPTO_PROVIDER_TIMEOUT',
  );
  await rejectsWithCode(
    sealValue('x', { scope: 'cluster', context: {}, provider: provider({ wrap: never }), timeoutMs: 5 }),
    'CRYPTO_PROVIDER_TIMEOUT',
  );
});

test('the provider sees the abort signal when the timeout fires', async () => {
  let seen: AbortSignal | undefined;
  await rejectsWithCode(
    callProvider(
      'kms',
      (signal) => {
        seen = signal;
        return never();
      },
      { timeoutMs: 5 },
    ),
    'CRYPTO_PROVIDER_TIMEOUT',
  );
  assert.equal(seen?.aborted, true);
});

test('the caller can cancel: CRYPTO_PROVIDER_UNAVAILABLE, also when already aborted', async () => {
  const controller = new AbortController();
  const pending = callProvider('kms', never, { signal: controller.signal });
  controller.abort();
  await rejectsWithCode(pending, 'CRYPTO_PROVIDER_UNAVAILABLE');
  await rejectsWithCode(callProvider('kms', never, { signal: controller.signal }), 'CRYPTO_PROVIDER_UNAVAILABLE');
});

test('untyped provider failures become CRYPTO_PROVIDER_UNAVAILABLE with the cause kept', async () => {
  const boom = new Error('socket hang up');
  const err = await rejectsWithCode(
    callProvider('kms', async () => {
      throw boom;
    }),
    'CRYPTO_PROVIDER_UNAVAILABLE',
  );
  assert.equal(err.cause, boom);
  await rejectsWithCode(
    callProvider('kms', () => {
      throw boom;
    }),
    'CRYPTO_PROVIDER_UNAVAILABLE',
  );
  await rejectsWithCode(
    callProvider('kms', async () => {
      throw new ShroudError('CONFIG_INVALID', 'x');
    }),
    'CRYPTO_PROVIDER_UNAVAILABLE',
  );
});

test('typed provider errors pass through unchanged', async () => {
  for (const code of ['CRYPTO_KEY_DESTROYED', 'CRYPTO_UNKNOWN_KEY', 'CRYPTO_INTEGRITY'] as const) {
    await rejectsWithCode(
      callProvider('kms', async () => {
        throw new ShroudError(code, 'typed');
      }),
      code,
    );
  }
});

test('a late rejection after a timeout does not escape as an unhandled rejection', async () => {
  let unhandled = 0;
  const onUnhandled = () => unhandled++;
  process.on('unhandledRejection', onUnhandled);
  try {
    await rejectsWithCode(
      callProvider('kms', () => new Promise((_, reject) => setTimeout(() => reject(new Error('late')), 20)), {
        timeoutMs: 1,
      }),
      'CRYPTO_PROVIDER_TIMEOUT',
    );
    await new Promise((resolve) => setTimeout(resolve, 40));
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
  assert.equal(unhandled, 0);
});

test('a provider returning a DEK of the wrong size or the wrong DEK is CRYPTO_INTEGRITY', async () => {
  const sealed = await sealValue('x', { scope: 'cluster', context: {}, provider: local });
  await rejectsWithCode(
    openValue(sealed, { provider: provider({ unwrap: async () => new Uint8Array(16) }), expected: {} }),
    'CRYPTO_INTEGRITY',
  );
  await rejectsWithCode(
    openValue(sealed, { provider: provider({ unwrap: async () => new Uint8Array(32) }), expected: {} }),
    'CRYPTO_INTEGRITY',
  );
});

test('a value sealed by another provider id is CRYPTO_UNKNOWN_KEY without calling this one', async () => {
  const sealed = await sealValue('x', { scope: 'cluster', context: {}, provider: local });
  let called = false;
  const hsm = provider({
    id: 'pkcs11',
    unwrap: async () => {
      called = true;
      return new Uint8Array(32);
    },
  });
  await rejectsWithCode(openValue(sealed, { provider: hsm, expected: {} }), 'CRYPTO_UNKNOWN_KEY');
  assert.equal(called, false);
});

test('a provider answering a wrap for another provider id is refused', async () => {
  const liar = provider({ id: 'pkcs11' });
  await rejectsWithCode(
    sealValue('x', { scope: 'cluster', context: {}, provider: liar }),
    'CRYPTO_PROVIDER_UNAVAILABLE',
  );
});

test('the local provider reports healthy with its versions and primary', async () => {
  const status = await local.status();
  assert.deepEqual(status, {
    provider: 'local',
    healthy: true,
    primary: { provider: 'local', keyId: keyring.keyringId, version: 1, keyTag: keyring.versions[0]!.tag },
    versions: [
      {
        ref: { provider: 'local', keyId: keyring.keyringId, version: 1, keyTag: keyring.versions[0]!.tag },
        state: 'primary',
        createdAt: keyring.createdAt,
      },
    ],
  });
});
