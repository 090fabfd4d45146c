/**
 * Runs `shroud check ARGS...` once in this process and prints, as one JSON line on stderr, its
 * wall time, CPU time, peak RSS, exit code and the size of what it printed. check.bench.ts runs
 * it in a child process per input so each peak RSS is that input's alone.
 */
import { Readable } from 'node:stream';
import { performance } from 'node:perf_hooks';
import { run } from '../../src/cli/run.js';

let stdoutBytes = 0;
let stderrBytes = 0;
const start = performance.now();
const cpu = process.cpuUsage();
const code = await run(process.argv.slice(2), {
  stdout: { write: (s: string) => (stdoutBytes += Buffer.byteLength(s)) },
  stderr: { write: (s: string) => (stderrBytes += Buffer.byteLength(s)) },
  stdin: Readable.from([]),
  env: {},
  cwd: process.cwd(),
});
const used = process.cpuUsage(cpu);
process.stderr.write(
  `${JSON.stringify({
    code,
    ms: performance.now() - start,
    cpuMs: (used.user + used.system) / 1000,
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
    stdoutBytes,
    stderrBytes,
  })}\n`,
);
