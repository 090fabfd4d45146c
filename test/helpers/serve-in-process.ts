import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CliIO } from '../../src/cli/io.js';
import { run } from '../../src/cli/run.js';

/** A `shroud serve` running in this process on 127.0.0.1 and a free port. */
export interface ServingInProcess {
  port: number;
  cwd: string;
  /** The dev CA that signs its serving certificate. */
  ca: string;
  stderr: () => string;
  /** Stops it as SIGINT does; resolves with its exit code. */
  stop: () => Promise<number>;
}

/**
 * Runs `shroud serve --listen 127.0.0.1:0 ARGS` in `cwd` with quiet logs, fast polling and no
 * shutdown delay (`env` adds or overrides), and waits until it listens.
 */
export async function serveInProcess(
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<ServingInProcess> {
  let stderr = '';
  let stop: ((signal: NodeJS.Signals) => void) | undefined;
  const io: CliIO = {
    stdout: { write: () => true },
    stderr: { write: (s: string) => (stderr += s) },
    stdin: Readable.from([]),
    env: {
      SHROUD_LOG_LEVEL: 'silent',
      SHROUD_POLL_INTERVAL_MS: '200',
      SHROUD_SHUTDOWN_DELAY_MS: '0',
      // Tests bind ephemeral ports only: never the metrics default, 9090.
      SHROUD_METRICS_LISTEN: '127.0.0.1:0',
      ...env,
    },
    cwd,
    onSignal: (handler) => {
      stop = handler;
    },
  };
  const exited = run(['serve', '--listen', '127.0.0.1:0', ...args], io);
  let port = 0;
  let code: number | undefined;
  void exited.then((c) => (code = c));
  for (let i = 0; i < 400 && port === 0 && code === undefined; i++) {
    port = Number(/listening on https:\/\/127\.0\.0\.1:(\d+)/.exec(stderr)?.[1] ?? 0);
    if (port === 0) await sleep(50);
  }
  assert.ok(port > 0, `serve did not start (exit ${code}):\n${stderr}`);
  return {
    port,
    cwd,
    ca: readFileSync(join(cwd, 'certs', 'ca.crt'), 'utf8'),
    stderr: () => stderr,
    stop: () => {
      stop?.('SIGINT');
      return exited;
    },
  };
}
