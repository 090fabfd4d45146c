/**
 * The `kms` KEK provider (issue 19, client): wrap and unwrap of a DEK through a KMS v2 plugin on a
 * Unix socket (the test's fake plugin, AES-256-GCM per key_id, in this process) against the local
 * keyring provider in-process, in the same run; then opening a 1 KiB value with the DEK cached
 * (no plugin call: what carries reads through an outage) and uncached; then Decrypt throughput
 * with BENCH_KMS_CONCURRENCY (100) unwraps in flight, as at a kube-apiserver or unseal start-up.
 *
 * CPU time per operation is this process's (client and fake plugin together, gRPC on both
 * sides): compare rows, not absolutes. The ratio column is CPU time against the first row's.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import {
  createKeyring,
  DekCache,
  type KekProvider,
  LocalKeyringProvider,
  openValue,
  sealValue,
} from '../src/crypto/index.js';
import { KmsV2Provider } from '../src/kms/index.js';
import { FakeKmsPlugin } from '../test/kms/fake-kms-plugin.js';
import { type CpuRow, measureAsyncCpu } from './harness.js';
import { envNumber } from './support/load.js';

/** How each row is measured: 300 ms of wall time, then up to 5,000 calls under process.cpuUsage. */
const MEASURE = { timeMs: 300, warmupMs: 50, cpuOps: (n: number) => Math.min(n, 5000) };

/** `total` calls of fn with `concurrency` in flight; wall and CPU per call. */
async function measureConcurrent(
  name: string,
  fn: () => Promise<unknown>,
  total: number,
  concurrency: number,
): Promise<CpuRow> {
  let started = 0;
  const worker = async () => {
    while (started < total) {
      started++;
      await fn();
    }
  };
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const ms = performance.now() - t0;
  const used = process.cpuUsage(cpu);
  return {
    name,
    opsPerSec: (total / ms) * 1000,
    usPerOp: (ms * 1000) / total,
    cpuUsPerOp: (used.user + used.system) / total,
  };
}

function printTable(title: string, rows: CpuRow[]): void {
  const base = rows[0]!;
  const width = Math.max(10, ...rows.map((r) => r.name.length));
  console.log(`\n${title}`);
  console.log(
    `  ${'case'.padEnd(width)}  ${'ops/s'.padStart(10)}  ${'wall µs/op'.padStart(10)}  ${'CPU µs/op'.padStart(10)}  ${`x ${base.name} (CPU)`.padStart(30)}`,
  );
  for (const r of rows)
    console.log(
      `  ${r.name.padEnd(width)}  ${Math.round(r.opsPerSec).toLocaleString('en-US').padStart(10)}  ${r.usPerOp.toFixed(2).padStart(10)}  ${r.cpuUsPerOp.toFixed(2).padStart(10)}  ${(r.cpuUsPerOp / base.cpuUsPerOp).toFixed(2).padStart(30)}`,
    );
}

async function wrapAndSlot(provider: KekProvider) {
  const dek = randomBytes(32);
  const context = randomBytes(64);
  const result = await provider.wrap({ dek, context });
  const slot = {
    method: result.method,
    ref: result.ref,
    wrapped: Buffer.from(result.wrapped),
    ...(result.annotations ? { annotations: result.annotations } : {}),
  };
  return { dek, context, slot };
}

/** Runs the KMS client benchmark and prints its tables. */
export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'kms-bench-'));
  const plugin = new FakeKmsPlugin(dir);
  await plugin.start();
  const kms = new KmsV2Provider({ socket: plugin.socket, poll: false, timeoutMs: 10_000 });
  const local = new LocalKeyringProvider(createKeyring());
  try {
    await kms.poll();
    const k = await wrapAndSlot(kms);
    const l = await wrapAndSlot(local);
    printTable("KEK wrap/unwrap of a 32-byte DEK (x = CPU time relative to the local provider's unwrap)", [
      await measureAsyncCpu(
        'local unwrap (in-process)',
        () => local.unwrap({ slot: l.slot, context: l.context }),
        MEASURE,
      ),
      await measureAsyncCpu('local wrap (in-process)', () => local.wrap({ dek: l.dek, context: l.context }), MEASURE),
      await measureAsyncCpu(
        'kms unwrap (Decrypt, socket)',
        () => kms.unwrap({ slot: k.slot, context: k.context }),
        MEASURE,
      ),
      await measureAsyncCpu('kms wrap (Encrypt, socket)', () => kms.wrap({ dek: k.dek, context: k.context }), MEASURE),
    ]);

    const context = { namespace: 'shop', serviceAccount: 'web', name: 'web-secrets', key: 'API_KEY' };
    const value = randomBytes(1024);
    const sealed = await sealValue(value, { scope: 'strict', context, provider: kms });
    const cache = new DekCache();
    await openValue(sealed, { provider: kms, expected: context, cache });
    const localSealed = await sealValue(value, { scope: 'strict', context, provider: local });
    printTable('open a 1 KiB value sealed through the plugin (x = CPU time relative to the cached open)', [
      await measureAsyncCpu(
        'kms open, DEK cached',
        () => openValue(sealed, { provider: kms, expected: context, cache }),
        MEASURE,
      ),
      await measureAsyncCpu(
        'local open, uncached',
        () => openValue(localSealed, { provider: local, expected: context }),
        MEASURE,
      ),
      await measureAsyncCpu(
        'kms open, uncached (Decrypt)',
        () => openValue(sealed, { provider: kms, expected: context }),
        MEASURE,
      ),
    ]);

    const concurrency = envNumber('BENCH_KMS_CONCURRENCY', 100, 1);
    const total = envNumber('BENCH_KMS_UNWRAPS', 5000, 1);
    printTable(
      `Decrypt throughput: ${total} unwraps, ${concurrency} in flight (x = CPU time relative to the local provider)`,
      [
        await measureConcurrent(
          'local unwrap',
          () => local.unwrap({ slot: l.slot, context: l.context }),
          total,
          concurrency,
        ),
        await measureConcurrent(
          'kms unwrap',
          () => kms.unwrap({ slot: k.slot, context: k.context }),
          total,
          concurrency,
        ),
      ],
    );
  } finally {
    kms.close();
    plugin.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
