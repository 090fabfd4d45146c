import { strict as assert } from 'node:assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { PACKAGE_VERSION, resolveServeConfig } from '../../src/config/index.js';
import { isShroudError } from '../../src/errors.js';
import { startWebhookRole } from '../../src/roles/index.js';
import { generateCertBundle, writeCertFiles } from '../../src/tls/index.js';
import { httpsCall } from '../helpers/https.js';
import { memoryLogger } from '../helpers/logs.js';
import { admissionReview } from '../helpers/reviews.js';
import { tempDir } from '../helpers/temp-dir.js';

type Obj = Record<string, unknown>;

const labelled: Obj = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'web',
    namespace: 'shop',
    labels: { 'shroud.dev/inject': 'true' },
    annotations: { 'shroud.dev/sealed': 'web-secrets' },
  },
  spec: { containers: [{ name: 'app', image: 'nginx' }] },
};

async function withRole(
  flags: Record<string, string>,
  cwd: string,
  body: (call: (object: Obj) => Promise<Obj>, ca: string) => Promise<void>,
): Promise<void> {
  const config = resolveServeConfig({}, { listen: '127.0.0.1:0', ...flags });
  const role = await startWebhookRole(config, { cwd, logger: memoryLogger().logger, notify: () => undefined });
  try {
    const ca = readFileSync(join(role.certDir, 'ca.crt'), 'utf8');
    const port = Number(new URL(role.url).port);
    const call = async (object: Obj): Promise<Obj> => {
      const res = await httpsCall(port, ca, '/mutate', { body: admissionReview(object) });
      assert.equal(res.status, 200);
      return (JSON.parse(res.body) as { response: Obj }).response;
    };
    await body(call, ca);
  } finally {
    await role.stop();
  }
}

function initContainerOf(response: Obj): Obj {
  const ops = JSON.parse(Buffer.from(String(response.patch), 'base64').toString('utf8')) as {
    path: string;
    value: Obj[];
  }[];
  const op = ops.find((o) => o.path === '/spec/initContainers');
  assert.ok(op, 'the patch adds the init container');
  return op.value[0]!;
}

const envOf = (c: Obj): Record<string, string> =>
  Object.fromEntries((c.env as { name: string; value: string }[]).map((e) => [e.name, e.value]));

describe('serve wires injection into /mutate', () => {
  test('dev (no --cert-dir): the dev CA that signs the serving certificate, the default image and URL', async () => {
    await withRole({}, tempDir(), async (call, ca) => {
      const init = initContainerOf(await call(labelled));
      assert.equal(envOf(init).SHROUD_UNSEAL_CA_PEM, `${ca.replace(/\r\n/g, '\n').trim()}\n`);
      assert.equal(envOf(init).SHROUD_UNSEAL_URL, 'https://shroud-unseal.shroud.svc:8443');
      assert.equal(init.image, `ghcr.io/shroud-dev/shroud:${PACKAGE_VERSION}`);
    });
  });

  test('--inject-image, --unseal-url, --unseal-ca and --inject-size-limit reach the patch', async () => {
    const cwd = tempDir();
    const unsealCa = generateCertBundle({ names: ['shroud-unseal.shroud.svc'], days: 1 }).caCert;
    const caFile = join(cwd, 'unseal-ca.pem');
    writeFileSync(caFile, unsealCa);
    const flags = {
      injectImage: 'registry.internal/shroud:7',
      unsealUrl: 'https://unseal.internal:9443',
      unsealCa: 'unseal-ca.pem',
      injectSizeLimit: '256Ki',
    };
    await withRole(flags, cwd, async (call) => {
      const response = await call(labelled);
      const init = initContainerOf(response);
      assert.equal(init.image, 'registry.internal/shroud:7');
      assert.equal(envOf(init).SHROUD_UNSEAL_URL, 'https://unseal.internal:9443');
      assert.equal(envOf(init).SHROUD_UNSEAL_CA_PEM, `${unsealCa.replace(/\r\n/g, '\n').trim()}\n`);
      const ops = JSON.parse(Buffer.from(String(response.patch), 'base64').toString('utf8')) as {
        path: string;
        value: Obj[];
      }[];
      assert.deepEqual(ops.find((o) => o.path === '/spec/volumes')!.value[0], {
        name: 'shroud-secrets',
        emptyDir: { medium: 'Memory', sizeLimit: '256Ki' },
      });
    });
  });

  test('a given --cert-dir and no --unseal-ca: labelled pods are denied, others pass', async () => {
    const cwd = tempDir();
    await writeCertFiles(join(cwd, 'tls'), generateCertBundle({ names: ['localhost'], days: 1 }), { force: false });
    await withRole({ certDir: 'tls' }, cwd, async (call) => {
      const denied = await call(labelled);
      assert.equal(denied.allowed, false);
      assert.match(String((denied.status as Obj).message), /not configured on this Shroud webhook \(no --unseal-ca/);
      const other = await call({ ...labelled, metadata: { name: 'plain', namespace: 'shop' } });
      assert.deepEqual(other.allowed, true);
      assert.equal(other.patch, undefined);
    });
  });

  test('an --unseal-ca holding a private key stops the start', async () => {
    const cwd = tempDir();
    const bundle = generateCertBundle({ names: ['localhost'], days: 1 });
    writeFileSync(join(cwd, 'ca.pem'), `${bundle.caCert}${bundle.key}`);
    const config = resolveServeConfig({}, { listen: '127.0.0.1:0', unsealCa: 'ca.pem' });
    await assert.rejects(
      startWebhookRole(config, { cwd, logger: memoryLogger().logger, notify: () => undefined }),
      (err: unknown) => isShroudError(err, 'INJECT_UNSEAL_CA_INVALID') && /holds a private key/.test(err.message),
    );
  });
});

describe('injection settings are validated', () => {
  const cases: { name: string; flags: Record<string, string>; mentions: string }[] = [
    { name: 'an http URL', flags: { unsealUrl: 'http://unseal:8443' }, mentions: '--unseal-url must be an https URL' },
    { name: 'a URL with credentials', flags: { unsealUrl: 'https://u:p@unseal' }, mentions: '--unseal-url' },
    { name: 'not a URL', flags: { unsealUrl: 'unseal:8443' }, mentions: '--unseal-url' },
    {
      name: 'a size that is no quantity',
      flags: { injectSizeLimit: '1 MB' },
      mentions: '--inject-size-limit must be a Kubernetes quantity',
    },
    { name: 'a size of zero', flags: { injectSizeLimit: '0' }, mentions: '--inject-size-limit' },
    { name: 'an image with a space', flags: { injectImage: 'a b' }, mentions: '--inject-image' },
  ];
  for (const c of cases) {
    test(c.name, () => {
      assert.throws(
        () => resolveServeConfig({}, c.flags),
        (err: unknown) => isShroudError(err, 'CONFIG_INVALID') && err.message.includes(c.mentions),
      );
    });
  }
  test('good values, from flags and from the environment', () => {
    const config = resolveServeConfig(
      { unsealUrl: 'https://unseal.example/', injectSizeLimit: '2M' },
      { injectImage: 'img:1' },
    );
    assert.deepEqual(
      { ...config.injection },
      { image: 'img:1', unsealUrl: 'https://unseal.example', unsealCaFile: undefined, sizeLimit: '2M' },
    );
  });
});
