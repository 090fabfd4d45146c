import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { test } from 'node:test';

const bin = join(resolve(import.meta.dirname, '..', '..'), 'bin', 'shroud.js');

test('a reader that closes the pipe early (shroud export vap | head -1) ends the command quietly, not with a crash', async () => {
  const child = spawn(process.execPath, [bin, 'export', 'vap'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  // Read the first chunk, then close our end, as `head -1` does.
  await new Promise<void>((done) => child.stdout.once('data', () => done()));
  child.stdout.destroy();
  const code = await new Promise<number | null>((done) => child.once('exit', (c) => done(c)));
  assert.equal(code, 0, stderr);
  assert.doesNotMatch(stderr, /EPIPE|Unhandled|at .*\(node:/);
});
