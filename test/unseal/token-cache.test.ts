import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { TokenReviewer, TokenReviewResult } from '../../src/kube/index.js';
import { Limiter } from '../../src/unseal/limiter.js';
import { CachingTokenReviewer, tokenExpiry, tokenHash } from '../../src/unseal/index.js';
import { rejectsWithCode } from '../helpers/crypto.js';
import { jwtLike } from '../helpers/fake-apiserver.js';

const OK: TokenReviewResult = {
  authenticated: true,
  audiences: ['shroud'],
  username: 'system:serviceaccount:web:api',
  uid: 'u',
  extra: {},
  error: undefined,
};

/** A reviewer that counts calls and answers `answer` (after `gate`, when given). */
function counting(answer: TokenReviewResult, gate?: Promise<void>): TokenReviewer & { calls: number } {
  const r = {
    server: 'https://fake',
    calls: 0,
    review: async () => {
      r.calls++;
      await gate;
      return answer;
    },
  };
  return r;
}

test('the cache key is the SHA-256 of the token, hex', () => {
  const inner = counting(OK);
  const cache = new CachingTokenReviewer(inner);
  return cache.review('tok-abc').then(() => {
    assert.deepEqual(cache.keys(), [tokenHash('tok-abc')]);
    assert.match(cache.keys()[0]!, /^[0-9a-f]{64}$/);
  });
});

const ttlCases = [
  { name: 'within the TTL: cached', token: 'opaque', advanceMs: 9_999, calls: 1 },
  { name: 'after the TTL: asked again', token: 'opaque', advanceMs: 10_000, calls: 2 },
  { name: "past the token's own exp (5 s away): asked again", token: jwtLike(5), advanceMs: 5_001, calls: 2 },
  { name: "before the token's exp: cached", token: jwtLike(5), advanceMs: 4_000, calls: 1 },
];
for (const c of ttlCases) {
  test(`TTL bounded by the token's expiry: ${c.name}`, async () => {
    let now = Date.now();
    const inner = counting(OK);
    const cache = new CachingTokenReviewer(inner, { ttlMs: 10_000, now: () => now });
    await cache.review(c.token);
    now += c.advanceMs;
    await cache.review(c.token);
    assert.equal(inner.calls, c.calls);
  });
}

test('a token already expired by its exp claim is never cached', async () => {
  const inner = counting(OK);
  const cache = new CachingTokenReviewer(inner);
  const token = jwtLike(-10);
  await cache.review(token);
  await cache.review(token);
  assert.equal(inner.calls, 2);
  assert.equal(tokenExpiry('not-a-jwt'), undefined);
});

test('a not-authenticated answer is not cached', async () => {
  const inner = counting({ ...OK, authenticated: false });
  const cache = new CachingTokenReviewer(inner);
  await cache.review('t');
  await cache.review('t');
  assert.equal(inner.calls, 2);
  assert.deepEqual(cache.keys(), []);
});

test('bounded: the oldest entry goes first', async () => {
  const cache = new CachingTokenReviewer(counting(OK), { maxEntries: 3 });
  for (const t of ['a', 'b', 'c', 'd']) await cache.review(t);
  assert.deepEqual(cache.keys(), ['b', 'c', 'd'].map(tokenHash));
});

test('concurrent reviews of one token share one API call', async () => {
  let open!: () => void;
  const inner = counting(
    OK,
    new Promise<void>((r) => {
      open = r;
    }),
  );
  const cache = new CachingTokenReviewer(inner);
  const all = Promise.all(Array.from({ length: 20 }, () => cache.review('same')));
  open();
  assert.equal((await all).length, 20);
  assert.equal(inner.calls, 1);
});

test('the limiter runs at most maxConcurrent, queues maxQueued, and refuses more with UNSEAL_UNAVAILABLE', async () => {
  const limiter = new Limiter('tests', 2, 1);
  let release!: () => void;
  const gate = new Promise<void>((r) => {
    release = r;
  });
  let peak = 0;
  let running = 0;
  const task = async () => {
    running++;
    peak = Math.max(peak, running);
    await gate;
    running--;
  };
  const accepted = [limiter.run(task), limiter.run(task), limiter.run(task)];
  assert.deepEqual(limiter.load(), { running: 2, queued: 1 });
  await rejectsWithCode(limiter.run(task), 'UNSEAL_UNAVAILABLE');
  release();
  await Promise.all(accepted);
  assert.equal(peak, 2);
  assert.deepEqual(limiter.load(), { running: 0, queued: 0 });
});
