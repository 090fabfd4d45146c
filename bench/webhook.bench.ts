/**
 * Whole-webhook throughput: Shroud's /validate against a no-op express 5 HTTPS webhook on the
 * same stack, both in a child process, driven from this process over 10 keep-alive connections
 * with an ~8 KB Deployment review. Goal (DESIGN.md): Shroud >= 0.85x the baseline.
 * The load generator shares the two cores with the server, so absolute rates are low; the
 * targets run in alternating rounds and each keeps its best round, to damp the machine's noise.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeCertFiles } from '../src/tls/index.js';
import { generateCertBundle } from '../src/tls/index.js';
import { deploymentReview } from './support/deployment-review.js';
import { runLoad, type LoadResult } from './support/load.js';

const here = dirname(fileURLToPath(import.meta.url));

async function measureTarget(
  mode: 'noop' | 'shroud',
  certDir: string,
  body: string,
  loadMs: number,
): Promise<LoadResult> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(here, 'support', 'webhook-target.ts'), mode, certDir],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        const m = /PORT (\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      child.once('exit', (code) => reject(new Error(`${mode} target exited with ${code}`)));
    });
    const load = { port, path: '/validate', body, connections: 10 };
    await runLoad({ ...load, maxRequests: 3000, maxMs: 1500 }); // warm-up: JIT, TLS sessions
    return await runLoad({ ...load, maxRequests: 60_000, maxMs: loadMs });
  } finally {
    child.kill('SIGTERM');
  }
}

export async function run(): Promise<void> {
  const certDir = mkdtempSync(join(tmpdir(), 'shroud-bench-'));
  try {
    await writeCertFiles(certDir, generateCertBundle({ names: ['localhost'], days: 1 }), { force: false });
    const body = JSON.stringify(deploymentReview());
    const rounds = 3;
    const loadMs = Number(process.env.BENCH_LOAD_MS ?? 2500);
    let noop: LoadResult | undefined;
    let shroud: LoadResult | undefined;
    const best = (a: LoadResult | undefined, b: LoadResult): LoadResult => (a && a.reqPerSec >= b.reqPerSec ? a : b);
    for (let i = 0; i < rounds; i++) {
      noop = best(noop, await measureTarget('noop', certDir, body, loadMs));
      shroud = best(shroud, await measureTarget('shroud', certDir, body, loadMs));
    }
    if (!noop || !shroud) return;
    console.log(
      `\nwebhook throughput, ${(body.length / 1024).toFixed(1)} KB Deployment review, 10 connections, HTTPS, best of ${rounds} alternating rounds`,
    );
    for (const [name, r] of [
      ['no-op express 5 (baseline)', noop],
      ['shroud /validate', shroud],
    ] as const) {
      console.log(
        `  ${name.padEnd(28)} ${Math.round(r.reqPerSec).toLocaleString('en-US').padStart(8)} req/s  (${r.requests} requests, ${r.non200} non-200)`,
      );
    }
    console.log(`  ratio shroud / baseline: ${(shroud.reqPerSec / noop.reqPerSec).toFixed(2)}x (goal >= 0.85x)`);
  } finally {
    rmSync(certDir, { recursive: true, force: true });
  }
}
