import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { lstatSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { status as grpcStatus, type ServiceError } from '@grpc/grpc-js';
import {
  createKeyring,
  type KekProvider,
  type Keyring,
  LocalKeyringProvider,
  retireKeyVersion,
  rotateKeyring,
} from '../../src/crypto/index.js';
import { isShroudError } from '../../src/errors.js';
import {
  createKmsPluginService,
  decodeFrame,
  encodeFrame,
  encodeFrameHeader,
  FRAME_ANNOTATION,
  type KmsPluginService,
  type KmsPluginServiceOptions,
  type RunningKmsSocketServer,
  startKmsSocketServer,
} from '../../src/kms/server/index.js';
import { memoryLogger } from '../helpers/logs.js';
import { tempDir } from '../helpers/temp-dir.js';
import { type UpstreamClient, type UpstreamEncrypted, upstreamClient } from './upstream-client.js';

const ANNOTATIONS = { [FRAME_ANNOTATION]: Buffer.from('1') };

interface Plugin {
  socketPath: string;
  client: UpstreamClient;
  server: RunningKmsSocketServer;
  service: KmsPluginService;
  logs: ReturnType<typeof memoryLogger>;
  close(): Promise<void>;
}

/** A plugin over `provider()` on a socket in a fresh temp dir, and an upstream client of it. */
async function startPlugin(
  provider: () => KekProvider,
  options: Partial<KmsPluginServiceOptions> = {},
  clientDeadlineMs?: number,
): Promise<Plugin> {
  const socketPath = join(tempDir('shroud-kms-'), 'kms.sock');
  const logs = memoryLogger('info');
  const service = createKmsPluginService({ provider, ...options });
  const server = await startKmsSocketServer({ socketPath, service, logger: logs.logger });
  const client = upstreamClient(socketPath, clientDeadlineMs);
  return {
    socketPath,
    client,
    server,
    service,
    logs,
    close: async () => {
      client.close();
      await server.close(1000);
    },
  };
}

/** Runs `call` and returns its gRPC error (failing when it succeeds). */
async function grpcError(call: () => Promise<unknown>): Promise<ServiceError> {
  try {
    await call();
  } catch (err) {
    return err as ServiceError;
  }
  assert.fail('the call succeeded');
}

async function expectCode(call: () => Promise<unknown>, code: grpcStatus, shroudCode: string): Promise<void> {
  const err = await grpcError(call);
  assert.equal(err.code, code, `${grpcStatus[err.code]} (${err.details}) instead of ${grpcStatus[code]}`);
  assert.ok(err.details.startsWith(`${shroudCode}: `), err.details);
}

const dek = (): Buffer => randomBytes(32);

test('Status, Encrypt and Decrypt round trip over a Unix socket; Encrypt key_id equals Status key_id', async () => {
  const keyring = createKeyring();
  const provider = new LocalKeyringProvider(keyring);
  const plugin = await startPlugin(() => provider);
  try {
    const status = await plugin.client.status();
    assert.equal(status.version, 'v2');
    assert.equal(status.healthz, 'ok');
    const tag = keyring.versions[0]!.tag;
    assert.equal(status.key_id, `local:${keyring.keyringId}:v1:${tag}`);
    const plaintext = dek();
    const encrypted = await plugin.client.encrypt(plaintext);
    assert.equal(encrypted.key_id, status.key_id);
    assert.deepEqual(Object.keys(encrypted.annotations), [FRAME_ANNOTATION]);
    assert.ok(encrypted.ciphertext.length <= 1024);
    assert.ok(!encrypted.ciphertext.includes(plaintext), 'the plaintext is not in the ciphertext');
    const frame = decodeFrame(encrypted.ciphertext);
    assert.deepEqual(frame.ref, { provider: 'local', keyId: keyring.keyringId, version: 1, keyTag: tag });
    assert.deepEqual(await plugin.client.decrypt(encrypted), plaintext);
    assert.equal(statSync(plugin.socketPath).mode & 0o777, 0o600, 'socket mode 0600');
  } finally {
    await plugin.close();
  }
  assert.equal(existsSync(plugin.socketPath), false, 'close removes the socket');
});

test('rotation: Status key_id changes, old ciphertexts still decrypt, key_ids never repeat; going back is unhealthy', async () => {
  const first = createKeyring();
  const provider = new LocalKeyringProvider(first);
  const plugin = await startPlugin(() => provider);
  try {
    const seen: string[] = [];
    const kept: { plaintext: Buffer; encrypted: UpstreamEncrypted }[] = [];
    let keyring: Keyring = first;
    for (let i = 0; i < 4; i++) {
      const status = await plugin.client.status();
      assert.equal(status.healthz, 'ok');
      assert.ok(!seen.includes(status.key_id), `key_id ${status.key_id} repeats`);
      seen.push(status.key_id);
      const plaintext = dek();
      const encrypted = await plugin.client.encrypt(plaintext);
      assert.equal(encrypted.key_id, status.key_id);
      kept.push({ plaintext, encrypted });
      keyring = rotateKeyring(keyring);
      provider.reload(keyring);
    }
    // A different keyring's version 1 is another key_id: the key tag tells them apart.
    const other = createKeyring();
    provider.reload(other);
    const otherStatus = await plugin.client.status();
    assert.ok(!seen.includes(otherStatus.key_id));
    provider.reload(keyring);
    for (const { plaintext, encrypted } of kept) assert.deepEqual(await plugin.client.decrypt(encrypted), plaintext);

    // Back to the first keyring (an old copy restored): its key_id was reported before another.
    provider.reload(first);
    const back = await plugin.client.status();
    assert.ok(back.healthz.startsWith('KMS_PLUGIN_KEY_ID_REUSED: '), back.healthz);
    await expectCode(() => plugin.client.encrypt(dek()), grpcStatus.FAILED_PRECONDITION, 'KMS_PLUGIN_KEY_ID_REUSED');
    assert.deepEqual(await plugin.client.decrypt(kept[0]!.encrypted), kept[0]!.plaintext, 'Decrypt keeps working');
  } finally {
    await plugin.close();
  }
});

test('limits and malformed requests give typed gRPC errors, never garbage', async () => {
  let keyring = createKeyring();
  const provider = new LocalKeyringProvider(keyring);
  const plugin = await startPlugin(() => provider);
  try {
    const good = await plugin.client.encrypt(dek());
    keyring = rotateKeyring(keyring);
    provider.reload(keyring);
    const ct = good.ciphertext;
    const frame = decodeFrame(ct);
    const v2 = keyring.versions[1]!;
    const relabelledHeader = encodeFrameHeader('kek', { ...frame.ref, version: 2, keyTag: v2.tag });
    const relabelled = encodeFrame(relabelledHeader, undefined, frame.wrapped);
    const flipped = Buffer.from(ct);
    flipped[flipped.length - 1]! ^= 1;
    const withVersion = (v: number) => {
      const b = Buffer.from(ct);
      b[2] = v;
      return b;
    };
    const cases: {
      name: string;
      call: () => Promise<unknown>;
      code: grpcStatus;
      shroud: string;
    }[] = [
      {
        name: 'Encrypt 31 bytes',
        call: () => plugin.client.encrypt(randomBytes(31)),
        code: grpcStatus.INVALID_ARGUMENT,
        shroud: 'KMS_PLUGIN_REQUEST_INVALID',
      },
      {
        name: 'Encrypt 33 bytes',
        call: () => plugin.client.encrypt(randomBytes(33)),
        code: grpcStatus.INVALID_ARGUMENT,
        shroud: 'KMS_PLUGIN_REQUEST_INVALID',
      },
      {
        name: 'Encrypt nothing',
        call: () => plugin.client.encrypt(Buffer.alloc(0)),
        code: grpcStatus.INVALID_ARGUMENT,
        shroud: 'KMS_PLUGIN_REQUEST_INVALID',
      },
      {
        name: 'Decrypt 1025 bytes',
        call: () => plugin.client.decrypt({ ...good, ciphertext: Buffer.concat([ct, Buffer.alloc(1025 - ct.length)]) }),
        code: grpcStatus.INVALID_ARGUMENT,
        shroud: 'KMS_PLUGIN_CIPHERTEXT_INVALID',
      },
      {
        name: 'Decrypt random bytes',
        call: () => plugin.client.decrypt({ ...good, ciphertext: randomBytes(ct.length) }),
        code: grpcStatus.INVALID_ARGUMENT,
        shroud: 'KMS_PLUGIN_CIPHERTEXT_INVALID',
      },
      {
        name: 'Decrypt empty ciphertext',
        call: () => plugin.client.decrypt({ ...good, ciphertext: Buffer.alloc(0) }),
        code: grpcStatus.INVALID_ARGUMENT,
        shroud: 'KMS_PLUGIN_CIPHERTEXT_INVALID',
      },
      {
        name: 'Decrypt extended by a byte',
        call: () => plugin.client.decrypt({ ...good, ciphertext: Buffer.concat([ct, Buffer.from([0])]) }),
        code: grpcStatus.INVALID_ARGUMENT,
        shroud: 'KMS_PLUGIN_CIPHERTEXT_INVALID',
      },
      {
        name: 'Decrypt unknown frame version',
        call: () => plugin.client.decrypt({ ...good, ciphertext: withVersion(2) }),
        code: grpcStatus.INVALID_ARGUMENT,
        shroud: 'KMS_PLUGIN_CIPHERTEXT_INVALID',
      },
      {
        name: 'Decrypt with another key_id',
        call: () => plugin.client.decrypt({ ...good, key_id: `${good.key_id}x` }),
        code: grpcStatus.INVALID_ARGUMENT,
        shroud: 'KMS_PLUGIN_KEY_ID_MISMATCH',
      },
      {
        name: 'Decrypt with an empty key_id',
        call: () => plugin.client.decrypt({ ...good, key_id: '' }),
        code: grpcStatus.INVALID_ARGUMENT,
        shroud: 'KMS_PLUGIN_KEY_ID_MISMATCH',
      },
      {
        name: 'Decrypt with the annotation changed',
        call: () => plugin.client.decrypt({ ...good, annotations: { [FRAME_ANNOTATION]: Buffer.from('2') } }),
        code: grpcStatus.INVALID_ARGUMENT,
        shroud: 'KMS_PLUGIN_REQUEST_INVALID',
      },
      {
        name: 'Decrypt with an annotation added',
        call: () =>
          plugin.client.decrypt({ ...good, annotations: { ...ANNOTATIONS, 'x.example.com': Buffer.from('1') } }),
        code: grpcStatus.INVALID_ARGUMENT,
        shroud: 'KMS_PLUGIN_REQUEST_INVALID',
      },
      {
        name: 'Decrypt without annotations',
        call: () => plugin.client.decrypt({ ...good, annotations: {} }),
        code: grpcStatus.INVALID_ARGUMENT,
        shroud: 'KMS_PLUGIN_REQUEST_INVALID',
      },
      {
        name: 'Decrypt with a flipped bit in the wrapped DEK',
        call: () => plugin.client.decrypt({ ...good, ciphertext: flipped }),
        code: grpcStatus.INVALID_ARGUMENT,
        shroud: 'CRYPTO_INTEGRITY',
      },
      {
        name: 'Decrypt a frame relabelled to version 2 (key_id to match)',
        call: () =>
          plugin.client.decrypt({ ...good, ciphertext: relabelled, key_id: `local:${keyring.keyringId}:v2:${v2.tag}` }),
        code: grpcStatus.INVALID_ARGUMENT,
        shroud: 'CRYPTO_INTEGRITY',
      },
      {
        name: 'Decrypt a message over 64 KiB',
        call: () =>
          plugin.client.decrypt({
            ...good,
            annotations: { ...ANNOTATIONS, 'big.example.com': Buffer.alloc(70 * 1024) },
          }),
        code: grpcStatus.RESOURCE_EXHAUSTED,
        shroud: '',
      },
    ];
    for (const c of cases) {
      const err = await grpcError(c.call);
      assert.equal(err.code, c.code, `${c.name}: ${grpcStatus[err.code]} (${err.details})`);
      if (c.shroud !== '') assert.ok(err.details.startsWith(`${c.shroud}: `), `${c.name}: ${err.details}`);
    }
    // Every truncation of a good frame is refused as malformed.
    for (let length = 0; length < ct.length; length++) {
      const err = await grpcError(() => plugin.client.decrypt({ ...good, ciphertext: ct.subarray(0, length) }));
      assert.equal(err.code, grpcStatus.INVALID_ARGUMENT, `truncated to ${length}: ${err.details}`);
      assert.ok(err.details.startsWith('KMS_PLUGIN_CIPHERTEXT_INVALID: '), `truncated to ${length}: ${err.details}`);
    }
    const failed = plugin.logs.lines().filter((l) => l.msg === 'kms call failed');
    assert.equal(
      failed.length,
      cases.length - 1 + ct.length,
      'one log line per failed call (the 64 KiB one never reaches the handler)',
    );
  } finally {
    await plugin.close();
  }
});

test('shredded, unknown and hanging keys: typed errors, and the server stays up', async () => {
  let keyring = createKeyring();
  const provider = new LocalKeyringProvider(keyring);
  let hang = false;
  const hanging: KekProvider = {
    id: provider.id,
    wrap: (r) => (hang ? new Promise(() => undefined) : provider.wrap(r)),
    unwrap: (r) => (hang ? new Promise(() => undefined) : provider.unwrap(r)),
    status: () => (hang ? new Promise(() => undefined) : provider.status()),
  };
  const plugin = await startPlugin(() => hanging, { timeoutMs: 300 });
  try {
    const old = await plugin.client.encrypt(dek());
    keyring = rotateKeyring(keyring);
    provider.reload(keyring);
    keyring = retireKeyVersion(keyring, 1);
    provider.reload(keyring);
    assert.equal((await plugin.client.decrypt(old)).length, 32, 'a retired version still decrypts');
    provider.shred(1);
    await expectCode(() => plugin.client.decrypt(old), grpcStatus.FAILED_PRECONDITION, 'CRYPTO_KEY_DESTROYED');

    const stranger = new LocalKeyringProvider(createKeyring());
    const strangerPlugin = await startPlugin(() => stranger);
    const foreign = await strangerPlugin.client.encrypt(dek());
    await strangerPlugin.close();
    await expectCode(() => plugin.client.decrypt(foreign), grpcStatus.NOT_FOUND, 'CRYPTO_UNKNOWN_KEY');

    const current = await plugin.client.encrypt(dek());
    hang = true;
    await expectCode(() => plugin.client.decrypt(current), grpcStatus.DEADLINE_EXCEEDED, 'CRYPTO_PROVIDER_TIMEOUT');
    await expectCode(() => plugin.client.encrypt(dek()), grpcStatus.DEADLINE_EXCEEDED, 'CRYPTO_PROVIDER_TIMEOUT');
    const unhealthy = await plugin.client.status();
    assert.ok(unhealthy.healthz.startsWith('CRYPTO_PROVIDER_TIMEOUT: '), unhealthy.healthz);
    assert.equal(unhealthy.key_id, current.key_id, 'the last key_id while the provider does not answer');
    hang = false;
    assert.equal((await plugin.client.status()).healthz, 'ok', 'the server stayed up');
    assert.equal((await plugin.client.decrypt(current)).length, 32);
  } finally {
    await plugin.close();
  }
});

test('in-flight work is bounded: calls past the queue are refused at once with RESOURCE_EXHAUSTED', async () => {
  const provider = new LocalKeyringProvider(createKeyring());
  let hang = false;
  const slow: KekProvider = {
    id: provider.id,
    wrap: (r) => provider.wrap(r),
    unwrap: (r) => (hang ? new Promise(() => undefined) : provider.unwrap(r)),
    status: () => provider.status(),
  };
  const plugin = await startPlugin(() => slow, { timeoutMs: 2000, maxInFlight: 1, maxQueued: 1 });
  try {
    const good = await plugin.client.encrypt(dek());
    hang = true;
    const held = [plugin.client.decrypt(good), plugin.client.decrypt(good)].map((p) => p.catch((e: unknown) => e));
    for (let i = 0; i < 200 && plugin.service.load().queued < 1; i++) await sleep(10);
    assert.deepEqual(plugin.service.load(), { inFlight: 1, queued: 1 });
    await expectCode(() => plugin.client.decrypt(good), grpcStatus.RESOURCE_EXHAUSTED, 'KMS_PLUGIN_BUSY');
    assert.equal((await plugin.client.status()).healthz, 'ok', 'Status does not wait behind the queue');
    const results = (await Promise.all(held)) as ServiceError[];
    assert.deepEqual(
      results.map((e) => e.code),
      [grpcStatus.DEADLINE_EXCEEDED, grpcStatus.DEADLINE_EXCEEDED],
      'the running call and the queued one both end at the deadline',
    );
  } finally {
    await plugin.close();
  }
});

test('2,000 concurrent Decrypts all answer correctly', async () => {
  const provider = new LocalKeyringProvider(createKeyring());
  const plugin = await startPlugin(() => provider, {}, 30_000);
  try {
    const values = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const plaintext = dek();
        return { plaintext, encrypted: await plugin.client.encrypt(plaintext) };
      }),
    );
    const answers = await Promise.all(
      Array.from({ length: 2000 }, (_, i) => plugin.client.decrypt(values[i % values.length]!.encrypted)),
    );
    for (const [i, answer] of answers.entries())
      assert.deepEqual(answer, values[i % values.length]!.plaintext, `call ${i}`);
  } finally {
    await plugin.close();
  }
});

test('one log line per failed call; canary: neither plaintext nor key material reaches the log or an error', async () => {
  const keyring = createKeyring();
  const provider = new LocalKeyringProvider(keyring);
  const plugin = await startPlugin(() => provider);
  const canary = Buffer.from('CANARY-kms-plaintext-0123456789a', 'ascii');
  assert.equal(canary.length, 32);
  try {
    const encrypted = await plugin.client.encrypt(canary);
    assert.deepEqual(await plugin.client.decrypt(encrypted), canary);
    const errors = [
      await grpcError(() => plugin.client.encrypt(Buffer.concat([canary, Buffer.from('x')]))),
      await grpcError(() => plugin.client.decrypt({ ...encrypted, key_id: 'wrong' })),
      await grpcError(() => plugin.client.decrypt({ ...encrypted, annotations: {} })),
    ];
    const text = plugin.logs.text() + errors.map((e) => e.details).join('\n');
    const failed = plugin.logs.lines().filter((l) => l.msg === 'kms call failed');
    assert.deepEqual(
      failed.map(({ method, uid, code, grpcCode, level }) => ({ method, uid, code, grpcCode, level })),
      [
        {
          method: 'Encrypt',
          uid: 'test-uid',
          code: 'KMS_PLUGIN_REQUEST_INVALID',
          grpcCode: 'INVALID_ARGUMENT',
          level: 'warn',
        },
        {
          method: 'Decrypt',
          uid: 'test-uid',
          code: 'KMS_PLUGIN_KEY_ID_MISMATCH',
          grpcCode: 'INVALID_ARGUMENT',
          level: 'warn',
        },
        {
          method: 'Decrypt',
          uid: 'test-uid',
          code: 'KMS_PLUGIN_REQUEST_INVALID',
          grpcCode: 'INVALID_ARGUMENT',
          level: 'warn',
        },
      ],
      'one line per failed call: method, uid, code, gRPC status',
    );
    for (const form of [canary.toString('ascii'), canary.toString('hex'), canary.toString('base64')]) {
      assert.ok(!text.includes(form), 'the plaintext is not logged');
    }
    const kek = keyring.versions[0]!.material!.kek;
    assert.ok(!text.includes(Buffer.from(kek).toString('base64')) && !text.includes(Buffer.from(kek).toString('hex')));
  } finally {
    await plugin.close();
  }
});

test('the socket path: a stale socket is replaced, a live one and a non-socket file are refused', async (t) => {
  const dir = tempDir('shroud-kms-sock-');
  const provider = new LocalKeyringProvider(createKeyring());
  const logger = memoryLogger('silent').logger;
  const service = createKmsPluginService({ provider: () => provider });

  await t.test(
    'a socket left by a process that died is removed and served; a second plugin on it is refused',
    async () => {
      const path = join(dir, 'stale.sock');
      const child = spawn(
        process.execPath,
        ['-e', "require('net').createServer().listen(process.argv[1], () => console.log('up'))", path],
        // Not a test process: without NODE_TEST_CONTEXT it prints to stdout as a plain script.
        { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NODE_TEST_CONTEXT: undefined } },
      );
      await new Promise((done) => child.stdout.once('data', done));
      child.kill('SIGKILL');
      await new Promise((done) => child.once('exit', done));
      assert.ok(lstatSync(path).isSocket(), 'the dead process left its socket');
      const server = await startKmsSocketServer({ socketPath: path, service, logger });
      const client = upstreamClient(path);
      assert.equal((await client.status()).healthz, 'ok');

      await assert.rejects(startKmsSocketServer({ socketPath: path, service, logger }), (err: unknown) =>
        isShroudError(err, 'KMS_PLUGIN_SOCKET_INVALID'),
      );
      assert.equal((await client.status()).healthz, 'ok', 'the first one still serves');
      client.close();
      await server.close(1000);
      assert.equal(existsSync(path), false);
    },
  );

  await t.test('a regular file is never removed', async () => {
    const path = join(dir, 'not-a-socket');
    writeFileSync(path, 'keep me');
    await assert.rejects(startKmsSocketServer({ socketPath: path, service, logger }), (err: unknown) =>
      isShroudError(err, 'KMS_PLUGIN_SOCKET_INVALID'),
    );
    assert.equal(readFileSync(path, 'utf8'), 'keep me');
  });

  await t.test('a folder that does not exist', async () => {
    await assert.rejects(
      startKmsSocketServer({ socketPath: join(dir, 'missing', 'kms.sock'), service, logger }),
      (err: unknown) => isShroudError(err, 'KMS_PLUGIN_SOCKET_INVALID'),
    );
  });
});

test('close stops accepting, lets a call in flight finish, and removes the socket', async () => {
  const provider = new LocalKeyringProvider(createKeyring());
  let release: (() => void) | undefined;
  const gated: KekProvider = {
    id: provider.id,
    wrap: (r) => provider.wrap(r),
    unwrap: async (r) => {
      await new Promise<void>((done) => {
        release = done;
      });
      return provider.unwrap(r);
    },
    status: () => provider.status(),
  };
  const plugin = await startPlugin(() => gated);
  const plaintext = dek();
  const encrypted = await plugin.client.encrypt(plaintext);
  const answer = plugin.client.decrypt(encrypted);
  for (let i = 0; i < 200 && release === undefined; i++) await sleep(10);
  assert.ok(release, 'the Decrypt reached the provider');
  // Closing stops accepting at once (the socket goes); the call already in flight still gets its answer.
  const closed = plugin.server.close(5000);
  release();
  assert.deepEqual(await answer, plaintext);
  await closed;
  plugin.client.close();
  assert.equal(existsSync(plugin.socketPath), false);
});
