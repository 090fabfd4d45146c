/**
 * Where a review's CPU goes: runs the no-op and the Shroud targets under `node --cpu-prof`,
 * drives the same load at each (the ~8 KB Deployment on 10 connections by default), and prints
 * self time per area of the request path in µs per review, side by side, with the difference,
 * then Shroud's top functions by self time.
 *
 *   npx tsx bench/webhook-profile.ts            (PROFILE_MS=15000, PROFILE_BODY=deployment)
 *
 * Sampled time is the main thread only (GC helper threads are not in it) and includes start-up
 * (shown as "module loading", left out of the per-review figures).
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateCertBundle, writeCertFiles } from '../src/tls/index.js';
import { type ProfileSummary, summariseProfile } from './support/cpu-profile.js';
import { runLoad } from './support/load.js';
import { cpuMicros } from './support/proc-stats.js';
import { BENCH_BODIES } from './support/review-bodies.js';
import { startTarget } from './support/target-process.js';

const profileMs = Number(process.env.PROFILE_MS ?? 15_000);
const bodyName = (process.env.PROFILE_BODY ?? 'deployment').toLowerCase();
const connections = Number(process.env.PROFILE_CONNECTIONS ?? 10);

async function profileTarget(
  mode: 'noop' | 'shroud',
  certDir: string,
  body: string,
): Promise<{ summary: ProfileSummary; reviews: number; cpuUs: number }> {
  const dir = mkdtempSync(join(tmpdir(), `shroud-prof-${mode}-`));
  try {
    const target = await startTarget(mode, certDir, {
      nodeArgs: ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-interval', '250'],
    });
    const cpuStart = cpuMicros(target.pid);
    const warm = await runLoad({
      port: target.port,
      path: '/validate',
      body,
      connections,
      maxRequests: 5000,
      maxMs: 3000,
    });
    const r = await runLoad({
      port: target.port,
      path: '/validate',
      body,
      connections,
      maxRequests: 500_000,
      maxMs: profileMs,
    });
    const cpuUs = cpuMicros(target.pid) - cpuStart;
    await target.stop();
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error(`${mode}: no .cpuprofile written in ${dir}`);
    return { summary: summariseProfile(join(dir, file)), reviews: warm.requests + r.requests, cpuUs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const AREAS = [
  'TLS',
  'JSON.parse',
  'express',
  'node http',
  'node streams/net',
  'admission route',
  'engine',
  'logging',
  'JSON.stringify',
  'crypto (randomUUID)',
  'GC',
  'native, unattributed',
  'other',
];

async function main(): Promise<void> {
  const b = BENCH_BODIES.find((x) => x.name.toLowerCase().includes(bodyName));
  if (!b) throw new Error(`PROFILE_BODY: no body matches "${bodyName}"`);
  const body = JSON.stringify(b.review());
  const certDir = mkdtempSync(join(tmpdir(), 'shroud-prof-certs-'));
  try {
    await writeCertFiles(certDir, generateCertBundle({ names: ['localhost'], days: 1 }), { force: false });
    const noop = await profileTarget('noop', certDir, body);
    const shroud = await profileTarget('shroud', certDir, body);
    // The profiler samples the main thread on a wall clock, so a busy machine inflates its
    // times; each area's share of the sampled time is applied to the /proc CPU per review.
    const cpuPerReview = (p: typeof noop): number => p.cpuUs / p.reviews;
    const share = (p: typeof noop, area: string): number => {
      const busy = p.summary.busyMs - (p.summary.byArea.get('module loading') ?? 0);
      return (p.summary.byArea.get(area) ?? 0) / busy;
    };
    console.log(
      `\nCPU profile, ${b.name} (${(body.length / 1024).toFixed(1)} KB), ${connections} connections, ${profileMs / 1000} s after a warm-up`,
    );
    console.log(
      `  reviews: no-op ${noop.reviews}, Shroud ${shroud.reviews}; server CPU (/proc, all threads): no-op ${cpuPerReview(noop).toFixed(0)} µs/review, Shroud ${cpuPerReview(shroud).toFixed(0)} µs/review`,
    );
    console.log(
      '  each area: its share of the sampled main-thread time, and that share of the CPU per review\n' +
        `  ${'area'.padEnd(22)} ${'no-op %'.padStart(8)} ${'Shroud %'.padStart(9)} ${'no-op µs'.padStart(9)} ${'Shroud µs'.padStart(10)} ${'+µs'.padStart(7)}`,
    );
    for (const area of AREAS) {
      const n = share(noop, area);
      const s = share(shroud, area);
      const nUs = n * cpuPerReview(noop);
      const sUs = s * cpuPerReview(shroud);
      console.log(
        `  ${area.padEnd(22)} ${(n * 100).toFixed(1).padStart(8)} ${(s * 100).toFixed(1).padStart(9)} ${nUs.toFixed(1).padStart(9)} ${sUs.toFixed(1).padStart(10)} ${(sUs - nUs).toFixed(1).padStart(7)}`,
      );
    }
    console.log(
      `  (start-up, not in the shares: module loading no-op ${(noop.summary.byArea.get('module loading') ?? 0).toFixed(0)} ms, Shroud ${(shroud.summary.byArea.get('module loading') ?? 0).toFixed(0)} ms)`,
    );
    const busy = shroud.summary.busyMs - (shroud.summary.byArea.get('module loading') ?? 0);
    console.log(`\n  Shroud's top functions by self time (share of sampled time, and µs per review as above)`);
    for (const f of shroud.summary.functions.filter((x) => x.area !== 'module loading').slice(0, 30)) {
      const fShare = f.selfMs / busy;
      console.log(
        `  ${(fShare * 100).toFixed(1).padStart(5)}% ${(fShare * cpuPerReview(shroud)).toFixed(1).padStart(6)}  ${f.area.padEnd(20)} ${f.name.slice(0, 36).padEnd(36)} ${f.where}`,
      );
    }
  } finally {
    rmSync(certDir, { recursive: true, force: true });
  }
}

await main();
