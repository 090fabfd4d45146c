import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseKeyring } from '../../src/crypto/index.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp-dir.js';

const BIN = fileURLToPath(new URL('../../bin/shroud.js', import.meta.url));
const FAKE_KEYS = '{"versions":[{"kek":"CANARY-fake-key-material-0002"}]}';

interface Run {
  code: number | null;
  stderr: string;
}

/** Runs the built CLI (dist/) as its own process, killed after 60 s at most. */
function runBin(args: string[], cwd: string): Promise<Run> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd,
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 60_000,
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stderr }));
  });
}

const versionsIn = (file: string) => parseKeyring(readFileSync(file, 'utf8')).versions.length;

test('8 concurrent "keys rotate" processes serialise or fail clearly: never a lost version', async () => {
  const cwd = tempDir();
  const file = join(cwd, 'k.json');
  assert.equal(
    spawnSync(process.execPath, [BIN, 'keys', 'init', '--keyring', 'k.json'], { cwd, timeout: 60_000 }).status,
    0,
  );
  const runs = await Promise.all(
    Array.from({ length: 8 }, () => runBin(['keys', 'rotate', '--keyring', 'k.json'], cwd)),
  );
  const ok = runs.filter((r) => r.code === 0).length;
  for (const r of runs.filter((x) => x.code !== 0)) assert.match(r.stderr, /^CRYPTO_KEYRING_BUSY: /, r.stderr);
  assert.equal(versionsIn(file), 1 + ok, `${ok} rotations succeeded`);
  assert.ok(ok >= 1);
  assert.deepEqual(readdirSync(cwd), ['k.json'], 'no lock or temp file is left behind');
});

test('keys rotate recovers a lock left by a process that died', async () => {
  const cwd = tempDir();
  const file = join(cwd, 'k.json');
  await runCli(['keys', 'init', '--keyring', 'k.json'], { cwd });
  const dead = spawnSync(process.execPath, ['-e', ''], { timeout: 10_000 }).pid;
  writeFileSync(`${file}.lock`, JSON.stringify({ pid: dead, host: hostname(), since: new Date().toISOString() }));
  const r = await runBin(['keys', 'rotate', '--keyring', 'k.json'], cwd);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(versionsIn(file), 2);
  assert.equal(existsSync(`${file}.lock`), false);
});

const crashLeftovers = ['.k.json.tmp-0a1b2c3d4e5f', '.k.json.0a1b2c3d4e5f.tmp'];

test('a temp file left by a crash (holding keys) is removed by the next rotate, and by shred, which says so', async () => {
  const cwd = tempDir();
  await runCli(['keys', 'init', '--keyring', 'k.json'], { cwd });
  const plant = () => {
    for (const name of crashLeftovers) writeFileSync(join(cwd, name), FAKE_KEYS, { mode: 0o600 });
  };
  plant();
  assert.equal((await runCli(['keys', 'rotate', '--keyring', 'k.json'], { cwd })).code, 0);
  for (const name of crashLeftovers) assert.equal(existsSync(join(cwd, name)), false, `rotate removed ${name}`);
  assert.equal((await runCli(['keys', 'rotate', '--keyring', 'k.json'], { cwd })).code, 0);
  assert.equal((await runCli(['keys', 'retire', '--keyring', 'k.json', '--version', '1'], { cwd })).code, 0);
  plant();
  const shred = await runCli(['keys', 'shred', '--keyring', 'k.json', '--version', '1', '--yes'], { cwd });
  assert.equal(shred.code, 0, shred.stderr);
  for (const name of crashLeftovers) {
    assert.equal(existsSync(join(cwd, name)), false, `shred removed ${name}`);
    assert.ok(shred.stdout.includes(name), shred.stdout);
  }
  assert.match(shred.stdout, /Removed 2 leftover temporary keyring file\(s\)/);
  assert.deepEqual(readdirSync(cwd), ['k.json']);
  assert.equal(readFileSync(join(cwd, 'k.json'), 'utf8').includes('CANARY'), false);
});
