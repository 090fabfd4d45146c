/**
 * Shroud's KMS v2 client (the `kms` KEK provider) against Shroud's KMS v2 plugin server
 * (`shroud kms-plugin`), over a real Unix socket: the two halves of #19 speaking to each other,
 * with a local keyring behind the plugin.
 */
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { after, test } from 'node:test';
import {
  createKeyring,
  DekCache,
  type Keyring,
  LocalKeyringProvider,
  openValue,
  parseEnvelope,
  rewrapValue,
  retireKeyVersion,
  rotateKeyring,
  sealValue,
  shredKeyVersion,
} from '../../src/crypto/index.js';
import { KmsV2Provider } from '../../src/kms/index.js';
import {
  createKmsPluginService,
  type RunningKmsSocketServer,
  startKmsSocketServer,
} from '../../src/kms/server/index.js';
import { rejectsWithCode } from '../helpers/crypto.js';
import { memoryLogger } from '../helpers/logs.js';
import { tempDir } from '../helpers/temp-dir.js';

const plaintext = 'db-password-canary-7f3a9c';

/** A plugin over a keyring the test can swap (as a reload of the keyring file would). */
class Plugin {
  keyring: Keyring = createKeyring();
  provider = new LocalKeyringProvider(this.keyring);
  readonly socketPath = join(tempDir('shroud-kms-both-'), 'kms.sock');
  readonly logs = memoryLogger('info');
  private server: RunningKmsSocketServer | undefined;

  async start(): Promise<void> {
    const service = createKmsPluginService({ provider: () => this.provider });
    this.server = await startKmsSocketServer({ socketPath: this.socketPath, service, logger: this.logs.logger });
  }

  async stop(): Promise<void> {
    await this.server?.close(1000);
    this.server = undefined;
  }

  swap(keyring: Keyring): void {
    this.keyring = keyring;
    this.provider = new LocalKeyringProvider(keyring);
  }
}

const plugins: Plugin[] = [];
const clients: KmsV2Provider[] = [];
after(async () => {
  for (const c of clients) c.close();
  for (const p of plugins) await p.stop();
});

async function setUp(): Promise<{ plugin: Plugin; client: KmsV2Provider }> {
  const plugin = new Plugin();
  plugins.push(plugin);
  await plugin.start();
  const client = new KmsV2Provider({ socket: plugin.socketPath, poll: false, timeoutMs: 2000 });
  clients.push(client);
  await client.poll();
  return { plugin, client };
}

const seal = (client: KmsV2Provider) => sealValue(plaintext, { scope: 'cluster', context: {}, provider: client });
const open = (client: KmsV2Provider, text: string, cache?: DekCache) =>
  openValue(text, { provider: client, expected: {}, ...(cache ? { cache } : {}) }).then((o) => o.plaintext.toString());

test('a value sealed through the kms provider opens through the plugin, and records the plugin key_id', async () => {
  const { plugin, client } = await setUp();
  const sealed = await seal(client);
  assert.equal(await open(client, sealed), plaintext);
  const ref = parseEnvelope(sealed).key;
  const status = await client.status();
  assert.equal(status.healthy, true);
  assert.deepEqual(status.primary, ref);
  assert.equal(ref.provider, 'kms');
  // The plugin's key_id names the keyring version behind it.
  assert.match(ref.keyId, new RegExp(`^local:${plugin.keyring.keyringId}:v1:[0-9a-f]{32}$`));
  assert.equal(JSON.stringify(plugin.logs.lines()).includes(plaintext), false);
});

test('a rotation behind the plugin is seen by the client after a poll; old values open, rewrap moves them', async () => {
  const { plugin, client } = await setUp();
  const before = await seal(client);
  const oldRef = parseEnvelope(before).key;

  plugin.swap(rotateKeyring(plugin.keyring));
  await client.poll();
  assert.equal(client.keyIdChanges, 1);
  assert.equal(client.isCurrent(oldRef), false);

  const afterRotation = await seal(client);
  const newRef = parseEnvelope(afterRotation).key;
  assert.notEqual(newRef.keyId, oldRef.keyId);
  assert.match(newRef.keyId, /:v2:/);
  assert.equal(await open(client, before), plaintext);
  assert.equal(await open(client, afterRotation), plaintext);

  const moved = await rewrapValue(before, { provider: client });
  assert.equal(moved.changed, true);
  assert.deepEqual(moved.to, newRef);
  assert.equal(await open(client, moved.value), plaintext);
});

test('a shredded version behind the plugin fails with a typed error through the client, never garbage', async () => {
  const { plugin, client } = await setUp();
  const before = await seal(client);
  plugin.swap(shredKeyVersion(retireKeyVersion(rotateKeyring(plugin.keyring), 1), 1));
  await client.poll();
  const err = await open(client, before).then(
    () => assert.fail('a value of a shredded version opened'),
    (e: unknown) => e as { code?: string },
  );
  assert.ok(
    ['CRYPTO_KEY_DESTROYED', 'CRYPTO_UNKNOWN_KEY', 'CRYPTO_PROVIDER_UNAVAILABLE'].includes(err.code ?? ''),
    `typed error, got ${String(err.code)}`,
  );
  assert.equal(await open(client, await seal(client)), plaintext);
});

test('the plugin stopped: cached DEKs carry reads, uncached opens fail typed, and it serves again when back', async () => {
  const { plugin, client } = await setUp();
  const cache = new DekCache();
  const cached = await seal(client);
  const uncached = await seal(client);
  assert.equal(await open(client, cached, cache), plaintext);

  await plugin.stop();
  assert.equal(await open(client, cached, cache), plaintext);
  await rejectsWithCode(open(client, uncached), 'CRYPTO_PROVIDER_UNAVAILABLE');
  await rejectsWithCode(seal(client), 'CRYPTO_PROVIDER_UNAVAILABLE');

  await plugin.start();
  // grpc-js reconnects with a short backoff: wait for it a bounded number of polls.
  let healthy = false;
  for (let i = 0; i < 100 && !healthy; i++) {
    healthy = (await client.poll()).healthy;
    if (!healthy) await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(healthy, true, 'the client sees the plugin healthy again');
  assert.equal(await open(client, uncached), plaintext);
});
