import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { test } from 'node:test';
import {
  createKeyring,
  keyringLockPath,
  loadKeyring,
  rotateKeyring,
  saveKeyring,
  serializeKeyring,
  updateKeyring,
} from '../../src/crypto/index.js';
import { writeFileAtomic } from '../../src/fs/write-file-atomic.js';
import { rejectsWithCode } from '../helpers/crypto.js';
import { tempDir } from '../helpers/temp-dir.js';

const posix = process.platform !== 'win32';
const FAKE_KEYS = '{"versions":[{"kek":"CANARY-fake-key-material-0001"}]}';

/** The pid of a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', ''], { timeout: 10_000 });
  assert.ok(r.pid !== undefined && r.pid > 0);
  return r.pid;
}

const creations = [
  { name: 'a key file (final mode 0600)', mode: 0o600 },
  { name: 'a public file (final mode 0644)', mode: 0o644 },
];
for (const c of creations) {
  test(`writeFileAtomic: the temp file of ${c.name} is hidden, in the same folder and 0600 from the moment it exists`, async () => {
    const file = join(tempDir(), 'target.pem');
    const seen: { temp: string; mode: number; size: number }[] = [];
    await writeFileAtomic(file, 'content', {
      mode: c.mode,
      onTempCreated: (temp) => {
        const info = statSync(temp);
        seen.push({ temp, mode: info.mode & 0o777, size: info.size });
      },
    });
    assert.equal(seen.length, 1, 'the hook saw the temp file');
    const [s] = seen;
    assert.equal(dirname(s!.temp), dirname(file));
    assert.match(basename(s!.temp), /^\.target\.pem\.tmp-[0-9a-f]{12}$/);
    if (posix) {
      assert.equal(s!.mode, 0o600);
      assert.equal(statSync(file).mode & 0o777, c.mode);
    }
    assert.equal(s!.size, 0);
    assert.deepEqual(readdirSync(dirname(file)), ['target.pem']);
  });
}

test('saveKeyring: a write interrupted after the temp file exists leaves the old keyring and no temp file', async () => {
  const file = join(tempDir(), 'keyring.json');
  const k = createKeyring();
  await saveKeyring(file, k);
  const modes: number[] = [];
  await assert.rejects(
    saveKeyring(file, rotateKeyring(k), {
      overwrite: true,
      onTempCreated: (temp) => {
        modes.push(statSync(temp).mode & 0o777);
        throw new Error('interrupted');
      },
    }),
    /interrupted/,
  );
  if (posix) assert.deepEqual(modes, [0o600]);
  assert.equal(serializeKeyring(await loadKeyring(file)), serializeKeyring(k));
  assert.deepEqual(readdirSync(dirname(file)), ['keyring.json']);
});

test('writeFileAtomic sweeps leftover temp files of the same file older than a minute, and only those', async () => {
  const dir = tempDir();
  const file = join(dir, 'tls.key');
  const old = Date.now() / 1000 - 120;
  const planted = [
    { name: '.tls.key.tmp-0123456789ab', age: 'old', swept: true },
    { name: '.tls.key.0123456789ab.tmp', age: 'old', swept: true }, // the name earlier versions used
    { name: '.tls.key.tmp-ba9876543210', age: 'fresh', swept: false }, // another writer may be using it
    { name: '.other.key.tmp-0123456789ab', age: 'old', swept: false }, // another file's
    { name: '.tls.key.tmp-notes', age: 'old', swept: false }, // not a name shroud makes
  ];
  for (const p of planted) {
    writeFileSync(join(dir, p.name), FAKE_KEYS, { mode: 0o600 });
    if (p.age === 'old') utimesSync(join(dir, p.name), old, old);
  }
  const { swept } = await writeFileAtomic(file, 'new', 0o600);
  for (const p of planted) assert.equal(existsSync(join(dir, p.name)), !p.swept, p.name);
  assert.deepEqual(
    swept.map((s) => basename(s)).sort(),
    planted
      .filter((p) => p.swept)
      .map((p) => p.name)
      .sort(),
  );
});

test('a keyring write (under its lock) sweeps every leftover temp file of the keyring, even a fresh one', async () => {
  const dir = tempDir();
  const file = join(dir, 'keyring.json');
  await saveKeyring(file, createKeyring());
  const crash = join(dir, '.keyring.json.tmp-00112233aabb');
  writeFileSync(crash, FAKE_KEYS, { mode: 0o600 });
  const { swept, keyring } = await updateKeyring(file, rotateKeyring);
  assert.deepEqual(swept, [crash]);
  assert.equal(existsSync(crash), false);
  assert.equal(keyring.versions.length, 2);
  assert.deepEqual(readdirSync(dir), ['keyring.json'], 'no temp or lock file is left behind');
});

const staleLocks = [
  { name: "its holder's pid is gone", pid: () => deadPid(), ageSeconds: 0 },
  { name: 'it is older than the stale limit (holder alive)', pid: () => process.ppid, ageSeconds: 120 },
  { name: 'it is empty (holder crashed while writing it) and old', pid: undefined, ageSeconds: 120 },
];
for (const s of staleLocks) {
  test(`a stale keyring lock is broken when ${s.name}`, async () => {
    const dir = tempDir();
    const file = join(dir, 'keyring.json');
    await saveKeyring(file, createKeyring());
    const lock = keyringLockPath(file);
    writeFileSync(
      lock,
      s.pid === undefined ? '' : JSON.stringify({ pid: s.pid(), host: hostname(), since: new Date().toISOString() }),
    );
    if (s.ageSeconds > 0) {
      const t = Date.now() / 1000 - s.ageSeconds;
      utimesSync(lock, t, t);
    }
    const { keyring } = await updateKeyring(file, rotateKeyring, { lockWaitMs: 5_000 });
    assert.equal(keyring.versions.length, 2);
    assert.equal((await loadKeyring(file)).versions.length, 2);
    assert.deepEqual(readdirSync(dir), ['keyring.json']);
  });
}

test('a live keyring lock makes a write wait, then fail with CRYPTO_KEYRING_BUSY naming the holder and the lock file', async () => {
  const dir = tempDir();
  const file = join(dir, 'keyring.json');
  const k = createKeyring();
  await saveKeyring(file, k);
  const lock = keyringLockPath(file);
  const held = JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() });
  writeFileSync(lock, held);
  const err = await rejectsWithCode(updateKeyring(file, rotateKeyring, { lockWaitMs: 100 }), 'CRYPTO_KEYRING_BUSY');
  assert.match(err.message, new RegExp(`pid ${process.pid}`));
  assert.ok(err.message.includes(lock), err.message);
  assert.equal(readFileSync(lock, 'utf8'), held, "another holder's lock is left alone");
  assert.equal(serializeKeyring(await loadKeyring(file)), serializeKeyring(k));
  await rejectsWithCode(
    saveKeyring(join(dir, 'keyring.json'), k, { overwrite: true, lockWaitMs: 100 }),
    'CRYPTO_KEYRING_BUSY',
  );
});

test('compare-before-rename: a keyring changed behind the lock is not overwritten (CRYPTO_KEYRING_BUSY)', async () => {
  const dir = tempDir();
  const file = join(dir, 'keyring.json');
  await saveKeyring(file, createKeyring());
  const other = serializeKeyring(rotateKeyring(await loadKeyring(file)));
  const err = await rejectsWithCode(
    updateKeyring(file, (k) => {
      writeFileSync(file, other, { mode: 0o600 }); // a writer that ignores the lock
      return rotateKeyring(k);
    }),
    'CRYPTO_KEYRING_BUSY',
  );
  assert.match(err.message, /changed by another command/);
  assert.equal(readFileSync(file, 'utf8'), other, "the other writer's update is kept");
  assert.deepEqual(readdirSync(dir), ['keyring.json']);
});
