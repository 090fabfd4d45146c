import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createTokenReviewClient, type TokenReviewer } from '../../src/kube/index.js';
import { rejectsWithCode, throwsWithCode } from '../helpers/crypto.js';
import { type FakeApiServer, podToken, startFakeApiServer } from '../helpers/fake-apiserver.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('TokenReview client through @kubernetes/client-node', () => {
  let api: FakeApiServer;
  let client: TokenReviewer;
  const dir = tempDir('shroud-kube-');

  before(async () => {
    api = await startFakeApiServer(dir);
    api.tokens.set('good-token', podToken({ namespace: 'web', serviceAccount: 'api', pod: 'api-0', node: 'n1' }));
    client = createTokenReviewClient({ kubeconfigPath: api.kubeconfig, audiences: ['shroud'], timeoutMs: 500 });
  });
  after(() => api.close());

  test('an authenticated pod token: user, audiences and pod claims as the API server sent them', async () => {
    const result = await client.review('good-token');
    assert.equal(result.authenticated, true);
    assert.deepEqual(result.audiences, ['shroud']);
    assert.equal(result.username, 'system:serviceaccount:web:api');
    assert.deepEqual(result.extra['authentication.kubernetes.io/pod-name'], ['api-0']);
    assert.deepEqual(result.extra['authentication.kubernetes.io/node-name'], ['n1']);
    assert.deepEqual(api.calls.at(-1), { token: 'good-token', audiences: ['shroud'] }, 'audience shroud asked');
    assert.equal(client.server, api.url);
  });

  test('an unknown token is a result (not authenticated), not an error', async () => {
    const result = await client.review('nobody');
    assert.equal(result.authenticated, false);
    assert.match(result.error ?? '', /invalid bearer token/);
  });

  const failures = [
    { name: 'API server 500', set: () => (api.failWith = 500), code: 'KUBE_UNAVAILABLE' as const },
    { name: 'API server 429', set: () => (api.failWith = 429), code: 'KUBE_UNAVAILABLE' as const },
    { name: 'API server 403 (no RBAC)', set: () => (api.failWith = 403), code: 'KUBE_REQUEST_REFUSED' as const },
    { name: 'API server slower than the timeout', set: () => (api.delayMs = 2000), code: 'KUBE_UNAVAILABLE' as const },
  ];
  for (const { name, set, code } of failures) {
    test(`${name}: ${code}, and the token is not in the error`, async () => {
      set();
      try {
        const err = await rejectsWithCode(client.review('good-token'), code);
        assert.doesNotMatch(`${err.message} ${JSON.stringify((err as { details?: unknown }).details)}`, /good-token/);
      } finally {
        api.failWith = undefined;
        api.delayMs = 0;
      }
    });
  }

  test('an API server that is down: KUBE_UNAVAILABLE', async () => {
    const downDir = tempDir('shroud-kube-down-');
    const down = await startFakeApiServer(downDir);
    await down.close();
    const c = createTokenReviewClient({ kubeconfigPath: down.kubeconfig, audiences: ['shroud'], timeoutMs: 2000 });
    await rejectsWithCode(c.review('good-token'), 'KUBE_UNAVAILABLE');
  });

  const badConfigs = [
    { name: 'missing file', write: () => join(dir, 'nope.yaml') },
    {
      name: 'no current context',
      write: () => {
        const p = join(dir, 'empty.yaml');
        writeFileSync(p, JSON.stringify({ apiVersion: 'v1', kind: 'Config', clusters: [], users: [], contexts: [] }));
        return p;
      },
    },
  ];
  for (const { name, write } of badConfigs) {
    test(`a kubeconfig with a problem (${name}): KUBE_CONFIG_INVALID`, () => {
      throwsWithCode(
        () => createTokenReviewClient({ kubeconfigPath: write(), audiences: ['shroud'] }),
        'KUBE_CONFIG_INVALID',
      );
    });
  }
});
