import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import {
  createKeyring,
  DekCache,
  LocalKeyringProvider,
  openValue,
  rotateKeyring,
  sealValue,
  type KekProvider,
} from '../../src/crypto/index.js';
import { ShroudError } from '../../src/errors.js';
import { deriveKeys } from '../../src/crypto/key-schedule.js';
import { countingProvider } from '../helpers/counting-provider.js';
import { rejectsWithCode } from '../helpers/crypto.js';

const keyring = createKeyring();
const seal = (text: string) =>
  sealValue(text, { scope: 'cluster', context: {}, provider: new LocalKeyringProvider(keyring) });

test('a cached value is opened without calling the provider again', async () => {
  const provider = countingProvider(new LocalKeyringProvider(keyring));
  const cache = new DekCache();
  const sealed = await seal('x');
  for (let i = 0; i < 5; i++)
    assert.equal((await openValue(sealed, { provider, expected: {}, cache })).plaintext.toString(), 'x');
  assert.equal(provider.unwraps, 1);
  await openValue(sealed, { provider, expected: {} });
  assert.equal(provider.unwraps, 2, 'without a cache every open calls the provider');
});

test('the cache is bounded and evicts the least recently used entry', async () => {
  const provider = countingProvider(new LocalKeyringProvider(keyring));
  const cache = new DekCache({ maxEntries: 3 });
  const values = await Promise.all(['a', 'b', 'c', 'd'].map(seal));
  for (const v of values.slice(0, 3)) await openValue(v, { provider, expected: {}, cache });
  await openValue(values[0]!, { provider, expected: {}, cache }); // a is now most recent; b is oldest
  assert.equal(provider.unwraps, 3);
  await openValue(values[3]!, { provider, expected: {}, cache }); // evicts b
  assert.equal(cache.size, 3);
  await openValue(values[0]!, { provider, expected: {}, cache });
  await openValue(values[2]!, { provider, expected: {}, cache });
  assert.equal(provider.unwraps, 4, 'a, c and d were still cached');
  await openValue(values[1]!, { provider, expected: {}, cache });
  assert.equal(provider.unwraps, 5, 'b had been evicted');
  assert.equal(cache.size, 3);
});

test('entries expire after the TTL', async () => {
  let now = 1_000;
  const provider = countingProvider(new LocalKeyringProvider(keyring));
  const cache = new DekCache({ ttlMs: 100, now: () => now });
  const sealed = await seal('x');
  await openValue(sealed, { provider, expected: {}, cache });
  now += 99;
  await openValue(sealed, { provider, expected: {}, cache });
  assert.equal(provider.unwraps, 1);
  now += 1;
  await openValue(sealed, { provider, expected: {}, cache });
  assert.equal(provider.unwraps, 2, 'expired at exactly ttlMs');
});

test('evicted, expired, evictKey-ed and cleared entries have their key buffers zeroed', () => {
  let now = 0;
  const cache = new DekCache({ maxEntries: 2, ttlMs: 10, now: () => now });
  const ref = { provider: 'local', keyId: 'k', version: 1, keyTag: '0'.repeat(32) };
  const other = { ...ref, version: 2 };
  const all = [1, 2, 3, 4, 5].map((i) => deriveKeys(Buffer.alloc(32, i)));
  const zeroed = (i: number) =>
    [all[i]!.encKey, all[i]!.commitment, all[i]!.scopeKey, all[i]!.slotKey].every((b) => b.every((x) => x === 0));
  cache.set('d1', ref, all[0]!, 'g');
  cache.set('d2', other, all[1]!, 'g');
  cache.set('d3', ref, all[2]!, 'g'); // evicts d1
  assert.deepEqual([zeroed(0), zeroed(1), zeroed(2)], [true, false, false]);
  assert.equal(cache.evictKey(other), 1);
  assert.equal(zeroed(1), true);
  now = 10;
  assert.equal(cache.get('d3'), undefined);
  assert.equal(zeroed(2), true);
  cache.set('d4', ref, all[3]!, 'g');
  cache.clear();
  assert.equal(zeroed(3), true);
  assert.equal(cache.size, 0);
});

test('a wrong scope does not poison the cache', async () => {
  const provider = countingProvider(new LocalKeyringProvider(keyring));
  const cache = new DekCache();
  const ctx = { namespace: 'n', serviceAccount: 's', name: 'c', key: 'k' };
  const sealed = await sealValue('x', { scope: 'strict', context: ctx, provider });
  await assert.rejects(openValue(sealed, { provider, expected: { ...ctx, key: 'other' }, cache }));
  assert.equal((await openValue(sealed, { provider, expected: ctx, cache })).plaintext.toString(), 'x');
  await assert.rejects(openValue(sealed, { provider, expected: { ...ctx, key: 'other' }, cache }), {
    code: 'CRYPTO_SCOPE_MISMATCH',
  });
  await assert.rejects(
    openValue(sealed, { provider, expected: { namespace: 'n', serviceAccount: 's', name: 'c' }, cache }),
    { code: 'CRYPTO_SCOPE_INVALID' },
  );
  const hit = await openValue(sealed, { provider, expected: ctx, cache });
  assert.deepEqual([hit.plaintext.toString(), hit.key.keyId, provider.unwraps], ['x', keyring.keyringId, 2]);
});

test('DekCache rejects nonsense limits', () => {
  assert.throws(() => new DekCache({ maxEntries: 0 }), RangeError);
  assert.throws(() => new DekCache({ ttlMs: 0 }), RangeError);
});

/** A keyring whose version 1 is sealed to and then demoted (so it can be retired and shredded), a value under it, and a cache holding its keys. */
async function cachedUnderVersion1(options: { register?: boolean } = {}) {
  const first = createKeyring();
  const sealed = await sealValue('x', { scope: 'cluster', context: {}, provider: new LocalKeyringProvider(first) });
  const cache = new DekCache();
  const local = new LocalKeyringProvider(rotateKeyring(first), { caches: options.register ? [cache] : [] });
  const provider = countingProvider(local);
  assert.equal((await openValue(sealed, { provider, expected: {}, cache })).plaintext.toString(), 'x');
  assert.equal((await openValue(sealed, { provider, expected: {}, cache })).plaintext.toString(), 'x');
  assert.equal(provider.unwraps, 1, 'the second open was a cache hit');
  return { sealed, cache, local, provider };
}

const refusing: KekProvider = {
  id: 'local',
  wrap: async () => {
    throw new ShroudError('CRYPTO_PROVIDER_UNAVAILABLE', 'refused');
  },
  unwrap: async () => {
    throw new ShroudError('CRYPTO_PROVIDER_UNAVAILABLE', 'refused');
  },
  status: async () => ({ provider: 'local', healthy: false, versions: [] }),
};

const keyStateCases: {
  name: string;
  code: 'CRYPTO_KEY_DESTROYED' | 'CRYPTO_UNKNOWN_KEY' | 'CRYPTO_PROVIDER_UNAVAILABLE';
  after: (c: Awaited<ReturnType<typeof cachedUnderVersion1>>) => KekProvider;
}[] = [
  {
    name: 'after its version is shredded (same provider, cache not registered with it)',
    code: 'CRYPTO_KEY_DESTROYED',
    after: ({ local, provider }) => {
      local.retire(1);
      local.shred(1);
      return provider;
    },
  },
  {
    name: 'by a new provider over the shredded keyring',
    code: 'CRYPTO_KEY_DESTROYED',
    after: ({ local }) => {
      local.retire(1);
      return new LocalKeyringProvider(local.shred(1));
    },
  },
  {
    name: 'after the provider reloads a shredded keyring',
    code: 'CRYPTO_KEY_DESTROYED',
    after: ({ local, provider }) => {
      const shredded = new LocalKeyringProvider(local.keyring);
      shredded.retire(1);
      local.reload(shredded.shred(1));
      return provider;
    },
  },
  {
    name: 'with an unrelated keyring',
    code: 'CRYPTO_UNKNOWN_KEY',
    after: () => new LocalKeyringProvider(createKeyring()),
  },
  {
    name: 'with a provider of another id',
    code: 'CRYPTO_UNKNOWN_KEY',
    after: ({ local }) => ({ ...countingProvider(local), id: 'kms' }),
  },
  { name: 'with a provider that refuses everything', code: 'CRYPTO_PROVIDER_UNAVAILABLE', after: () => refusing },
];

for (const c of keyStateCases) {
  test(`a cached value does not open ${c.name}: ${c.code}`, async () => {
    const setup = await cachedUnderVersion1();
    const provider = c.after(setup);
    await rejectsWithCode(openValue(setup.sealed, { provider, expected: {}, cache: setup.cache }), c.code);
  });
}

test('retire and shred evict the version from a registered cache; reload evicts the old keyring', async () => {
  const a = await cachedUnderVersion1({ register: true });
  a.local.retire(1);
  assert.equal(a.cache.size, 0, 'evicted on retire');
  assert.equal(
    (await openValue(a.sealed, { provider: a.provider, expected: {}, cache: a.cache })).plaintext.toString(),
    'x',
  );
  assert.equal(a.provider.unwraps, 2, 'a retired version still opens, through the provider');
  assert.equal(a.cache.size, 1);
  a.local.shred(1);
  assert.equal(a.cache.size, 0, 'evicted on shred');
  const b = await cachedUnderVersion1({ register: true });
  b.local.reload(rotateKeyring(b.local.keyring));
  assert.equal(b.cache.size, 0, 'evicted on reload');
  assert.equal(
    (await openValue(b.sealed, { provider: b.provider, expected: {}, cache: b.cache })).plaintext.toString(),
    'x',
  );
  await openValue(b.sealed, { provider: b.provider, expected: {}, cache: b.cache });
  assert.equal(b.provider.unwraps, 2, 'one unwrap under the reloaded keyring, then hits again');
});

test('providers over the same keyring value share cache entries; a provider without a key check hits only its own', async () => {
  const sealed = await seal('x');
  const cache = new DekCache();
  const one = countingProvider(new LocalKeyringProvider(keyring));
  const two = countingProvider(new LocalKeyringProvider(keyring));
  await openValue(sealed, { provider: one, expected: {}, cache });
  await openValue(sealed, { provider: two, expected: {}, cache });
  assert.deepEqual([one.unwraps, two.unwraps], [1, 0]);
  const bare = (p: KekProvider): KekProvider & { unwraps: number } => {
    const c = countingProvider(p);
    delete c.keyGeneration;
    return c;
  };
  const three = bare(new LocalKeyringProvider(keyring));
  const four = bare(new LocalKeyringProvider(keyring));
  await openValue(sealed, { provider: three, expected: {}, cache });
  await openValue(sealed, { provider: three, expected: {}, cache });
  await openValue(sealed, { provider: four, expected: {}, cache });
  assert.deepEqual([three.unwraps, four.unwraps], [1, 1]);
});
