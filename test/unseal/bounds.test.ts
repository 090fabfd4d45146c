/**
 * The unseal service's bounds over HTTPS, with a stub TokenReviewer that answers when the test
 * says so (no timing): concurrency over the limit is a 503 at once, a KEK provider that never
 * answers is a 503 after its timeout.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createKeyring, DekCache, type KekProvider, LocalKeyringProvider, sealValue } from '../../src/crypto/index.js';
import type { TokenReviewer, TokenReviewResult } from '../../src/kube/index.js';
import { DEFAULT_CERT_NAMES, generateCertBundle, writeCertFiles } from '../../src/tls/index.js';
import { createUnsealService, type RunningUnsealServer, startUnsealServer } from '../../src/unseal/index.js';
import { podToken } from '../helpers/fake-apiserver.js';
import { httpsCall } from '../helpers/https.js';
import { memoryLogger } from '../helpers/logs.js';
import { tempDir } from '../helpers/temp-dir.js';
import { unsealCall } from '../helpers/unseal-client.js';

const WEB = { namespace: 'web', serviceAccount: 'api' };
const CANARY = 'canary-bounds-9e1f-do-not-log';
const claims = podToken(WEB);
const REVIEW: TokenReviewResult = {
  authenticated: true,
  audiences: ['shroud'],
  username: claims.username,
  uid: claims.uid,
  extra: claims.extra ?? {},
  error: undefined,
};

/** A reviewer whose answers wait for `release()`. */
const held = {
  calls: 0,
  waiting: [] as (() => void)[],
  release() {
    for (const go of this.waiting.splice(0)) go();
  },
};
const reviewer: TokenReviewer = {
  server: 'stub',
  review: async () => {
    held.calls++;
    await new Promise<void>((go) => held.waiting.push(go));
    return REVIEW;
  },
};

const keyring = createKeyring();
const local = new LocalKeyringProvider(keyring);
/** Unwraps through `local`, or never (until the caller's signal aborts) while `hang` is set. */
let hang = false;
const provider: KekProvider = {
  id: local.id,
  wrap: (r) => local.wrap(r),
  unwrap: (r) =>
    hang
      ? new Promise((_, fail) => r.signal?.addEventListener('abort', () => fail(r.signal?.reason), { once: true }))
      : local.unwrap(r),
  status: () => local.status(),
  keyGeneration: (ref) => local.keyGeneration(ref),
};

const dir = tempDir('shroud-unseal-bounds-');
const logs = memoryLogger('info');
let server: RunningUnsealServer;
let ca: string;
let value: string;

before(async () => {
  await writeCertFiles(dir, generateCertBundle({ names: DEFAULT_CERT_NAMES, days: 2 }), { force: false });
  ca = readFileSync(join(dir, 'ca.crt'), 'utf8');
  value = await sealValue(CANARY, { scope: 'strict', context: { ...WEB, name: 'cm', key: 'k' }, provider: local });
  const service = createUnsealService({
    reviewer,
    provider: () => provider,
    dekCache: new DekCache(),
    logger: logs.logger,
    limits: { maxTokenReviews: 1, maxQueued: 0, providerTimeoutMs: 200, retryAfterSeconds: 1 },
    tokenCache: { ttlMs: 0 },
  });
  server = await startUnsealServer({
    host: '127.0.0.1',
    port: 0,
    certDir: dir,
    router: service.router,
    logger: logs.logger,
    readiness: { unseal: service.readiness },
  });
});
after(() => server.shutdown(1000));

const body = () => ({ items: [{ configMap: 'cm', key: 'k', value }] });

test('over the TokenReview bound (1 running, none waiting): 503 busy at once; the first call still succeeds', async () => {
  const first = unsealCall(server.port, ca, 'token-one', body());
  for (let i = 0; i < 200 && held.calls === 0; i++) await sleep(10);
  assert.equal(held.calls, 1, 'the first review is in flight');
  const second = await unsealCall(server.port, ca, 'token-two', body());
  assert.equal(second.status, 503);
  assert.equal(second.retryAfter, '1');
  assert.match(second.json.error?.message ?? '', /busy/);
  assert.equal(held.calls, 1, 'no second review was sent');
  held.release();
  const r = await first;
  assert.equal(r.status, 200, r.body);
  assert.equal(Buffer.from(r.json.items![0]!.value!, 'base64').toString(), CANARY);
});

test('a KEK provider that never answers: 503 after its timeout, CRYPTO_PROVIDER_TIMEOUT in the audit line', async () => {
  // A value of its own: the first test's is in the DEK cache and would not reach the provider.
  const fresh = await sealValue(CANARY, {
    scope: 'strict',
    context: { ...WEB, name: 'cm', key: 'k' },
    provider: local,
  });
  hang = true;
  try {
    const call = unsealCall(server.port, ca, 'token-three', { items: [{ configMap: 'cm', key: 'k', value: fresh }] });
    for (let i = 0; i < 200 && held.waiting.length === 0; i++) await sleep(10);
    held.release();
    const r = await call;
    assert.equal(r.status, 503, r.body);
    assert.ok(!r.body.includes(CANARY));
    const line = logs
      .lines()
      .filter((l) => l.msg === 'unseal')
      .at(-1)!;
    assert.match(String(line.reason), /^CRYPTO_PROVIDER_TIMEOUT: /);
  } finally {
    hang = false;
  }
});

test('an unknown path on the unseal server is a 404 naming the endpoints', async () => {
  const r = await httpsCall(server.port, ca, '/validate', { body: {} });
  assert.equal(r.status, 404);
  assert.match(r.body, /POST \/v1\/unseal/);
});

test('no log line holds the plaintext or a token', () => {
  const text = logs.text();
  for (const secret of [CANARY, 'token-one', 'token-two', 'token-three']) assert.ok(!text.includes(secret), secret);
});
