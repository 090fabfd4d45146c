/**
 * Starts a benchmark target (webhook-target.ts) in its own process, so its CPU time, memory and
 * file descriptors can be read from /proc apart from the load generator's.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

export interface TargetProcess {
  mode: 'noop' | 'shroud';
  pid: number;
  port: number;
  /** SIGTERM, then SIGKILL after 10 s; resolves when the process has exited. */
  stop(): Promise<void>;
}

/** Waits for a line matching `pattern` on the child's stdout or stderr; rejects if it exits first. */
export function waitForOutput(
  child: ChildProcess,
  pattern: RegExp,
  what: string,
  timeoutMs = 60_000,
): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => finish(new Error(`${what}: no ${pattern} within ${timeoutMs} ms`)), timeoutMs);
    const onData = (c: Buffer): void => {
      out += c.toString();
      const m = pattern.exec(out);
      if (m) finish(undefined, m);
    };
    const onExit = (code: number | null): void => finish(new Error(`${what} exited with ${code} before ${pattern}`));
    const finish = (err?: Error, m?: RegExpExecArray): void => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve(m!);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
  });
}

/** Sends SIGTERM and waits for the exit, escalating to SIGKILL after `graceMs`. */
export function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Starts a target; `nodeArgs` go before the script (for example `--cpu-prof`). */
export async function startTarget(
  mode: 'noop' | 'shroud',
  certDir: string,
  options: { nodeArgs?: string[]; env?: NodeJS.ProcessEnv } = {},
): Promise<TargetProcess> {
  const child = spawn(
    process.execPath,
    [...(options.nodeArgs ?? []), '--import', 'tsx', join(here, 'webhook-target.ts'), mode, certDir],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...options.env } },
  );
  const m = await waitForOutput(child, /PORT (\d+)/, `${mode} target`);
  child.stdout?.resume();
  return { mode, pid: child.pid!, port: Number(m[1]), stop: () => stopChild(child) };
}
