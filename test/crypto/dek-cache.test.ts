import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { createKeyring, DekCache, LocalKeyringProvider, openValue, sealValue } from '../../src/crypto/index.js';
import { deriveKeys } from '../../src/crypto/key-schedule.js';
import { countingProvider } from '../helpers/counting-provider.js';

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
  const ref = { provider: 'local', keyId: 'k', version: 1 };
  const other = { ...ref, version: 2 };
  const all = [1, 2, 3, 4, 5].map((i) => deriveKeys(Buffer.alloc(32, i)));
  const zeroed = (i: number) =>
    [all[i]!.encKey, all[i]!.commitment, all[i]!.scopeKey].every((b) => b.every((x) => x === 0));
  cache.set('d1', ref, all[0]!);
  cache.set('d2', other, all[1]!);
  cache.set('d3', ref, all[2]!); // evicts d1
  assert.deepEqual([zeroed(0), zeroed(1), zeroed(2)], [true, false, false]);
  assert.equal(cache.evictKey(other), 1);
  assert.equal(zeroed(1), true);
  now = 10;
  assert.equal(cache.get('d3'), undefined);
  assert.equal(zeroed(2), true);
  cache.set('d4', ref, all[3]!);
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
