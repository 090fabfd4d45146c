/** `shroud kms-plugin` as a real process (the built bin), for tests that talk to it over its socket. */
import { strict as assert } from 'node:assert';
import { type ChildProcess, spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const repo = resolve(import.meta.dirname, '..', '..');

export interface PluginProcess {
  child: ChildProcess;
  out: { stdout: string; stderr: string };
  exited: Promise<number | null>;
}

/** Starts the real bin; resolves once it says it listens (or fails with what it printed). */
export async function startPluginProcess(
  argv: string[],
  cwd: string,
  env: Readonly<Record<string, string | undefined>> = {},
): Promise<PluginProcess> {
  const child = spawn(process.execPath, [join(repo, 'bin', 'shroud.js'), 'kms-plugin', ...argv], {
    cwd,
    env: { ...process.env, SHROUD_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (c: Buffer) => (out.stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out.stderr += c.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const deadline = Date.now() + 20_000;
  while (!out.stderr.includes('kms-plugin listening on unix://')) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      assert.fail(`kms-plugin did not start:\n${out.stderr}`);
    }
    await sleep(50);
  }
  return { child, out, exited };
}
