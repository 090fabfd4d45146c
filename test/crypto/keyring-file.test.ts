import { strict as assert } from 'node:assert';
import { chmodSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../helpers/temp-dir.js';
import {
  createKeyring,
  ensureKeyring,
  loadKeyring,
  rotateKeyring,
  saveKeyring,
  serializeKeyring,
} from '../../src/crypto/index.js';
import { rejectsWithCode } from '../helpers/crypto.js';

const posix = process.platform !== 'win32';

test('saveKeyring creates the directory 0700 and the file 0600, and loadKeyring reads it back', async () => {
  const dir = join(tempDir(), '.shroud');
  const file = join(dir, 'keyring.json');
  const k = createKeyring();
  await saveKeyring(file, k);
  if (posix) {
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
  }
  assert.equal(serializeKeyring(await loadKeyring(file)), serializeKeyring(k));
  assert.deepEqual(readdirSync(dir), ['keyring.json'], 'no temp file is left behind');
});

test('saveKeyring refuses to replace a keyring unless told to overwrite', async () => {
  const file = join(tempDir(), 'keyring.json');
  const k = createKeyring();
  await saveKeyring(file, k);
  await rejectsWithCode(saveKeyring(file, createKeyring()), 'CRYPTO_KEYRING_EXISTS');
  assert.equal((await loadKeyring(file)).keyringId, k.keyringId);
  const rotated = rotateKeyring(k);
  await saveKeyring(file, rotated, { overwrite: true });
  assert.equal((await loadKeyring(file)).versions.length, 2);
  assert.deepEqual(readdirSync(join(file, '..')), ['keyring.json']);
});

for (const mode of [0o644, 0o640, 0o604, 0o660]) {
  test(`loadKeyring refuses a keyring with mode ${mode.toString(8)}`, { skip: !posix }, async () => {
    const file = join(tempDir(), 'keyring.json');
    await saveKeyring(file, createKeyring());
    chmodSync(file, mode);
    const err = await rejectsWithCode(loadKeyring(file), 'CRYPTO_KEYRING_PERMISSIONS');
    assert.match(err.message, /chmod 600/);
  });
}

test('loadKeyring: a missing file is CRYPTO_KEYRING_NOT_FOUND, a damaged one CRYPTO_KEYRING_CORRUPT', async () => {
  const dir = tempDir();
  await rejectsWithCode(loadKeyring(join(dir, 'none.json')), 'CRYPTO_KEYRING_NOT_FOUND');
  const file = join(dir, 'keyring.json');
  await saveKeyring(file, createKeyring());
  const text = readFileSync(file, 'utf8');
  writeFileSync(file, text.replace(/"createdAt": "2/, '"createdAt": "1'), { mode: 0o600 });
  const err = await rejectsWithCode(loadKeyring(file), 'CRYPTO_KEYRING_CORRUPT');
  assert.ok(err.message.startsWith(file));
  await rejectsWithCode(loadKeyring(dir), 'CRYPTO_KEYRING_CORRUPT');
});

test('loadKeyring never echoes a field of the keyring file in its error', async () => {
  const dir = tempDir();
  const file = join(dir, 'keyring.json');
  await saveKeyring(file, createKeyring());
  const canary = 'CANARY-a81f33-key-material';
  const text = readFileSync(file, 'utf8').replace(/"formatVersion": \d+/, `"formatVersion": "${canary}"`);
  assert.ok(text.includes(canary));
  writeFileSync(file, text, { mode: 0o600 });
  const err = await rejectsWithCode(loadKeyring(file), 'CRYPTO_KEYRING_CORRUPT');
  assert.ok(!err.message.includes(canary), err.message);
});

test('ensureKeyring creates a keyring on first call and loads the same one afterwards', async () => {
  const file = join(tempDir(), '.shroud', 'keyring.json');
  const first = await ensureKeyring(file);
  assert.equal(first.created, true);
  const second = await ensureKeyring(file);
  assert.equal(second.created, false);
  assert.equal(second.keyring.keyringId, first.keyring.keyringId);
});

test('ensureKeyring racing itself yields one keyring', async () => {
  const file = join(tempDir(), 'keyring.json');
  const results = await Promise.all([ensureKeyring(file), ensureKeyring(file), ensureKeyring(file)]);
  assert.equal(new Set(results.map((r) => r.keyring.keyringId)).size, 1);
  assert.equal(results.filter((r) => r.created).length, 1);
});

test('ensureKeyring does not replace a bad keyring', { skip: !posix }, async () => {
  const file = join(tempDir(), 'keyring.json');
  await saveKeyring(file, createKeyring());
  chmodSync(file, 0o644);
  await rejectsWithCode(ensureKeyring(file), 'CRYPTO_KEYRING_PERMISSIONS');
});
