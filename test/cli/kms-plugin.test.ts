import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createKeyring, rotateKeyring, saveKeyring, updateKeyring } from '../../src/crypto/index.js';
import { startPluginProcess } from '../helpers/kms-plugin-process.js';
import { tempDir } from '../helpers/temp-dir.js';
import { upstreamClient } from '../kms/upstream-client.js';

const repo = resolve(import.meta.dirname, '..', '..');

test('shroud kms-plugin (real process): serves, sees a keys rotate without restart, stops on SIGTERM and removes its socket', async () => {
  const dir = tempDir('shroud-kms-cli-');
  const keyringPath = join(dir, 'keys', 'keyring.json');
  await saveKeyring(keyringPath, createKeyring());
  const socketPath = join(dir, 'kms.sock');
  const { child, out, exited } = await startPluginProcess(
    ['--socket', socketPath, '--keyring', keyringPath, '--poll-interval-ms', '200'],
    dir,
  );
  const client = upstreamClient(socketPath);
  try {
    assert.equal(statSync(socketPath).mode & 0o777, 0o600);
    const before = await client.status();
    assert.equal(before.healthz, 'ok');
    const plaintext = Buffer.alloc(32, 7);
    const encrypted = await client.encrypt(plaintext);
    assert.equal(encrypted.key_id, before.key_id);

    await updateKeyring(keyringPath, rotateKeyring);
    let after = await client.status();
    for (let i = 0; i < 200 && after.key_id === before.key_id; i++) {
      await sleep(50);
      after = await client.status();
    }
    assert.notEqual(after.key_id, before.key_id, 'Status reports the rotated key without a restart');
    assert.match(after.key_id, /^local:[0-9a-f]+:v2:[0-9a-f]{32}$/);
    assert.equal((await client.encrypt(plaintext)).key_id, after.key_id);
    assert.deepEqual(await client.decrypt(encrypted), plaintext, 'the old ciphertext still decrypts');
  } finally {
    client.close();
    child.kill('SIGTERM');
  }
  assert.equal(await exited, 0, out.stderr);
  assert.equal(existsSync(socketPath), false, 'the socket is removed');
  assert.ok(!out.stdout.includes(Buffer.alloc(32, 7).toString('base64')), 'no plaintext in the log');
});

test('shroud kms-plugin refuses to start without --socket, on a non-socket file, or without a keyring', async (t) => {
  const dir = tempDir('shroud-kms-cli-');
  const keyringPath = join(dir, 'keyring.json');
  await saveKeyring(keyringPath, createKeyring());
  const cases = [
    { name: 'no --socket', argv: ['--keyring', keyringPath], code: 2, says: 'CLI_USAGE: --socket PATH' },
    {
      name: 'the keyring file as the socket',
      argv: ['--socket', keyringPath, '--keyring', keyringPath],
      code: 3,
      says: 'KMS_PLUGIN_SOCKET_INVALID',
    },
    {
      name: 'no keyring',
      argv: ['--socket', join(dir, 's.sock'), '--keyring', join(dir, 'none.json')],
      code: 3,
      says: 'CRYPTO_KEYRING_NOT_FOUND',
    },
  ];
  for (const c of cases) {
    await t.test(c.name, async () => {
      const child = spawn(process.execPath, [join(repo, 'bin', 'shroud.js'), 'kms-plugin', ...c.argv], {
        cwd: dir,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const code = await new Promise<number | null>((done) => child.once('exit', done));
      assert.equal(code, c.code, stderr);
      assert.ok(stderr.includes(c.says), stderr);
    });
  }
  assert.ok(existsSync(keyringPath), 'the keyring file given as --socket is left alone');
});
