/**
 * The unseal service end to end over HTTPS: a fake kube-apiserver answers TokenReviews through
 * @kubernetes/client-node, values are sealed with the crypto library (strict scope), and each
 * call is checked for its status, its body (nothing decrypted on refusal) and its audit line.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createKeyring, DekCache, type KekProvider, LocalKeyringProvider, sealValue } from '../../src/crypto/index.js';
import { ShroudError } from '../../src/errors.js';
import { createTokenReviewClient } from '../../src/kube/index.js';
import { DEFAULT_CERT_NAMES, generateCertBundle, writeCertFiles } from '../../src/tls/index.js';
import {
  createUnsealService,
  type RunningUnsealServer,
  startUnsealServer,
  tokenHash,
  type UnsealService,
} from '../../src/unseal/index.js';
import { type FakeApiServer, jwtLike, legacyToken, podToken, startFakeApiServer } from '../helpers/fake-apiserver.js';
import { memoryLogger } from '../helpers/logs.js';
import { tempDir } from '../helpers/temp-dir.js';
import { type UnsealAnswer, unsealCall } from '../helpers/unseal-client.js';

const CANARY_API = 'canary-api-key-7f3a9c1e-do-not-log';
const CANARY_DB = 'canary-db-pass-51b0d2aa-do-not-log';
const WEB = { namespace: 'web', serviceAccount: 'api' };

const TOKENS = {
  good: jwtLike(600),
  otherSa: jwtLike(600),
  otherNs: jwtLike(600),
  legacy: 'legacy-secret-token-0123456789abcdef',
  otherAudience: jwtLike(600),
  noAudienceEcho: jwtLike(600),
  expired: jwtLike(-60),
  notSa: jwtLike(600),
  noPod: jwtLike(600),
  cacheProbe: jwtLike(600),
};

describe('POST /v1/unseal', () => {
  const dir = tempDir('shroud-unseal-');
  const logs = memoryLogger('info');
  const keyring = createKeyring();
  const local = new LocalKeyringProvider(keyring);
  let providerDown = false;
  const provider: KekProvider = {
    id: local.id,
    wrap: (r) => local.wrap(r),
    unwrap: async (r) => {
      if (providerDown) throw new ShroudError('CRYPTO_PROVIDER_UNAVAILABLE', 'test: the HSM is unreachable');
      return local.unwrap(r);
    },
    status: () => local.status(),
    keyGeneration: (ref) => local.keyGeneration(ref),
  };
  let api: FakeApiServer;
  let service: UnsealService;
  let server: RunningUnsealServer;
  let ca: string;
  const sealed: Record<string, string> = {};

  const call = (token: string | undefined, body: unknown, options?: Parameters<typeof unsealCall>[4]) =>
    unsealCall(server.port, ca, token, body, options);
  const auditLines = () => logs.lines().filter((l) => l.msg === 'unseal');

  before(async () => {
    await writeCertFiles(dir, generateCertBundle({ names: DEFAULT_CERT_NAMES, days: 2 }), { force: false });
    ca = readFileSync(join(dir, 'ca.crt'), 'utf8');
    api = await startFakeApiServer(dir);
    api.tokens.set(TOKENS.good, podToken({ ...WEB, pod: 'api-5d8f-x2k9q', node: 'node-7' }));
    api.tokens.set(TOKENS.otherSa, podToken({ namespace: 'web', serviceAccount: 'worker' }));
    api.tokens.set(TOKENS.otherNs, podToken({ namespace: 'shop', serviceAccount: 'api' }));
    api.tokens.set(TOKENS.legacy, legacyToken('web', 'api'));
    api.tokens.set(TOKENS.otherAudience, podToken({ ...WEB, audiences: ['vault'] }));
    api.tokens.set(TOKENS.noAudienceEcho, { ...podToken(WEB), statusAudiences: [] });
    api.tokens.set(TOKENS.expired, { authenticated: false, error: '[invalid bearer token, token has expired]' });
    api.tokens.set(TOKENS.notSa, { authenticated: true, audiences: ['shroud'], username: 'alice', uid: 'u1' });
    const noPod = podToken(WEB);
    delete noPod.extra!['authentication.kubernetes.io/pod-uid'];
    api.tokens.set(TOKENS.noPod, noPod);
    api.tokens.set(TOKENS.cacheProbe, podToken(WEB));

    const seal = (text: string, name: string, key: string) =>
      sealValue(text, { scope: 'strict', context: { ...WEB, name, key }, provider: local });
    sealed.api = await seal(CANARY_API, 'web-secrets', 'API_KEY');
    sealed.db = await seal(CANARY_DB, 'web-secrets', 'DB_PASSWORD');

    service = createUnsealService({
      reviewer: createTokenReviewClient({ kubeconfigPath: api.kubeconfig, audiences: ['shroud'], timeoutMs: 400 }),
      provider: () => provider,
      dekCache: new DekCache(),
      logger: logs.logger,
      limits: { retryAfterSeconds: 3, providerTimeoutMs: 1000 },
    });
    server = await startUnsealServer({
      host: '127.0.0.1',
      port: 0,
      certDir: dir,
      router: service.router,
      logger: logs.logger,
      readiness: { tokenReview: service.readiness },
    });
  });
  after(async () => {
    await server.shutdown(1000);
    await api.close();
  });

  const both = () => ({
    items: [
      { configMap: 'web-secrets', key: 'API_KEY', value: sealed.api },
      { configMap: 'web-secrets', key: 'DB_PASSWORD', value: sealed.db },
    ],
  });

  /** No plaintext in any form the body could carry it. */
  const assertNothingDecrypted = (r: UnsealAnswer) => {
    for (const canary of [CANARY_API, CANARY_DB]) {
      assert.ok(!r.body.includes(canary), 'plaintext in the body');
      assert.ok(!r.body.includes(Buffer.from(canary).toString('base64')), 'base64 plaintext in the body');
    }
    assert.equal(
      (r.json.items ?? []).some((i) => i.value !== undefined),
      false,
      'no item carries a value',
    );
  };

  test('the pod the values were sealed for gets every plaintext, base64, and one audit line', async () => {
    const before = auditLines().length;
    const r = await call(TOKENS.good, both());
    assert.equal(r.status, 200, r.body);
    assert.deepEqual(
      r.json.items?.map((i) => [i.configMap, i.key, Buffer.from(i.value!, 'base64').toString('utf8')]),
      [
        ['web-secrets', 'API_KEY', CANARY_API],
        ['web-secrets', 'DB_PASSWORD', CANARY_DB],
      ],
    );
    const lines = auditLines().slice(before);
    assert.equal(lines.length, 1, 'one audit line per call');
    const line = lines[0]!;
    assert.equal(line.result, 'ok');
    assert.equal(line.status, 200);
    assert.equal(line.namespace, 'web');
    assert.equal(line.serviceAccount, 'api');
    assert.equal(line.pod, 'api-5d8f-x2k9q');
    assert.match(String(line.podUid), /^[0-9a-f-]{36}$/);
    assert.equal(line.node, 'node-7');
    assert.deepEqual(line.configMaps, ['web-secrets']);
    assert.deepEqual(line.keys, ['web-secrets/API_KEY', 'web-secrets/DB_PASSWORD']);
    assert.deepEqual(line.keyVersions, [`local:${keyring.keyringId}:1`]);
  });

  const refusals: {
    name: string;
    token: () => string | undefined;
    body: () => unknown;
    status: number;
    code: string;
    itemCodes?: string[][];
    audit: Record<string, unknown>;
  }[] = [
    {
      name: 'a token of another service account in the namespace',
      token: () => TOKENS.otherSa,
      body: both,
      status: 403,
      code: 'UNSEAL_FORBIDDEN',
      itemCodes: [['CRYPTO_SCOPE_MISMATCH'], ['CRYPTO_SCOPE_MISMATCH']],
      audit: { result: 'forbidden', namespace: 'web', serviceAccount: 'worker' },
    },
    {
      name: 'a token of the same service account name in another namespace',
      token: () => TOKENS.otherNs,
      body: both,
      status: 403,
      code: 'UNSEAL_FORBIDDEN',
      itemCodes: [['CRYPTO_SCOPE_MISMATCH'], ['CRYPTO_SCOPE_MISMATCH']],
      audit: { result: 'forbidden', namespace: 'shop', serviceAccount: 'api' },
    },
    {
      name: 'a legacy (Secret-based, unbound) token',
      token: () => TOKENS.legacy,
      body: both,
      status: 401,
      code: 'UNSEAL_UNAUTHENTICATED',
      audit: { result: 'unauthenticated', namespace: 'web', serviceAccount: 'api' },
    },
    {
      name: 'a token for another audience',
      token: () => TOKENS.otherAudience,
      body: both,
      status: 401,
      code: 'UNSEAL_UNAUTHENTICATED',
      audit: { result: 'unauthenticated' },
    },
    {
      name: 'an authenticated token whose review does not list the shroud audience',
      token: () => TOKENS.noAudienceEcho,
      body: both,
      status: 401,
      code: 'UNSEAL_UNAUTHENTICATED',
      audit: { result: 'unauthenticated', namespace: 'web' },
    },
    {
      name: 'an expired token',
      token: () => TOKENS.expired,
      body: both,
      status: 401,
      code: 'UNSEAL_UNAUTHENTICATED',
      audit: { result: 'unauthenticated' },
    },
    {
      name: 'a token the API server does not know',
      token: () => jwtLike(600),
      body: both,
      status: 401,
      code: 'UNSEAL_UNAUTHENTICATED',
      audit: { result: 'unauthenticated' },
    },
    {
      name: 'a user that is not a service account',
      token: () => TOKENS.notSa,
      body: both,
      status: 401,
      code: 'UNSEAL_UNAUTHENTICATED',
      audit: { result: 'unauthenticated' },
    },
    {
      name: 'a service-account token without the pod-uid claim',
      token: () => TOKENS.noPod,
      body: both,
      status: 401,
      code: 'UNSEAL_UNAUTHENTICATED',
      audit: { result: 'unauthenticated' },
    },
    {
      name: 'no bearer token',
      token: () => undefined,
      body: both,
      status: 401,
      code: 'UNSEAL_UNAUTHENTICATED',
      audit: { result: 'unauthenticated' },
    },
    {
      name: 'a tampered value (one character of the body changed)',
      token: () => TOKENS.good,
      body: () => {
        const v = sealed.api!;
        const at = v.length - 30;
        const tampered = v.slice(0, at) + (v[at] === 'A' ? 'B' : 'A') + v.slice(at + 1);
        return { items: [{ configMap: 'web-secrets', key: 'API_KEY', value: tampered }] };
      },
      status: 403,
      code: 'UNSEAL_FORBIDDEN',
      itemCodes: [['CRYPTO_INTEGRITY', 'CRYPTO_MALFORMED']],
      audit: { result: 'forbidden', pod: 'api-5d8f-x2k9q' },
    },
    {
      name: 'a value copied to another key',
      token: () => TOKENS.good,
      body: () => ({ items: [{ configMap: 'web-secrets', key: 'ADMIN_KEY', value: sealed.api }] }),
      status: 403,
      code: 'UNSEAL_FORBIDDEN',
      itemCodes: [['CRYPTO_SCOPE_MISMATCH']],
      audit: { result: 'forbidden', keys: ['web-secrets/ADMIN_KEY'] },
    },
    {
      name: 'a value copied to another ConfigMap',
      token: () => TOKENS.good,
      body: () => ({ items: [{ configMap: 'other-secrets', key: 'API_KEY', value: sealed.api }] }),
      status: 403,
      code: 'UNSEAL_FORBIDDEN',
      itemCodes: [['CRYPTO_SCOPE_MISMATCH']],
      audit: { result: 'forbidden', configMaps: ['other-secrets'] },
    },
    {
      name: 'one good item and one moved: all or nothing',
      token: () => TOKENS.good,
      body: () => ({
        items: [
          { configMap: 'web-secrets', key: 'API_KEY', value: sealed.api },
          { configMap: 'web-secrets', key: 'API_KEY_COPY', value: sealed.db },
        ],
      }),
      status: 403,
      code: 'UNSEAL_FORBIDDEN',
      itemCodes: [['CRYPTO_SCOPE_MISMATCH']],
      audit: { result: 'forbidden' },
    },
    {
      name: 'a body that is not JSON',
      token: () => TOKENS.good,
      body: () => '{not json',
      status: 400,
      code: 'UNSEAL_REQUEST_INVALID',
      audit: { result: 'invalid' },
    },
    {
      name: 'a ConfigMap name that is not a Kubernetes name',
      token: () => TOKENS.good,
      body: () => ({ items: [{ configMap: 'Web_Secrets', key: 'API_KEY', value: sealed.api }] }),
      status: 400,
      code: 'UNSEAL_REQUEST_INVALID',
      audit: { result: 'invalid' },
    },
    {
      name: 'the same ConfigMap and key twice',
      token: () => TOKENS.good,
      body: () => ({
        items: [
          { configMap: 'web-secrets', key: 'API_KEY', value: sealed.api },
          { configMap: 'web-secrets', key: 'API_KEY', value: sealed.api },
        ],
      }),
      status: 400,
      code: 'UNSEAL_REQUEST_INVALID',
      audit: { result: 'invalid' },
    },
    {
      name: 'a value that is not sealed',
      token: () => TOKENS.good,
      body: () => ({ items: [{ configMap: 'web-secrets', key: 'API_KEY', value: CANARY_API }] }),
      status: 400,
      code: 'UNSEAL_REQUEST_INVALID',
      audit: { result: 'invalid' },
    },
    {
      name: '257 items',
      token: () => TOKENS.good,
      body: () => ({
        items: Array.from({ length: 257 }, (_, i) => ({ configMap: 'web-secrets', key: `K${i}`, value: sealed.api })),
      }),
      status: 413,
      code: 'UNSEAL_REQUEST_TOO_LARGE',
      audit: { result: 'too-large' },
    },
    {
      name: 'a body over 1 MiB',
      token: () => TOKENS.good,
      body: () => ({
        items: [{ configMap: 'web-secrets', key: 'API_KEY', value: `shroud:v1:${'A'.repeat(1024 * 1024)}` }],
      }),
      status: 413,
      code: 'UNSEAL_REQUEST_TOO_LARGE',
      audit: { result: 'too-large' },
    },
  ];

  for (const c of refusals) {
    test(`${c.name}: ${c.status} ${c.code}, nothing decrypted, an audit line`, async () => {
      const before = auditLines().length;
      const body = c.body();
      const r = await call(c.token(), body, typeof body === 'string' ? { raw: body } : {});
      assert.equal(r.status, c.status, r.body);
      assert.equal(r.json.error?.code, c.code);
      assert.ok((r.json.error?.message ?? '').length > 20, 'a message that says what to do');
      assertNothingDecrypted(r);
      if (c.itemCodes !== undefined) {
        const codes = r.json.items ?? [];
        assert.equal(codes.length, c.itemCodes.length, JSON.stringify(codes));
        for (const [i, item] of codes.entries()) {
          assert.ok(c.itemCodes![i]!.includes(item.code!), `${item.code} for item ${i}`);
        }
      }
      const lines = auditLines().slice(before);
      assert.equal(lines.length, 1, 'one audit line per call');
      assert.equal(lines[0]!.status, c.status);
      assert.equal(lines[0]!.code, c.code);
      for (const [field, value] of Object.entries(c.audit)) assert.deepEqual(lines[0]![field], value, field);
    });
  }

  const outages: { name: string; set: () => void; reset: () => void; token: () => string; code: string }[] = [
    {
      name: 'the TokenReview API answering 500',
      set: () => (api.failWith = 500),
      reset: () => (api.failWith = undefined),
      token: () => jwtLike(600),
      code: 'KUBE_UNAVAILABLE',
    },
    {
      name: 'the TokenReview API slower than its timeout',
      set: () => (api.delayMs = 1500),
      reset: () => (api.delayMs = 0),
      token: () => jwtLike(600),
      code: 'KUBE_UNAVAILABLE',
    },
    {
      name: 'the KEK provider failing (a DEK not in the cache)',
      set: () => (providerDown = true),
      reset: () => (providerDown = false),
      token: () => TOKENS.good,
      code: 'CRYPTO_PROVIDER_UNAVAILABLE',
    },
  ];
  for (const o of outages) {
    test(`${o.name}: 503 with Retry-After, nothing decrypted`, async () => {
      const fresh = await sealValue(CANARY_API, {
        scope: 'strict',
        context: { ...WEB, name: 'web-secrets', key: 'API_KEY' },
        provider: local,
      });
      const token = o.token();
      api.tokens.set(token, api.tokens.get(token) ?? podToken(WEB));
      const before = auditLines().length;
      o.set();
      let r: UnsealAnswer;
      try {
        r = await call(token, { items: [{ configMap: 'web-secrets', key: 'API_KEY', value: fresh }] });
      } finally {
        o.reset();
      }
      assert.equal(r.status, 503, r.body);
      assert.equal(r.retryAfter, '3');
      assert.equal(r.json.error?.code, 'UNSEAL_UNAVAILABLE');
      assertNothingDecrypted(r);
      const lines = auditLines().slice(before);
      assert.equal(lines.length, 1);
      assert.equal(lines[0]!.result, 'unavailable');
      assert.match(String(lines[0]!.reason), new RegExp(`^${o.code}: `));
    });
  }

  test('a second call with the same token is answered from the TokenReview cache, keyed by its SHA-256', async () => {
    const reviews = () => api.calls.filter((c) => c.token === TOKENS.cacheProbe).length;
    const r1 = await call(TOKENS.cacheProbe, both());
    const r2 = await call(TOKENS.cacheProbe, both());
    assert.equal(r1.status, 200);
    assert.equal(r2.status, 200);
    assert.equal(reviews(), 1, 'one TokenReview for two calls');
    const [first, second] = auditLines().slice(-2);
    assert.equal(first!.tokenReview, 'api');
    assert.equal(second!.tokenReview, 'cache');
    const keys = service.tokenReviews.keys();
    assert.ok(keys.includes(tokenHash(TOKENS.cacheProbe)), 'the hash is the key');
    for (const token of Object.values(TOKENS)) assert.ok(!keys.includes(token), 'no raw token is a key');
    assert.ok(keys.every((k) => /^[0-9a-f]{64}$/.test(k)));
  });

  test('a refused token is not cached: asked again, the API server is asked again', async () => {
    const count = () => api.calls.filter((c) => c.token === TOKENS.expired).length;
    const before = count();
    await call(TOKENS.expired, both());
    await call(TOKENS.expired, both());
    assert.equal(count() - before, 2);
  });

  test('/readyz reports the TokenReview server and the counts; /healthz is ok', async () => {
    const { httpsCall } = await import('../helpers/https.js');
    const ready = await httpsCall(server.port, ca, '/readyz');
    assert.equal(ready.status, 200);
    const check = JSON.parse(ready.body).checks.tokenReview;
    assert.equal(check.tokenReviewServer, api.url);
    assert.ok(check.tokenReviews.misses > 0);
    assert.equal((await httpsCall(server.port, ca, '/healthz')).status, 200);
  });

  test('no log line holds a plaintext, a sealed value or a token (runs last)', () => {
    const text = logs.text();
    assert.ok(auditLines().length >= refusals.length + 5, 'the calls above were logged');
    for (const secret of [CANARY_API, CANARY_DB, Buffer.from(CANARY_API).toString('base64'), sealed.api!, sealed.db!]) {
      assert.ok(!text.includes(secret), 'a value reached the log');
    }
    for (const token of Object.values(TOKENS)) assert.ok(!text.includes(token), 'a token reached the log');
  });
});
