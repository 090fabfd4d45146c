import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { after, test } from 'node:test';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { DekCache, openValue, parseEnvelope, sealValue } from '../../src/crypto/index.js';
import {
  type KmsKeyIdChange,
  type KmsTimers,
  KmsV2Provider,
  type KmsV2ProviderOptions,
  kmsKeyRef,
  kmsKeyTag,
} from '../../src/kms/index.js';
import { errorText, rejectsWithCode, throwsWithCode } from '../helpers/crypto.js';
import { memoryLogger } from '../helpers/logs.js';
import { tempDir } from '../helpers/temp-dir.js';
import { FakeKmsPlugin } from './fake-kms-plugin.js';

/** Timers that only fire when the test says so. */
function manualTimers(): KmsTimers & { delays: () => number[]; fire: () => void } {
  let next = 0;
  const pending = new Map<number, { fn: () => void; ms: number }>();
  return {
    setTimeout: (fn, ms) => {
      pending.set(++next, { fn, ms });
      return next;
    },
    clearTimeout: (handle) => void pending.delete(handle as number),
    delays: () => [...pending.values()].map((p) => p.ms),
    fire: () => {
      const due = [...pending.values()];
      pending.clear();
      for (const p of due) p.fn();
    },
  };
}

const providers: KmsV2Provider[] = [];
const plugins: FakeKmsPlugin[] = [];
after(() => {
  for (const p of providers) p.close();
  for (const p of plugins) p.stop();
});

async function setup(options: Partial<KmsV2ProviderOptions> = {}): Promise<{
  plugin: FakeKmsPlugin;
  provider: KmsV2Provider;
}> {
  const plugin = new FakeKmsPlugin(tempDir('kms-'));
  plugins.push(plugin);
  await plugin.start();
  const provider = new KmsV2Provider({ socket: `unix:${plugin.socket}`, poll: false, timeoutMs: 2000, ...options });
  providers.push(provider);
  return { plugin, provider };
}

const seal = (provider: KmsV2Provider, text: string) => sealValue(text, { scope: 'cluster', context: {}, provider });
const open = (provider: KmsV2Provider, text: string, cache?: DekCache) =>
  openValue(text, { provider, expected: {}, ...(cache ? { cache } : {}) }).then((o) => o.plaintext.toString());

test('values round-trip through the plugin, with key_id, version 1 and a key tag derived from the key_id', async () => {
  const { plugin, provider } = await setup();
  const sealed = await seal(provider, 'hello kms');
  assert.equal(await open(provider, sealed), 'hello kms');
  const info = parseEnvelope(sealed);
  assert.deepEqual(info.key, { provider: 'kms', keyId: 'key-1', version: 1, keyTag: kmsKeyTag('key-1') });
  assert.deepEqual(kmsKeyRef('kms', 'key-1'), info.key);
  assert.notEqual(kmsKeyTag('key-1'), kmsKeyTag('key-2'));
  assert.equal(plugin.calls.Encrypt, 1);
  assert.equal(plugin.calls.Decrypt, 1);
  assert.equal(plugin.calls.Status, 1, 'the first wrap learns the key_id from Status');
  assert.equal(new Set(plugin.uids).size, 2, 'each call has its own uid');
});

test('a configured provider id is written into envelopes', async () => {
  const { provider } = await setup({ id: 'vault.prod' });
  const sealed = await seal(provider, 'x');
  assert.equal(parseEnvelope(sealed).key.provider, 'vault.prod');
  assert.equal(await open(provider, sealed), 'x');
});

test('status reports health from the last poll and polls faster when unhealthy', async () => {
  const timers = manualTimers();
  const { plugin, provider } = await setup({ poll: true, timers, healthyPollMs: 60_000, unhealthyPollMs: 10_000 });
  assert.deepEqual(timers.delays(), [0], 'the first poll is due at once');
  timers.fire();
  const healthy = await provider.poll();
  assert.equal(healthy.healthy, true);
  assert.deepEqual(healthy.primary, kmsKeyRef('kms', 'key-1'));
  assert.deepEqual(timers.delays(), [60_000]);
  plugin.healthz = 'kms backend unreachable';
  timers.fire();
  const sick = await provider.poll();
  assert.equal(sick.healthy, false);
  assert.match(sick.message ?? '', /kms backend unreachable/);
  assert.deepEqual(sick.primary, kmsKeyRef('kms', 'key-1'), 'the last key_id is kept');
  assert.deepEqual(timers.delays(), [10_000]);
  plugin.healthz = 'ok';
  plugin.version = 'v1beta1';
  const wrongVersion = await provider.poll();
  assert.equal(wrongVersion.healthy, false);
  assert.match(wrongVersion.message ?? '', /v1beta1/);
  provider.close();
  assert.deepEqual(timers.delays(), [], 'close stops polling');
  assert.equal((await provider.status()).healthy, false);
});

test('with the default timers, Status is polled again and again', async () => {
  const { plugin, provider } = await setup({ poll: true, healthyPollMs: 5 });
  for (let i = 0; i < 400 && plugin.calls.Status < 3; i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(plugin.calls.Status >= 3, `polled ${plugin.calls.Status} times`);
  provider.close(); // that close stops the timer: see the manual-timers status test
});

test('a rotated key_id is seen at the next poll: reported, new values use it, old ones are stale but open', async () => {
  const timers = manualTimers();
  const changes: KmsKeyIdChange[] = [];
  const { plugin, provider } = await setup({ poll: true, timers, onKeyIdChange: (c) => changes.push(c) });
  timers.fire();
  await provider.poll();
  const old = await seal(provider, 'old');
  plugin.rotate();
  timers.fire();
  await provider.poll();
  assert.equal(changes.length, 1);
  assert.deepEqual([changes[0]!.previous, changes[0]!.current], ['key-1', 'key-2']);
  assert.equal(provider.keyIdChanges, 1);
  const fresh = await seal(provider, 'new');
  assert.equal(parseEnvelope(fresh).key.keyId, 'key-2');
  assert.equal(provider.isCurrent(parseEnvelope(fresh).key), true);
  assert.equal(provider.isCurrent(parseEnvelope(old).key), false);
  assert.equal(await open(provider, old), 'old');
  assert.equal(await open(provider, fresh), 'new');
  const staleness = provider.staleness();
  assert.equal(staleness.currentKeyId, 'key-2');
  assert.equal(staleness.staleUnwraps, 1);
  assert.deepEqual(
    staleness.keyIds.map((k) => [k.keyId, k.staleUnwraps]),
    [
      ['key-1', 1],
      ['key-2', 0],
    ],
  );
  const status = await provider.status();
  assert.deepEqual(
    status.versions.map((v) => [v.ref.keyId, v.state]),
    [
      ['key-1', 'active'],
      ['key-2', 'primary'],
    ],
  );
});

test('Encrypt with a key_id Status does not report: accepted after one more Status agrees, refused otherwise', async () => {
  const { plugin, provider } = await setup();
  await provider.poll();
  plugin.rotate(); // Encrypt now answers key-2 while the provider last saw key-1
  const sealed = await seal(provider, 'x');
  assert.equal(parseEnvelope(sealed).key.keyId, 'key-2');
  assert.equal(provider.keyIdChanges, 1);
  plugin.encryptKeyId = 'key-elsewhere';
  const err = await rejectsWithCode(seal(provider, 'x'), 'CRYPTO_PROVIDER_UNAVAILABLE');
  assert.match(err.message, /key-elsewhere.*key-2/);
});

test('a hanging plugin gives CRYPTO_PROVIDER_TIMEOUT for each method, and unhealthy status', async () => {
  const { plugin, provider } = await setup({ timeoutMs: 150 });
  const sealed = await seal(provider, 'x');
  plugin.decrypt = () => 'hang';
  await rejectsWithCode(open(provider, sealed), 'CRYPTO_PROVIDER_TIMEOUT');
  plugin.encrypt = () => 'hang';
  await rejectsWithCode(seal(provider, 'x'), 'CRYPTO_PROVIDER_TIMEOUT');
  plugin.status = () => 'hang';
  const status = await provider.poll();
  assert.equal(status.healthy, false);
  assert.match(status.message ?? '', /DEADLINE_EXCEEDED/);
});

test('an aborted signal cancels the call', async () => {
  const { plugin, provider } = await setup({ timeoutMs: 60_000 }); // no deadline cancels it meanwhile
  const sealed = await seal(provider, 'x');
  plugin.decrypt = () => 'hang';
  const controller = new AbortController();
  const pending = openValue(sealed, { provider, expected: {}, signal: controller.signal, timeoutMs: 60_000 });
  setImmediate(() => controller.abort());
  await rejectsWithCode(pending, 'CRYPTO_PROVIDER_UNAVAILABLE');
  // The plugin hears of it: wait (a bounded number of turns) for the cancellation to arrive.
  for (let i = 0; i < 200 && plugin.cancelled === 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(plugin.cancelled, 1, 'the call was cancelled on the wire, not just abandoned');
});

test('a plugin that dies: cached values keep opening, others fail typed, and all recover when it is back', async () => {
  const { plugin, provider } = await setup({ timeoutMs: 1000 });
  const cache = new DekCache();
  const seen = await seal(provider, 'opened before');
  const unseen = await seal(provider, 'never opened');
  assert.equal(await open(provider, seen, cache), 'opened before');
  const generation = provider.keyGeneration(parseEnvelope(seen).key);
  plugin.stop();
  for (let i = 0; i < 3; i++) assert.equal(await open(provider, seen, cache), 'opened before');
  assert.equal(cache.hits, 3);
  await rejectsWithCode(open(provider, unseen, cache), 'CRYPTO_PROVIDER_UNAVAILABLE');
  await rejectsWithCode(seal(provider, 'y'), 'CRYPTO_PROVIDER_UNAVAILABLE');
  assert.equal((await provider.poll()).healthy, false);
  assert.equal(provider.keyGeneration(parseEnvelope(seen).key), generation, 'an outage does not change the generation');
  await plugin.start();
  // grpc-js reconnects with a short backoff; wait for it a bounded number of polls.
  let healthy = false;
  for (let i = 0; i < 100 && !healthy; i++) {
    healthy = (await provider.poll()).healthy;
    if (!healthy) await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(healthy, true, 'the provider is healthy again');
  assert.equal(await open(provider, unseen, cache), 'never opened');
});

interface MalformedCase {
  name: string;
  arrange: (plugin: FakeKmsPlugin) => void;
  operation: 'seal' | 'open';
  code: 'CRYPTO_PROVIDER_UNAVAILABLE' | 'CRYPTO_INTEGRITY' | 'CRYPTO_UNKNOWN_KEY';
  says?: RegExp;
}

const encryptAnswer = (over: object) => () => ({
  ciphertext: Buffer.alloc(60, 1),
  key_id: 'key-1',
  annotations: {},
  ...over,
});

const MALFORMED: MalformedCase[] = [
  {
    name: 'ciphertext over 4096 bytes',
    arrange: (p) => (p.encrypt = encryptAnswer({ ciphertext: Buffer.alloc(4097, 1) })),
    operation: 'seal',
    code: 'CRYPTO_PROVIDER_UNAVAILABLE',
    says: /ciphertext over 4096 bytes/,
  },
  {
    name: 'empty ciphertext',
    arrange: (p) => (p.encrypt = encryptAnswer({ ciphertext: Buffer.alloc(0) })),
    operation: 'seal',
    code: 'CRYPTO_PROVIDER_UNAVAILABLE',
    says: /ciphertext that is empty/,
  },
  {
    name: 'empty key_id',
    arrange: (p) => (p.encrypt = encryptAnswer({ key_id: '' })),
    operation: 'seal',
    code: 'CRYPTO_PROVIDER_UNAVAILABLE',
    says: /key_id that is empty/,
  },
  {
    name: 'key_id over 1 KiB',
    arrange: (p) => (p.encrypt = encryptAnswer({ key_id: 'k'.repeat(1025) })),
    operation: 'seal',
    code: 'CRYPTO_PROVIDER_UNAVAILABLE',
    says: /key_id over 1024 bytes/,
  },
  {
    name: 'key_id with a control character',
    arrange: (p) => (p.encrypt = encryptAnswer({ key_id: 'key\u001b[31m' })),
    operation: 'seal',
    code: 'CRYPTO_PROVIDER_UNAVAILABLE',
    says: /key_id that has a control character/,
  },
  {
    name: 'annotation name without a dot',
    arrange: (p) => (p.encrypt = encryptAnswer({ annotations: { version: Buffer.from('1') } })),
    operation: 'seal',
    code: 'CRYPTO_PROVIDER_UNAVAILABLE',
    says: /annotations whose name/,
  },
  {
    name: 'annotation name in upper case',
    arrange: (p) => (p.encrypt = encryptAnswer({ annotations: { 'Key.Example.com': Buffer.from('1') } })),
    operation: 'seal',
    code: 'CRYPTO_PROVIDER_UNAVAILABLE',
    says: /annotations whose name/,
  },
  {
    name: 'annotations over 32 KiB',
    arrange: (p) =>
      (p.encrypt = encryptAnswer({
        annotations: { 'a.example.com': Buffer.alloc(20_000), 'b.example.com': Buffer.alloc(20_000) },
      })),
    operation: 'seal',
    code: 'CRYPTO_PROVIDER_UNAVAILABLE',
    says: /annotations larger than 32 KiB/,
  },
  {
    name: 'Encrypt refused with INVALID_ARGUMENT',
    arrange: (p) => (p.encrypt = () => ({ code: GrpcStatus.INVALID_ARGUMENT })),
    operation: 'seal',
    code: 'CRYPTO_PROVIDER_UNAVAILABLE',
    says: /INVALID_ARGUMENT/,
  },
  {
    name: 'Encrypt answer that does not parse',
    arrange: (p) => (p.garbage = true),
    operation: 'seal',
    code: 'CRYPTO_PROVIDER_UNAVAILABLE',
  },
  {
    name: 'Decrypt gives 31 bytes',
    arrange: (p) => (p.decrypt = () => ({ plaintext: randomBytes(31) })),
    operation: 'open',
    code: 'CRYPTO_INTEGRITY',
    says: /31 bytes/,
  },
  {
    name: 'Decrypt gives 33 bytes',
    arrange: (p) => (p.decrypt = () => ({ plaintext: randomBytes(33) })),
    operation: 'open',
    code: 'CRYPTO_INTEGRITY',
  },
  {
    name: 'Decrypt gives another 32-byte key',
    arrange: (p) => (p.decrypt = () => ({ plaintext: randomBytes(32) })),
    operation: 'open',
    code: 'CRYPTO_INTEGRITY',
  },
  {
    name: 'Decrypt refused with INVALID_ARGUMENT',
    arrange: (p) => (p.decrypt = () => ({ code: GrpcStatus.INVALID_ARGUMENT })),
    operation: 'open',
    code: 'CRYPTO_INTEGRITY',
  },
  {
    name: 'Decrypt refused with NOT_FOUND',
    arrange: (p) => (p.decrypt = () => ({ code: GrpcStatus.NOT_FOUND })),
    operation: 'open',
    code: 'CRYPTO_UNKNOWN_KEY',
  },
  {
    name: 'Decrypt fails with UNAVAILABLE',
    arrange: (p) => (p.decrypt = () => ({ code: GrpcStatus.UNAVAILABLE })),
    operation: 'open',
    code: 'CRYPTO_PROVIDER_UNAVAILABLE',
  },
  {
    name: 'Decrypt answer that does not parse',
    arrange: (p) => (p.garbage = true),
    operation: 'open',
    code: 'CRYPTO_PROVIDER_UNAVAILABLE',
  },
];

for (const c of MALFORMED) {
  test(`malformed answer: ${c.name} is ${c.code}`, async () => {
    const { plugin, provider } = await setup();
    const sealed = await seal(provider, 'x');
    c.arrange(plugin);
    const err = await rejectsWithCode(c.operation === 'seal' ? seal(provider, 'x') : open(provider, sealed), c.code);
    if (c.says) assert.match(err.message, c.says);
  });
}

test('a Status answer that does not parse, or with a bad key_id, makes the provider unhealthy', async () => {
  const { plugin, provider } = await setup();
  await provider.poll();
  plugin.status = () => ({ version: 'v2', healthz: 'ok', key_id: '' });
  const empty = await provider.poll();
  assert.equal(empty.healthy, false);
  assert.match(empty.message ?? '', /key_id is not valid/);
  assert.deepEqual(empty.primary, kmsKeyRef('kms', 'key-1'), 'a bad key_id does not replace the last good one');
  plugin.status = undefined;
  plugin.garbage = true;
  assert.equal((await provider.poll()).healthy, false);
});

test('references this provider never writes are CRYPTO_UNKNOWN_KEY, without a call', async () => {
  const { plugin, provider } = await setup();
  const ref = kmsKeyRef('kms', 'key-1');
  for (const [name, bad] of [
    ['another provider', { ...ref, provider: 'local' }],
    ['version 2', { ...ref, version: 2 }],
    ['a key tag of another key_id', { ...ref, keyTag: kmsKeyTag('key-2') }],
  ] as const) {
    throwsWithCode(() => provider.keyGeneration(bad), 'CRYPTO_UNKNOWN_KEY');
    const err = await rejectsWithCode(
      provider.unwrap({ slot: { method: 'kek', ref: bad, wrapped: Buffer.alloc(60) }, context: Buffer.alloc(64) }),
      'CRYPTO_UNKNOWN_KEY',
    );
    assert.match(err.message, /did not write/, name);
  }
  await rejectsWithCode(
    provider.unwrap({ slot: { method: 'x25519', ref, wrapped: Buffer.alloc(60) }, context: Buffer.alloc(64) }),
    'CRYPTO_UNKNOWN_KEY',
  );
  assert.equal(plugin.calls.Decrypt, 0);
});

test('options are checked: provider id and socket path', () => {
  for (const [name, options] of [
    ['upper-case id', { socket: '/tmp/x.sock', id: 'KMS' }],
    ['id over 32 characters', { socket: '/tmp/x.sock', id: 'k'.repeat(33) }],
    ['relative socket', { socket: 'plugin.sock' }],
    ['socket path over 107 bytes', { socket: `/${'s'.repeat(110)}` }],
    ['zero timeout', { socket: '/tmp/x.sock', timeoutMs: 0 }],
  ] as const) {
    assert.throws(() => new KmsV2Provider({ poll: false, ...options }), { code: 'CONFIG_INVALID' }, name);
  }
  for (const socket of ['/tmp/x.sock', 'unix:/tmp/x.sock', 'unix:///tmp/x.sock']) {
    const p = new KmsV2Provider({ socket, poll: false });
    assert.equal(p.target, 'unix:/tmp/x.sock');
    p.close();
  }
});

test('after close, calls fail typed and the caches given are cleared', async () => {
  const cache = new DekCache();
  const { provider } = await setup({ caches: [cache] });
  const sealed = await seal(provider, 'x');
  await open(provider, sealed, cache);
  assert.equal(cache.size, 1);
  provider.close();
  provider.close();
  assert.equal(cache.size, 0);
  await rejectsWithCode(open(provider, sealed, cache), 'CRYPTO_PROVIDER_UNAVAILABLE');
  await rejectsWithCode(seal(provider, 'x'), 'CRYPTO_PROVIDER_UNAVAILABLE');
});

test('canary: neither the plaintext nor the DEK reaches errors or logs', async () => {
  const canary = `CANARY-${randomBytes(8).toString('hex')}`;
  const { logger, text } = memoryLogger();
  const { plugin, provider } = await setup({ log: logger, timeoutMs: 300 });
  const deks: Buffer[] = [];
  plugin.encrypt = (r) => {
    deks.push(Buffer.from(r.plaintext));
    return undefined; // the honest answer
  };
  const sealed = await seal(provider, canary);
  const dek = deks[0]!;
  const texts: string[] = [];
  const failures: ((p: FakeKmsPlugin) => void)[] = [
    (p) => (p.decrypt = () => ({ plaintext: Buffer.concat([dek, Buffer.from(canary)]) })),
    (p) => (p.decrypt = () => ({ code: GrpcStatus.INTERNAL, details: `${canary} ${dek.toString('hex')}` })),
    (p) => (p.decrypt = () => ({ code: GrpcStatus.INVALID_ARGUMENT, details: dek.toString('base64') })),
    (p) => (p.decrypt = () => 'hang'),
  ];
  for (const arrange of failures) {
    arrange(plugin);
    texts.push(
      errorText(
        await open(provider, sealed).then(
          () => assert.fail('opened'),
          (e: unknown) => e,
        ),
      ),
    );
  }
  plugin.status = () => ({ version: 'v2', healthz: 'degraded', key_id: 'key-1' });
  texts.push(JSON.stringify(await provider.poll()));
  plugin.status = undefined;
  plugin.rotate();
  await provider.poll();
  const all = `${texts.join('\n')}\n${text()}`;
  assert.match(text(), /kms plugin unhealthy/, 'the log was written');
  for (const secret of [canary, dek.toString('hex'), dek.toString('base64'), dek.toString('latin1')]) {
    assert.ok(!all.includes(secret), 'a secret reached an error or the log');
  }
});

test('1,000 concurrent unwraps (in batches of 100) all open right', async () => {
  const { plugin, provider } = await setup({ timeoutMs: 10_000 });
  const values = await Promise.all(Array.from({ length: 20 }, (_, i) => seal(provider, `value-${i}`)));
  let right = 0;
  for (let batch = 0; batch < 10; batch++) {
    const opened = await Promise.all(
      Array.from({ length: 100 }, (_, i) => open(provider, values[(batch * 100 + i) % 20]!)),
    );
    right += opened.filter((v, i) => v === `value-${(batch * 100 + i) % 20}`).length;
  }
  assert.equal(right, 1000);
  assert.equal(plugin.calls.Decrypt, 1000);
});
