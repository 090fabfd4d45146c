/**
 * `shroud kms-plugin` cost (issue 19): KMS v2 Decrypt and Encrypt through the Unix socket with the
 * local keyring, against the same provider called in this process. kube-apiserver expects a
 * Decrypt under 10 ms and sends thousands at start-up.
 *
 * Sequential rows (latency p50/p99 and this process's CPU per call: client and server share the
 * process, so compare rows):
 * - baseline: LocalKeyringProvider.unwrap / wrap called directly;
 * - the plugin's service in-process (frame, checks, limiter, provider call), no gRPC;
 * - Status over the socket: the gRPC round trip with next to no work;
 * - Decrypt and Encrypt over the socket.
 * Then a burst: BENCH_KMS_BURST (2,000) Decrypts at once over one channel: wall time, throughput,
 * latency percentiles, CPU per call. Then, when SoftHSM2 is installed, the same plugin backed by a
 * key in a SoftHSM2 token (`kms-plugin --kek-provider pkcs11`), beside the keyring.
 *
 * Settings: BENCH_KMS_CALLS (1,000 per row), BENCH_KMS_BURST (2,000).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { createKeyring, type KekProvider, LocalKeyringProvider } from '../src/crypto/index.js';
import { openPkcs11Provider } from '../src/hsm/index.js';
import { createLogger } from '../src/log/logger.js';
import {
  createKmsPluginService,
  decodeFrame,
  FRAME_ANNOTATION,
  frameContext,
  startKmsSocketServer,
} from '../src/kms/server/index.js';
import { upstreamClient } from '../test/kms/upstream-client.js';
import { softHsm } from './pkcs11.bench.js';
import { envNumber, type LatencyRow, percentile } from './support/load.js';

async function row(name: string, calls: number, call: () => Promise<unknown>): Promise<LatencyRow> {
  for (let i = 0; i < 50; i++) await call(); // warm-up
  const latencies: number[] = [];
  let cpu = 0;
  for (let i = 0; i < calls; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await call();
    latencies.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu += c.user + c.system;
  }
  return { name, p50: percentile(latencies, 50), p99: percentile(latencies, 99), cpuUs: cpu / calls };
}

function printRows(title: string, rows: LatencyRow[]): void {
  const base = rows[0]!;
  console.log(`\n${title}`);
  console.log(
    `  ${'case'.padEnd(44)}  ${'p50 ms'.padStart(8)}  ${'p99 ms'.padStart(8)}  ${'CPU µs/call'.padStart(12)}  ${'CPU x base'.padStart(11)}`,
  );
  for (const r of rows) {
    console.log(
      `  ${r.name.padEnd(44)}  ${r.p50.toFixed(3).padStart(8)}  ${r.p99.toFixed(3).padStart(8)}  ${r.cpuUs.toFixed(1).padStart(12)}  ${(r.cpuUs / base.cpuUs).toFixed(1).padStart(11)}`,
    );
  }
}

export async function run(): Promise<void> {
  const calls = envNumber('BENCH_KMS_CALLS', 1000);
  const burst = envNumber('BENCH_KMS_BURST', 2000);
  const dir = mkdtempSync(join(tmpdir(), 'shroud-bench-kms-'));
  const socketPath = join(dir, 'kms.sock');
  const provider = new LocalKeyringProvider(createKeyring());
  const service = createKmsPluginService({ provider: () => provider });
  const server = await startKmsSocketServer({ socketPath, service, logger: createLogger({ level: 'silent' }) });
  const client = upstreamClient(socketPath, 30_000);
  try {
    const plaintext = randomBytes(32);
    const encrypted = await client.encrypt(plaintext);
    const request = { ...encrypted, uid: 'bench' };
    const frame = decodeFrame(encrypted.ciphertext);
    const slot = { method: frame.method, ref: frame.ref, wrapped: frame.wrapped };
    const context = frameContext(frame.header);
    const check = (answer: Buffer) => {
      if (!answer.equals(plaintext)) throw new Error('Decrypt answered the wrong plaintext');
    };

    printRows(`kms-plugin Decrypt, local keyring, ${calls} sequential calls per row`, [
      await row('baseline: provider.unwrap in-process', calls, () => provider.unwrap({ slot, context })),
      await row('service.decrypt in-process (no gRPC)', calls, async () =>
        check((await service.decrypt(request)).plaintext),
      ),
      await row('Status over the socket (gRPC round trip)', calls, () => client.status()),
      await row('Decrypt over the socket', calls, async () => check(await client.decrypt(request))),
    ]);
    printRows(`kms-plugin Encrypt, local keyring, ${calls} sequential calls per row`, [
      await row('baseline: provider.wrap in-process', calls, () => provider.wrap({ dek: plaintext, context })),
      await row('service.encrypt in-process (no gRPC)', calls, () => service.encrypt({ plaintext, uid: 'bench' })),
      await row('Encrypt over the socket', calls, () => client.encrypt(plaintext)),
    ]);

    const latencies: number[] = [];
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: burst }, async () => {
        const s = performance.now();
        check(await client.decrypt(request));
        latencies.push(performance.now() - s);
      }),
    );
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(c0);
    console.log(
      `\nstart-up burst: ${burst} Decrypts at once over one channel (64 at the provider, the rest queued)\n` +
        `  wall ${wall.toFixed(0)} ms, ${Math.round((burst / wall) * 1000).toLocaleString('en-US')} Decrypts/s, ` +
        `p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms, ` +
        `CPU ${((cpu.user + cpu.system) / burst).toFixed(1)} µs/call (client and server)`,
    );
    if (Object.keys(encrypted.annotations).join() !== FRAME_ANNOTATION) throw new Error('unexpected annotations');
  } finally {
    client.close();
    await server.close(1000);
    rmSync(dir, { recursive: true, force: true });
  }
  await tokenRows(calls);
}

/** The plugin backed by the keyring and by a SoftHSM2 key, side by side (skipped without SoftHSM2). */
async function tokenRows(calls: number): Promise<void> {
  const hsm = softHsm();
  if (typeof hsm === 'string') {
    console.log(`
kms-plugin with a SoftHSM2 key: skipped (${hsm})`);
    return;
  }
  const token = await openPkcs11Provider({
    module: hsm.module,
    token: { label: 'bench' },
    pin: '1234',
    keyLabel: 'kms-kek',
  });
  await token.createKey();
  const local = new LocalKeyringProvider(createKeyring());
  const logger = createLogger({ level: 'silent' });
  const started: { close(ms: number): Promise<void> }[] = [];
  const clients: ReturnType<typeof upstreamClient>[] = [];
  try {
    const plaintext = randomBytes(32);
    const rows: LatencyRow[] = [];
    for (const [name, provider] of [
      ['local keyring', local],
      ['pkcs11 (SoftHSM2)', token],
    ] as [string, KekProvider][]) {
      const socketPath = join(hsm.dir, `${name.startsWith('local') ? 'local' : 'token'}.sock`);
      const service = createKmsPluginService({ provider: () => provider });
      started.push(await startKmsSocketServer({ socketPath, service, logger }));
      const client = upstreamClient(socketPath, 30_000);
      clients.push(client);
      const encrypted = await client.encrypt(plaintext);
      const request = { ...encrypted, uid: 'bench' };
      rows.push(
        await row(`Decrypt over the socket, ${name}`, calls, async () => {
          if (!(await client.decrypt(request)).equals(plaintext))
            throw new Error('Decrypt answered the wrong plaintext');
        }),
        await row(`Encrypt over the socket, ${name}`, calls, () => client.encrypt(plaintext)),
      );
    }
    printRows(`kms-plugin backed by the keyring and by a SoftHSM2 key, ${calls} sequential calls per row`, rows);
  } finally {
    for (const c of clients) c.close();
    for (const s of started) await s.close(1000);
    await token.close();
    rmSync(hsm.dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
