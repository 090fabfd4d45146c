/**
 * `shroud serve --workers N`: the real command (compiled build) with 1 and 2 workers, loaded
 * with the ~8 KB Deployment review over 50 keep-alive connections from this process. Prints
 * requests per second and server CPU per review (the primary and its workers, from /proc), with
 * the 2-worker figures as a ratio to 1 worker measured in the same run, in alternating rounds.
 * On a 2-core machine the load generator needs a core too, so this shows the cost of the
 * cluster more than its gain; on a node with spare cores the gain is what the ratio says.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deploymentReview } from './support/deployment-review.js';
import { type LoadResult, runLoad } from './support/load.js';
import { cpuMicros, treeSum } from './support/proc-stats.js';
import { stopChild, waitForOutput } from './support/target-process.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

interface Round {
  load: LoadResult;
  cpuPerReviewUs: number;
}

async function measure(workers: number, cwd: string, body: string, loadMs: number): Promise<Round> {
  const child = spawn(
    process.execPath,
    [join(root, 'bin', 'shroud.js'), 'serve', '--listen', '127.0.0.1:0', '--workers', String(workers)],
    {
      cwd,
      env: {
        ...process.env,
        SHROUD_LOG_LEVEL: 'info',
        SHROUD_SHUTDOWN_DELAY_MS: '0',
        SHROUD_METRICS_LISTEN: '127.0.0.1:0',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  try {
    const pattern = /listening on https:\/\/127\.0\.0\.1:(\d+)/;
    const port = Number((await waitForOutput(child, pattern, `serve --workers ${workers}`))[1]);
    // All workers up: wait until the listener has been announced `workers` times (or once).
    let seen = '';
    child.stderr?.on('data', (c: Buffer) => (seen += c.toString()));
    const deadline = Date.now() + 20_000;
    while (workers > 1 && (seen.match(/listening on/g)?.length ?? 0) < workers - 1 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const load = { port, path: '/validate', body, connections: 50 };
    await runLoad({ ...load, maxRequests: 3000, maxMs: 1500 });
    const pid = child.pid!;
    const before = treeSum(pid, cpuMicros);
    const result = await runLoad({ ...load, maxRequests: 100_000, maxMs: loadMs });
    const after = treeSum(pid, cpuMicros);
    return { load: result, cpuPerReviewUs: (after - before) / Math.max(1, result.requests) };
  } finally {
    await stopChild(child);
  }
}

export async function run(): Promise<void> {
  const cwd = mkdtempSync(join(tmpdir(), 'shroud-workers-bench-'));
  try {
    const body = JSON.stringify(deploymentReview());
    const loadMs = Number(process.env.BENCH_LOAD_MS ?? 3000);
    const best: Record<number, Round | undefined> = {};
    for (let round = 0; round < 3; round++) {
      for (const workers of [1, 2]) {
        const r = await measure(workers, cwd, body, loadMs);
        const prev = best[workers];
        if (prev === undefined || r.load.reqPerSec > prev.load.reqPerSec) best[workers] = r;
      }
    }
    const one = best[1]!;
    const two = best[2]!;
    console.log('serve --workers N, 8 KB Deployment, 50 connections, best of 3 alternating rounds');
    console.log('workers  req/s    CPU/review (µs)  non-200');
    for (const [n, r] of [
      [1, one],
      [2, two],
    ] as const) {
      console.log(
        `${String(n).padEnd(8)} ${r.load.reqPerSec.toFixed(0).padEnd(8)} ${r.cpuPerReviewUs.toFixed(0).padEnd(16)} ${r.load.non200}`,
      );
    }
    console.log(
      `2 workers vs 1: throughput ${(two.load.reqPerSec / one.load.reqPerSec).toFixed(2)}x, CPU per review ${(two.cpuPerReviewUs / one.cpuPerReviewUs).toFixed(2)}x`,
    );
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}
