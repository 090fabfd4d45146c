/**
 * A small benchmark harness: runs a function for a fixed time after a warm-up and reports
 * operations per second and microseconds per operation. Figures are for ratios measured in the
 * same run (machines are shared and noisy), never for absolute promises.
 */
import { performance } from 'node:perf_hooks';

export interface Measurement {
  name: string;
  ops: number;
  opsPerSec: number;
  usPerOp: number;
}

export interface MeasureOptions {
  /** How long to measure, in milliseconds (default 400; BENCH_MS overrides). */
  timeMs?: number;
  /** Warm-up time before measuring, in milliseconds (default 100). */
  warmupMs?: number;
}

function defaultTime(): number {
  const fromEnv = Number(process.env.BENCH_MS);
  return Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : 400;
}

/** Runs `fn` repeatedly and returns its rate. `fn` may return a value to keep it from being optimised away. */
export function measure(name: string, fn: () => unknown, options: MeasureOptions = {}): Measurement {
  const timeMs = options.timeMs ?? defaultTime();
  const warmupMs = options.warmupMs ?? 100;
  let sink: unknown;
  const warmEnd = performance.now() + warmupMs;
  while (performance.now() < warmEnd) sink = fn();
  let ops = 0;
  let batch = 1;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < timeMs) {
    for (let i = 0; i < batch; i++) sink = fn();
    ops += batch;
    elapsed = performance.now() - start;
    if (elapsed < timeMs / 20) batch *= 2;
  }
  keep(sink);
  return { name, ops, opsPerSec: (ops / elapsed) * 1000, usPerOp: (elapsed * 1000) / ops };
}

/** Async variant of measure() for operations that return promises. */
export async function measureAsync(
  name: string,
  fn: () => Promise<unknown>,
  options: MeasureOptions = {},
): Promise<Measurement> {
  const timeMs = options.timeMs ?? defaultTime();
  const warmupMs = options.warmupMs ?? 100;
  const warmEnd = performance.now() + warmupMs;
  while (performance.now() < warmEnd) await fn();
  let ops = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < timeMs) {
    keep(await fn());
    ops++;
    elapsed = performance.now() - start;
  }
  return { name, ops, opsPerSec: (ops / elapsed) * 1000, usPerOp: (elapsed * 1000) / ops };
}

let kept: unknown;
function keep(value: unknown): void {
  kept = value;
}
export function lastKept(): unknown {
  return kept;
}

/** Prints measurements as an aligned table; `baseline` (a name in rows) adds an "x baseline" column. */
export function printTable(title: string, rows: Measurement[], baseline?: string): void {
  const base = baseline === undefined ? undefined : rows.find((r) => r.name === baseline);
  const nameWidth = Math.max(10, ...rows.map((r) => r.name.length));
  console.log(`\n${title}`);
  console.log(
    `  ${'case'.padEnd(nameWidth)}  ${'ops/s'.padStart(12)}  ${'µs/op'.padStart(10)}${base ? `  ${`x ${base.name}`.padStart(14)}` : ''}`,
  );
  for (const r of rows) {
    const ratio = base ? `  ${(r.usPerOp / base.usPerOp).toFixed(2).padStart(14)}` : '';
    console.log(
      `  ${r.name.padEnd(nameWidth)}  ${Math.round(r.opsPerSec).toLocaleString('en-US').padStart(12)}  ${r.usPerOp.toFixed(2).padStart(10)}${ratio}`,
    );
  }
}

/** Throughput and wall time of an async operation, and its CPU time per call (process.cpuUsage). */
export interface CpuRow {
  name: string;
  opsPerSec: number;
  usPerOp: number;
  cpuUsPerOp: number;
}

/**
 * Wall time from measureAsync, then `cpuOps(ops measured)` calls again under process.cpuUsage: on
 * a shared machine CPU time per call says more than wall time.
 */
export async function measureAsyncCpu(
  name: string,
  fn: () => Promise<unknown>,
  options: MeasureOptions & { cpuOps?: (measuredOps: number) => number } = {},
): Promise<CpuRow> {
  const m = await measureAsync(name, fn, options);
  const ops = Math.max(1, Math.round(options.cpuOps ? options.cpuOps(m.ops) : m.ops));
  const before = process.cpuUsage();
  for (let i = 0; i < ops; i++) await fn();
  const used = process.cpuUsage(before);
  return { name, opsPerSec: m.opsPerSec, usPerOp: m.usPerOp, cpuUsPerOp: (used.user + used.system) / ops };
}
