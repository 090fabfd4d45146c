/**
 * The detectors' whole-value pass in WebAssembly (line-scan.wat): the lines that mention a
 * secret word (hint-lines.ts) and the long token runs of the value (runs.ts), found in one read
 * of the value, 16 characters at a time (WebAssembly SIMD). On a 64 KB config file it
 * costs about a third of the two JavaScript searches it stands in for. Those searches stay: they
 * are the reference the kernel is tested against, and they run where the kernel does not pay
 * (values shorter than {@link KERNEL_MIN_LENGTH}: the copy and the call cost more) or cannot
 * run (no WebAssembly, as under `node --jitless`; values over {@link KERNEL_MAX_LENGTH}).
 *
 * The value is copied into the kernel's memory as UTF-16 code units, which it narrows to bytes,
 * saturating: a character above U+00FF becomes a byte that is no letter, digit, token character
 * or newline, as it is none of those to the JavaScript searches. The copy is wiped before the
 * call returns, so no value stays in the kernel's memory.
 */
import { EntryMemo } from '../entry-memo.js';
import { LINE_SCAN_WASM } from './line-scan-wasm.js';

/** Shorter values are searched in JavaScript (bench/detect.bench.ts measures both). */
export const KERNEL_MIN_LENGTH = 1024;
/** Longer values are searched in JavaScript, which bounds the kernel's memory (about 6 bytes per character). */
export const KERNEL_MAX_LENGTH = 1024 * 1024;

/** What the pass finds in a value. */
export interface WholeValueScan {
  /** Pairs: `[start, end)` of each line holding a hint fragment (end at its newline), in order. */
  readonly spans: number[];
  /** Per line: where its first hint fragment starts. */
  readonly fragments: number[];
  /** Pairs: `[start, end)` of each maximal run of 20 or more token characters (runs.ts LONG_RUN), in order. */
  readonly runs: number[];
  /** True when there is such a run. */
  readonly longRun: boolean;
}

/**
 * The part of the WebAssembly API used here (the DOM library declares it; this project compiles
 * without that library). Undefined under `node --jitless`.
 */
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: unknown };
};

interface KernelMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

interface KernelExports {
  readonly memory: KernelMemory;
  scan(length: number, linesAt: number, runsAt: number): number;
  runCount(): number;
}

/** The instance; null when WebAssembly (or its SIMD) is not available here. */
let kernel: KernelExports | null | undefined;

function instance(): KernelExports | null {
  if (kernel === undefined) {
    try {
      const module = new WebAssembly.Module(Buffer.from(LINE_SCAN_WASM, 'base64'));
      kernel = new WebAssembly.Instance(module).exports as unknown as KernelExports;
    } catch {
      kernel = null;
    }
  }
  return kernel;
}

/** True when the kernel runs in this process (false under `node --jitless`, for one). */
export function kernelAvailable(): boolean {
  return instance() !== null;
}

/** A copy of the kernel's memory, for tests that check no value stays in it; undefined without the kernel. */
export function kernelMemorySnapshot(): Uint8Array | undefined {
  const k = instance();
  return k === null ? undefined : new Uint8Array(k.memory.buffer.slice(0));
}

const align16 = (n: number): number => (n + 15) & ~15;

/**
 * Runs the kernel on `value` whatever its length (up to KERNEL_MAX_LENGTH); undefined when the
 * kernel is not available or the value is longer. Detectors use {@link wholeValueScan}.
 */
export function runKernel(value: string): WholeValueScan | undefined {
  const n = value.length;
  const k = n > KERNEL_MAX_LENGTH ? null : instance();
  if (k === null) return undefined;
  // UTF-16 at 0 and 64 zero bytes, then the records of hint lines (three i32 each) and of long
  // runs (two i32 each). A line with a fragment holds at least two characters and a newline ends
  // it, so there are at most (n + 1) / 3 of those; a long run holds 20 characters and a gap ends
  // it, so there are at most (n + 1) / 21 of these.
  const linesAt = align16(2 * n + 64);
  const runsAt = linesAt + 12 * (Math.floor((n + 1) / 3) + 1);
  const end = runsAt + 8 * (Math.floor((n + 1) / 21) + 1);
  if (k.memory.buffer.byteLength < end && !grow(k.memory, end)) return undefined;
  const memory = Buffer.from(k.memory.buffer);
  try {
    memory.write(value, 0, 'utf16le');
    memory.fill(0, 2 * n, linesAt);
    const count = k.scan(n, linesAt, runsAt);
    const records = new Int32Array(k.memory.buffer, linesAt, 3 * count);
    const spans: number[] = new Array(2 * count);
    const fragments: number[] = new Array(count);
    for (let r = 0; r < count; r++) {
      spans[2 * r] = records[3 * r] as number;
      spans[2 * r + 1] = records[3 * r + 1] as number;
      fragments[r] = records[3 * r + 2] as number;
    }
    const runs = Array.from(new Int32Array(k.memory.buffer, runsAt, 2 * k.runCount()));
    return { spans, fragments, runs, longRun: runs.length > 0 };
  } finally {
    memory.fill(0, 0, linesAt);
  }
}

/** Grows the kernel's memory to `bytes`; false when the process cannot spare it (the JavaScript searches run then). */
function grow(memory: KernelMemory, bytes: number): boolean {
  try {
    memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / 65_536));
    return true;
  } catch {
    return false;
  }
}

const remembered = new EntryMemo((_: undefined, _key: string, value: string) => runKernel(value));

/**
 * The kernel's pass over `value`, once per entry within a scanEntry call (entry-memo.ts);
 * undefined when the JavaScript searches should run instead (see the module comment).
 */
export function wholeValueScan(value: string): WholeValueScan | undefined {
  if (value.length < KERNEL_MIN_LENGTH || value.length > KERNEL_MAX_LENGTH) return undefined;
  return remembered.get(undefined, '', value);
}
