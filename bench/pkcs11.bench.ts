/**
 * KEK providers: wrap and unwrap of a 32-byte DEK by the local keyring (AES-256-GCM in this
 * process) and by the pkcs11 provider on a SoftHSM2 token (AES-256-GCM inside the token through
 * pkcs11js's async calls and a session pool), and a whole uncached unseal of 1 KiB with each.
 * Wall time per operation, and CPU time per operation (process.cpuUsage, which counts the
 * libuv threads pkcs11js runs the token calls on): on a shared machine CPU time moves less.
 * Ratios are against the local keyring's wrap. SoftHSM is a software token: a network HSM adds
 * its round trip (typically 0.3 to 3 ms) on every unwrap that misses the DEK cache.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKeyring, type KekProvider, LocalKeyringProvider, openValue, sealValue } from '../src/crypto/index.js';
import { openPkcs11Provider } from '../src/hsm/index.js';
import { type CpuRow, measureAsyncCpu } from './harness.js';

/** How each row is measured: 400 ms of wall time, then half as many calls under process.cpuUsage. */
const MEASURE = { timeMs: 400, warmupMs: 50, cpuOps: (n: number) => n / 2 };

const MODULES = ['/usr/lib/softhsm/libsofthsm2.so', '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so'];

function printRows(title: string, rows: CpuRow[]): void {
  const base = rows[0]!;
  const width = Math.max(10, ...rows.map((r) => r.name.length));
  console.log(`\n${title}`);
  console.log(
    `  ${'case'.padEnd(width)}  ${'ops/s'.padStart(10)}  ${'wall µs/op'.padStart(10)}  ${'CPU µs/op'.padStart(10)}  ${`x ${base.name} (CPU)`.padStart(28)}`,
  );
  for (const r of rows)
    console.log(
      `  ${r.name.padEnd(width)}  ${Math.round(r.opsPerSec).toLocaleString('en-US').padStart(10)}  ${r.usPerOp.toFixed(2).padStart(10)}  ${r.cpuUsPerOp.toFixed(2).padStart(10)}  ${(r.cpuUsPerOp / base.cpuUsPerOp).toFixed(2).padStart(28)}`,
    );
}

/** A SoftHSM2 token labelled `bench` (user PIN 1234) in a temp folder, or why there is none. Also used by kms.bench.ts. */
export function softHsm(): { module: string; dir: string } | string {
  const module = MODULES.find((m) => existsSync(m));
  if (module === undefined) return 'SoftHSM2 is not installed (apt-get install softhsm2)';
  const dir = mkdtempSync(join(tmpdir(), 'shroud-bench-softhsm-'));
  mkdirSync(join(dir, 'tokens'));
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  process.env.SOFTHSM2_CONF = conf;
  try {
    execFileSync('softhsm2-util', ['--init-token', '--free', '--label', 'bench', '--pin', '1234', '--so-pin', '5678'], {
      stdio: 'ignore',
    });
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return 'softhsm2-util failed to make a token';
  }
  return { module, dir };
}

/** Runs the provider benchmark and prints its tables. */
export async function run(): Promise<void> {
  const hsm = softHsm();
  if (typeof hsm === 'string') {
    console.log(`\nPKCS#11 provider: skipped (${hsm})`);
    return;
  }
  const local = new LocalKeyringProvider(createKeyring());
  let token: Awaited<ReturnType<typeof openPkcs11Provider>> | undefined;
  try {
    token = await openPkcs11Provider({
      module: hsm.module,
      token: { label: 'bench' },
      pin: '1234',
      keyLabel: 'bench-kek',
    });
    await token.createKey();
    const header = randomBytes(64);
    const dek = randomBytes(32);
    const slots = new Map<KekProvider, Awaited<ReturnType<KekProvider['wrap']>>>();
    for (const p of [local, token]) slots.set(p, await p.wrap({ dek, context: header }));
    const unwrap = (p: KekProvider) => () => {
      const w = slots.get(p)!;
      return p.unwrap({ slot: { method: w.method, ref: w.ref, wrapped: Buffer.from(w.wrapped) }, context: header });
    };
    const t = token;
    const eightAtOnce = () => Promise.all(Array.from({ length: 8 }, unwrap(t)));
    const rows = [
      await measureAsyncCpu('local keyring wrap', () => local.wrap({ dek, context: header }), MEASURE),
      await measureAsyncCpu('local keyring unwrap', unwrap(local), MEASURE),
      await measureAsyncCpu('pkcs11 (SoftHSM2) wrap', () => t.wrap({ dek, context: header }), MEASURE),
      await measureAsyncCpu('pkcs11 (SoftHSM2) unwrap', unwrap(t), MEASURE),
    ];
    const batch = await measureAsyncCpu('pkcs11 unwrap, 8 at once', eightAtOnce, MEASURE);
    rows.push({
      ...batch,
      name: 'pkcs11 unwrap, 8 at once (per op)',
      opsPerSec: batch.opsPerSec * 8,
      usPerOp: batch.usPerOp / 8,
      cpuUsPerOp: batch.cpuUsPerOp / 8,
    });
    printRows('KEK providers: wrap/unwrap of a 32-byte DEK (x = CPU time relative to the local keyring wrap)', rows);

    const context = { namespace: 'shop', serviceAccount: 'web', name: 'web-secrets', key: 'API_KEY' };
    const plaintext = randomBytes(1024);
    const sealedLocal = await sealValue(plaintext, { scope: 'strict', context, provider: local });
    const sealedToken = await sealValue(plaintext, { scope: 'strict', context, provider: t });
    printRows('seal and uncached unseal of 1 KiB through each provider', [
      await measureAsyncCpu(
        'unseal uncached (local)',
        () => openValue(sealedLocal, { provider: local, expected: context }),
        MEASURE,
      ),
      await measureAsyncCpu(
        'unseal uncached (pkcs11)',
        () => openValue(sealedToken, { provider: t, expected: context }),
        MEASURE,
      ),
      await measureAsyncCpu(
        'seal (local)',
        () => sealValue(plaintext, { scope: 'strict', context, provider: local }),
        MEASURE,
      ),
      await measureAsyncCpu(
        'seal (pkcs11)',
        () => sealValue(plaintext, { scope: 'strict', context, provider: t }),
        MEASURE,
      ),
    ]);
  } finally {
    await token?.close();
    rmSync(hsm.dir, { recursive: true, force: true });
  }
}
