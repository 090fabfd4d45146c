/**
 * `shroud serve --role webhook|unseal|all`: what each role serves and loads, in-process, with a
 * fake kube-apiserver for TokenReviews (reached through SHROUD_KUBECONFIG).
 */
import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { run } from '../../src/cli/run.js';
import { LocalKeyringProvider, loadKeyring, rotateKeyring, saveKeyring, sealValue } from '../../src/crypto/index.js';
import { type FakeApiServer, jwtLike, podToken, startFakeApiServer } from '../helpers/fake-apiserver.js';
import { httpsCall } from '../helpers/https.js';
import { admissionReview, podWithCanary } from '../helpers/reviews.js';
import { serveInProcess } from '../helpers/serve-in-process.js';
import { tempDir } from '../helpers/temp-dir.js';
import { unsealCall } from '../helpers/unseal-client.js';

const CANARY = 'canary-serve-roles-3c1d-do-not-log';
const TOKEN = jwtLike(600);
let api: FakeApiServer;

before(async () => {
  api = await startFakeApiServer(tempDir('shroud-roles-api-'));
  api.tokens.set(TOKEN, podToken({ namespace: 'web', serviceAccount: 'api' }));
});
after(() => api.close());

interface Serving {
  port: number;
  ca: string;
  cwd: string;
  stderr: () => string;
  stop: () => Promise<number>;
}

function serve(args: string[], env: Record<string, string> = {}): Promise<Serving> {
  return serveInProcess(args, tempDir('shroud-roles-'), env);
}

async function sealFor(cwd: string, text: string): Promise<string> {
  const provider = new LocalKeyringProvider(await loadKeyring(join(cwd, '.shroud', 'keyring.json')));
  return sealValue(text, {
    scope: 'strict',
    context: { namespace: 'web', serviceAccount: 'api', name: 'web-secrets', key: 'API_KEY' },
    provider,
  });
}

const cases = [
  {
    name: 'all (the default): the webhook routes and POST /v1/unseal on one listener',
    args: [] as string[],
    banner: /webhook and unseal service listening on/,
    validate: 200,
    unseal: true,
    checks: ['tls', 'policies', 'keyring', 'unseal', 'shutdown'],
  },
  {
    name: 'webhook: no keyring is made or loaded, no /v1/unseal',
    args: ['--role', 'webhook'],
    banner: /shroud: webhook listening on/,
    validate: 200,
    unseal: false,
    checks: ['tls', 'policies', 'shutdown'],
  },
  {
    name: 'unseal: POST /v1/unseal and health only, no policies',
    args: ['--role', 'unseal'],
    banner: /shroud: unseal service listening on/,
    validate: 404,
    unseal: true,
    checks: ['tls', 'keyring', 'unseal', 'shutdown'],
  },
];

for (const c of cases) {
  test(`serve --role ${c.name}`, async () => {
    const s = await serve(c.args, { SHROUD_KUBECONFIG: api.kubeconfig });
    try {
      assert.match(s.stderr(), c.banner);
      const ready = await httpsCall(s.port, s.ca, '/readyz');
      assert.equal(ready.status, 200, ready.body);
      assert.deepEqual(Object.keys(JSON.parse(ready.body).checks).sort(), [...c.checks].sort());
      const validate = await httpsCall(s.port, s.ca, '/validate', { body: admissionReview(podWithCanary()) });
      assert.equal(validate.status, c.validate);
      assert.equal(existsSync(join(s.cwd, '.shroud', 'keyring.json')), c.unseal, 'keyring made only when needed');
      if (c.unseal) {
        const value = await sealFor(s.cwd, CANARY);
        const r = await unsealCall(s.port, s.ca, TOKEN, {
          items: [{ configMap: 'web-secrets', key: 'API_KEY', value }],
        });
        assert.equal(r.status, 200, r.body);
        assert.equal(Buffer.from(r.json.items![0]!.value!, 'base64').toString(), CANARY);
      } else {
        const r = await unsealCall(s.port, s.ca, TOKEN, { items: [] });
        assert.equal(r.status, 404);
      }
    } finally {
      assert.equal(await s.stop(), 0);
    }
  });
}

test('serve --role unseal without a Kubernetes API (no --kubeconfig, not in a cluster) does not start', async () => {
  const cwd = tempDir('shroud-roles-');
  let stderr = '';
  const code = await run(['serve', '--listen', '127.0.0.1:0', '--role', 'unseal'], {
    stdout: { write: () => true },
    stderr: { write: (s: string) => (stderr += s) },
    stdin: Readable.from([]),
    env: { SHROUD_LOG_LEVEL: 'silent', SHROUD_METRICS_LISTEN: '127.0.0.1:0' },
    cwd,
  });
  assert.equal(code, 3);
  assert.match(stderr, /KUBE_CONFIG_INVALID: the unseal role needs the Kubernetes API/);
});

test('serve --role all without a Kubernetes API starts; /v1/unseal answers 503 with Retry-After', async () => {
  const s = await serve([]);
  try {
    assert.match(s.stderr(), /no Kubernetes API configured/);
    const value = await sealFor(s.cwd, CANARY);
    const r = await unsealCall(s.port, s.ca, TOKEN, { items: [{ configMap: 'web-secrets', key: 'API_KEY', value }] });
    assert.equal(r.status, 503);
    assert.ok(r.retryAfter !== undefined);
    assert.ok(!r.body.includes(CANARY));
  } finally {
    assert.equal(await s.stop(), 0);
  }
});

test('serve --role unseal reloads the keyring file when it changes: a value sealed under a new version opens', async () => {
  const s = await serve(['--role', 'unseal'], { SHROUD_KUBECONFIG: api.kubeconfig });
  try {
    const path = join(s.cwd, '.shroud', 'keyring.json');
    await saveKeyring(path, rotateKeyring(await loadKeyring(path)), { overwrite: true });
    const value = await sealFor(s.cwd, CANARY);
    let status = 0;
    for (let i = 0; i < 100 && status !== 200; i++) {
      const r = await unsealCall(s.port, s.ca, TOKEN, { items: [{ configMap: 'web-secrets', key: 'API_KEY', value }] });
      status = r.status;
      if (status !== 200) {
        assert.equal(r.json.items?.[0]?.code, 'CRYPTO_UNKNOWN_KEY', 'before the reload: the version is unknown');
        await sleep(100);
      }
    }
    assert.equal(status, 200, 'opened under version 2 after the reload');
  } finally {
    assert.equal(await s.stop(), 0);
  }
});
