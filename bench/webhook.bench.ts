/**
 * Whole-webhook cost: Shroud's /validate against a no-op express 5 webhook, both listening
 * through Shroud's own `listenHttps` (same TLS settings and connection handling), each in a
 * child process, driven from this process over keep-alive TLS connections.
 *
 * For a small Pod, the ~8 KB Deployment and a ~200 KB ConfigMap, at 10 and 50 connections:
 * - throughput (requests per second), and
 * - server CPU time per review: the child's user + system time (/proc/PID/stat) over the run,
 *   divided by the reviews answered. On a shared 2-core machine the load generator saturates
 *   first, so throughput ratios hide cost; CPU per review does not.
 * Then p50/p99 latency in open-loop runs at half the measured maximum rate (alternating rounds
 * again, lowest p99 kept), and Shroud's RSS after 100k small-Pod reviews.
 *
 * The same runs measure a third target, Shroud with its metrics recorders wired in as `serve` wires
 * them (issue 18), and print its CPU per review against Shroud's without them.
 *
 * Goals (issue 13): CPU per review <= 1.1x the no-op, throughput >= 0.90x, p99 < 5 ms at half
 * saturation. The targets run in alternating rounds (order flipped each round) and each keeps
 * its best round per figure (highest rate, lowest CPU per review), to damp the machine's noise.
 *
 * Settings: BENCH_LOAD_MS (2500 per round), BENCH_ROUNDS (3), BENCH_LATENCY_MS (4000),
 * BENCH_RSS_REVIEWS (100000; 0 skips), BENCH_BODIES (names, comma-separated, to run fewer).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateCertBundle, writeCertFiles } from '../src/tls/index.js';
import { envNumber, percentile, runLoad, runOpenLoop } from './support/load.js';
import { cpuMicros, mib, rssBytes } from './support/proc-stats.js';
import { BENCH_BODIES } from './support/review-bodies.js';
import { startTarget, type TargetProcess } from './support/target-process.js';

interface Best {
  reqPerSec: number;
  cpuUsPerReview: number;
  requests: number;
  non200: number;
}

interface Row {
  body: string;
  connections: number;
  noop: Best;
  shroud: Best;
  metrics: Best;
}

type TargetName = 'noop' | 'shroud' | 'metrics';
const ROUND_ORDERS: readonly (readonly TargetName[])[] = [
  ['noop', 'shroud', 'metrics'],
  ['metrics', 'shroud', 'noop'],
];

async function measureRound(target: TargetProcess, body: string, connections: number, loadMs: number) {
  const cpuBefore = cpuMicros(target.pid);
  const r = await runLoad({
    port: target.port,
    path: '/validate',
    body,
    connections,
    maxRequests: 200_000,
    maxMs: loadMs,
  });
  const cpu = cpuMicros(target.pid) - cpuBefore;
  return { ...r, cpuUsPerReview: cpu / Math.max(1, r.requests) };
}

const fmt = (n: number, digits = 0): string =>
  Number.isFinite(n)
    ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : '-';

export async function run(): Promise<void> {
  const loadMs = envNumber('BENCH_LOAD_MS', 2500);
  const rounds = envNumber('BENCH_ROUNDS', 3);
  const latencyMs = envNumber('BENCH_LATENCY_MS', 4000);
  const rssReviews = envNumber('BENCH_RSS_REVIEWS', 100_000);
  const only = process.env.BENCH_BODIES?.split(',').map((s) => s.trim().toLowerCase());
  const bodies = BENCH_BODIES.filter((b) => !only || only.some((o) => b.name.toLowerCase().includes(o)));

  const certDir = mkdtempSync(join(tmpdir(), 'shroud-bench-'));
  await writeCertFiles(certDir, generateCertBundle({ names: ['localhost'], days: 1 }), { force: false });
  const noop = await startTarget('noop', certDir);
  const shroud = await startTarget('shroud', certDir);
  const withMetrics = await startTarget('shroud', certDir, { env: { BENCH_METRICS: '1' } });
  const targets = { noop, shroud, metrics: withMetrics };
  try {
    const rows: Row[] = [];
    for (const b of bodies) {
      const body = JSON.stringify(b.review());
      for (const connections of [10, 50]) {
        const fresh = (): Best => ({ reqPerSec: 0, cpuUsPerReview: Number.POSITIVE_INFINITY, requests: 0, non200: 0 });
        const best: Record<TargetName, Best> = { noop: fresh(), shroud: fresh(), metrics: fresh() };
        // Warm-up: JIT, TLS session state, lazily built structures.
        for (const t of [noop, shroud, withMetrics])
          await runLoad({ port: t.port, path: '/validate', body, connections, maxRequests: 3000, maxMs: 1500 });
        for (let i = 0; i < rounds; i++) {
          for (const name of ROUND_ORDERS[i % 2]!) {
            const r = await measureRound(targets[name], body, connections, loadMs);
            const kept = best[name];
            kept.reqPerSec = Math.max(kept.reqPerSec, r.reqPerSec);
            kept.cpuUsPerReview = Math.min(kept.cpuUsPerReview, r.cpuUsPerReview);
            kept.requests += r.requests;
            kept.non200 += r.non200;
          }
        }
        rows.push({ body: `${b.name} (${(body.length / 1024).toFixed(1)} KB)`, connections, ...best });
      }
    }
    printThroughput(rows, rounds, loadMs);

    // Latency at half of each target's best rate for the body, offered open-loop; alternating
    // rounds again, keeping each target's round with the lowest p99.
    const latencyRows: string[] = [];
    for (const b of bodies) {
      const body = JSON.stringify(b.review());
      const rate = (name: 'noop' | 'shroud'): number =>
        Math.max(
          1,
          Math.round(Math.max(...rows.filter((r) => r.body.startsWith(b.name)).map((r) => r[name].reqPerSec)) / 2),
        );
      const best: Partial<
        Record<'noop' | 'shroud', { p50: number; p99: number; max: number; requests: number; non200: number }>
      > = {};
      for (let i = 0; i < rounds; i++) {
        const order = i % 2 === 0 ? (['noop', 'shroud'] as const) : (['shroud', 'noop'] as const);
        for (const name of order) {
          const r = await runOpenLoop({
            port: targets[name].port,
            path: '/validate',
            body,
            rate: rate(name),
            connections: 50,
            durationMs: latencyMs,
          });
          const p99 = percentile(r.latenciesMs, 99);
          if (best[name] === undefined || p99 < best[name].p99) {
            best[name] = {
              p50: percentile(r.latenciesMs, 50),
              p99,
              max: Math.max(...r.latenciesMs),
              requests: r.requests,
              non200: r.non200,
            };
          }
        }
      }
      for (const name of ['noop', 'shroud'] as const) {
        const r = best[name]!;
        latencyRows.push(
          `  ${b.name.padEnd(18)} ${name.padEnd(7)} ${fmt(rate(name)).padStart(7)}/s ${fmt(r.requests).padStart(8)} ${fmt(r.p50, 2).padStart(8)} ${fmt(r.p99, 2).padStart(8)} ${fmt(r.max, 1).padStart(8)}${r.non200 ? `  (${r.non200} non-200)` : ''}`,
        );
      }
    }
    console.log(
      `\nlatency at half of the best rate: open loop, 50 connections, best of ${rounds} rounds of ${latencyMs / 1000} s, from when each request was due`,
    );
    console.log(
      `  ${'body'.padEnd(18)} ${'target'.padEnd(7)} ${'offered'.padStart(9)} ${'answered'.padStart(8)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'max ms'.padStart(8)}`,
    );
    for (const line of latencyRows) console.log(line);
    console.log('  goal: Shroud p99 < 5 ms');
  } finally {
    await Promise.all([noop.stop(), shroud.stop(), withMetrics.stop()]);
  }

  try {
    if (rssReviews > 0) await measureRss(certDir, rssReviews);
  } finally {
    rmSync(certDir, { recursive: true, force: true });
  }
}

function printThroughput(rows: Row[], rounds: number, loadMs: number): void {
  console.log(
    `\nwebhook /validate over HTTPS (both servers via listenHttps), best of ${rounds} alternating rounds of ${loadMs / 1000} s`,
  );
  console.log(
    '  server CPU = user + system time of the server process over the round / reviews answered\n' +
      `  ${'body'.padEnd(28)} ${'conns'.padStart(5)} ${'no-op req/s'.padStart(12)} ${'Shroud req/s'.padStart(12)} ${'ratio'.padStart(6)} ${'no-op µs CPU'.padStart(13)} ${'Shroud µs CPU'.padStart(14)} ${'ratio'.padStart(6)} ${'+µs'.padStart(6)}`,
  );
  for (const r of rows) {
    const failed = r.noop.non200 + r.shroud.non200;
    console.log(
      `  ${r.body.padEnd(28)} ${String(r.connections).padStart(5)} ${fmt(r.noop.reqPerSec).padStart(12)} ${fmt(r.shroud.reqPerSec).padStart(12)} ${fmt(r.shroud.reqPerSec / r.noop.reqPerSec, 2).padStart(6)} ${fmt(r.noop.cpuUsPerReview).padStart(13)} ${fmt(r.shroud.cpuUsPerReview).padStart(14)} ${fmt(r.shroud.cpuUsPerReview / r.noop.cpuUsPerReview, 2).padStart(6)} ${fmt(r.shroud.cpuUsPerReview - r.noop.cpuUsPerReview).padStart(6)}${failed ? `  (${failed} non-200!)` : ''}`,
    );
  }
  console.log('  goals: Shroud/no-op throughput >= 0.90x, CPU per review <= 1.1x');
  console.log(
    `\nmetrics cost: Shroud with its metrics recorders wired in (as serve does) against Shroud without, same rounds\n` +
      `  ${'body'.padEnd(28)} ${'conns'.padStart(5)} ${'Shroud µs CPU'.padStart(14)} ${'+metrics µs'.padStart(12)} ${'ratio'.padStart(6)} ${'+µs'.padStart(6)} ${'+metrics req/s'.padStart(15)} ${'ratio'.padStart(6)}`,
  );
  for (const r of rows) {
    console.log(
      `  ${r.body.padEnd(28)} ${String(r.connections).padStart(5)} ${fmt(r.shroud.cpuUsPerReview).padStart(14)} ${fmt(r.metrics.cpuUsPerReview).padStart(12)} ${fmt(r.metrics.cpuUsPerReview / r.shroud.cpuUsPerReview, 2).padStart(6)} ${fmt(r.metrics.cpuUsPerReview - r.shroud.cpuUsPerReview).padStart(6)} ${fmt(r.metrics.reqPerSec).padStart(15)} ${fmt(r.metrics.reqPerSec / r.shroud.reqPerSec, 2).padStart(6)}${r.metrics.non200 ? `  (${r.metrics.non200} non-200!)` : ''}`,
    );
  }
}

/** Shroud's resident memory after `reviews` small-Pod reviews through keep-alive connections. */
async function measureRss(certDir: string, reviews: number): Promise<void> {
  const shroud = await startTarget('shroud', certDir);
  try {
    const body = JSON.stringify(BENCH_BODIES[0]!.review());
    const atStart = rssBytes(shroud.pid);
    const r = await runLoad({
      port: shroud.port,
      path: '/validate',
      body,
      connections: 10,
      maxRequests: reviews,
      maxMs: 300_000,
    });
    const atEnd = rssBytes(shroud.pid);
    console.log(
      `\nShroud RSS: ${mib(atStart)} at start, ${mib(atEnd)} after ${fmt(r.requests)} small-Pod reviews on 10 keep-alive connections (${fmt(r.reqPerSec)} req/s${r.non200 ? `, ${r.non200} non-200` : ''})`,
    );
  } finally {
    await shroud.stop();
  }
}
