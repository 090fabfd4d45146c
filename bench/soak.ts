/**
 * `npm run soak`: a bounded stress run of the real server. Starts `shroud serve` on
 * 127.0.0.1 with fresh dev certificates and a copy of the built-in policies in a temporary
 * folder, then for SOAK_MS drives at once:
 * - valid and fuzzed reviews (test/helpers/admission-fuzz.ts) on 10 to 50 keep-alive
 *   connections, the count rising and falling;
 * - slow clients (headers a line a second, or a body a byte a second), reopened when closed;
 * - idle connections opened and held (plain TCP that never starts TLS, and TLS that never
 *   sends a request);
 * - a rewrite of a policy file every 100 ms (every tenth one broken), with a probe review that
 *   shows whether the rewrites are applied;
 * - certificate rotations, each timed until the new certificate is served;
 * - a /healthz probe every 500 ms (an event-loop stall shows there first).
 * Then it reports requests, answers by status, contract violations, server crashes, latency
 * of valid reviews, RSS, open file descriptors and CPU of the server process tree, log volume,
 * and occurrences of planted secret values in answers and logs. It exits 1 when the server
 * crashed, leaked a planted value or broke the answer contract.
 *
 * Settings (environment): SOAK_MS (60000), SOAK_MAX_REQUESTS (300000), SOAK_MIN_CONNECTIONS
 * (10), SOAK_MAX_CONNECTIONS (50), SOAK_IDLE (2000 held idle connections), SOAK_SLOW (100 slow
 * clients), SOAK_POLICY_EVERY_MS (100), SOAK_CERT_ROTATIONS (2), SOAK_FUZZ_POOL (1500 fuzzed
 * inputs), SOAK_SEED, SOAK_SERVE_ARGS (extra `shroud serve` flags, e.g. "--workers 2").
 * Only 127.0.0.1 is ever contacted; everything stops by itself.
 */
import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect as tlsConnect } from 'node:tls';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { generateCertBundle, writeCertFiles } from '../src/tls/index.js';
import {
  type FuzzCase,
  fuzzCases,
  renderJson,
  SECRET_VALUES,
  SEED_NAMES,
  SEEDS,
} from '../test/helpers/admission-fuzz.js';
import { percentile } from './support/load.js';
import { scanOutput } from './support/output-scan.js';
import { cpuMicros, isAlive, mib, openFds, rssBytes, Tracked, treeSum } from './support/proc-stats.js';
import { BENCH_BODIES } from './support/review-bodies.js';
import { holdConnections } from './support/slow-clients.js';
import { stopChild, waitForOutput } from './support/target-process.js';

const HOST = '127.0.0.1';
const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function setting(name: string, fallback: number): number {
  const raw = process.env[name];
  const v = Number(raw);
  return raw !== undefined && raw !== '' && Number.isFinite(v) && v >= 0 ? v : fallback;
}

const SOAK_MS = setting('SOAK_MS', 60_000);
const MAX_REQUESTS = setting('SOAK_MAX_REQUESTS', 300_000);
const MIN_CONNECTIONS = Math.max(1, setting('SOAK_MIN_CONNECTIONS', 10));
const MAX_CONNECTIONS = Math.max(MIN_CONNECTIONS, setting('SOAK_MAX_CONNECTIONS', 50));
const IDLE = setting('SOAK_IDLE', 2000);
const SLOW = setting('SOAK_SLOW', 100);
const POLICY_EVERY_MS = Math.max(10, setting('SOAK_POLICY_EVERY_MS', 100));
const ROTATIONS = setting('SOAK_CERT_ROTATIONS', 2);
const FUZZ_POOL = Math.max(1, setting('SOAK_FUZZ_POOL', 1500));
const SEED = setting('SOAK_SEED', Date.now() % 1_000_000_007);
const SERVE_ARGS = (process.env.SOAK_SERVE_ARGS ?? '').split(/\s+/).filter((a) => a !== '');

/** A small seeded generator (mulberry32), so a run can be replayed with SOAK_SEED. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Sent {
  status: number;
  text: string;
}

function send(
  port: number,
  agent: Agent | false,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: Buffer,
): Promise<Sent> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = request(
      {
        host: HOST,
        port,
        method,
        path,
        agent,
        rejectUnauthorized: false,
        servername: 'localhost',
        headers: body ? { ...headers, 'content-length': String(body.length) } : headers,
      },
      (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.setTimeout(30_000, () => req.destroy(Object.assign(new Error('no answer in 30 s'), { code: 'TIMEOUT' })));
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    req.end(body);
  });
}

const count = (m: Map<string, number>, key: string, n = 1): void => void m.set(key, (m.get(key) ?? 0) + n);

/** The policy the soak rewrites, and the Pod whose verdict shows which version is in force. */
const POLICY_FILE = 'disallow-secret-env.yaml';
const probeBody = Buffer.from(
  JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: 'soak-probe',
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      namespace: 'soak',
      operation: 'CREATE',
      userInfo: { username: 'soak' },
      object: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'probe', namespace: 'soak' },
        spec: {
          containers: [
            { name: 'c', image: 'x', env: [{ name: 'T', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] },
          ],
        },
      },
    },
  }),
);

async function main(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'shroud-soak-'));
  const policiesDir = join(dir, 'policies');
  const certDir = join(dir, 'certs');
  cpSync(join(root, 'policies'), policiesDir, { recursive: true });
  await writeCertFiles(certDir, generateCertBundle({ names: ['localhost', HOST], days: 1 }), { force: false });

  const random = rng(SEED);
  console.log(
    `soak: ${SOAK_MS / 1000} s, at most ${MAX_REQUESTS} reviews on ${MIN_CONNECTIONS}-${MAX_CONNECTIONS} connections, ${IDLE} idle and ${SLOW} slow connections, a policy write every ${POLICY_EVERY_MS} ms, ${ROTATIONS} certificate rotations, seed ${SEED}`,
  );
  const fuzzPool: FuzzCase[] = fc.sample(fuzzCases({ maxDepth: 100_000 }), {
    numRuns: FUZZ_POOL,
    seed: SEED,
  });
  const validBodies = [
    ...BENCH_BODIES.map((b, i) => ({
      name: b.name,
      body: Buffer.from(JSON.stringify(b.review())),
      weight: [10, 6, 1][i]!,
    })),
    ...SEED_NAMES.map((n) => ({ name: `seed ${n}`, body: Buffer.from(renderJson(SEEDS[n]!())), weight: 0.3 })),
  ];
  const totalWeight = validBodies.reduce((s, b) => s + b.weight, 0);
  const pickValid = (): (typeof validBodies)[number] => {
    let r = random() * totalWeight;
    for (const b of validBodies) {
      r -= b.weight;
      if (r < 0) return b;
    }
    return validBodies[0]!;
  };

  const child = spawn(
    process.execPath,
    [
      join(root, 'bin', 'shroud.js'),
      'serve',
      '--listen',
      `${HOST}:0`,
      '--policies',
      policiesDir,
      '--cert-dir',
      certDir,
      '--poll-interval-ms',
      '2000',
      ...SERVE_ARGS,
    ],
    { cwd: dir, env: { ...process.env, SHROUD_METRICS_LISTEN: `${HOST}:0` }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const stdout = scanOutput(child.stdout, SECRET_VALUES);
  const stderr = scanOutput(child.stderr, SECRET_VALUES);
  // Set when the server exits: before the soak stops it, that is a crash.
  let exited: string | undefined;
  const started = performance.now();
  child.once('exit', (code, signal) => {
    exited = `exited with ${signal ?? code} at ${((performance.now() - started) / 1000).toFixed(1)} s`;
  });
  // Whatever happens below, the server and this process stop.
  const watchdog = setTimeout(() => {
    console.error('soak: watchdog fired; killing the server');
    child.kill('SIGKILL');
    process.exit(2);
  }, SOAK_MS + 180_000);

  let exitCode = 0;
  try {
    const port = Number((await waitForOutput(child, /listening on https:\/\/127\.0\.0\.1:(\d+)/, 'shroud serve'))[1]);
    const pid = child.pid!;
    const rss = new Tracked();
    const fds = new Tracked();
    const sample = (): void => {
      if (!isAlive(pid)) return;
      rss.add(treeSum(pid, rssBytes));
      fds.add(treeSum(pid, openFds));
    };
    sample();
    const cpuStart = treeSum(pid, cpuMicros);
    const sampler = setInterval(sample, 250);

    // Made before the clock starts: key generation would stall this process, and the probes
    // measured here would blame the server for it.
    const nextBundles = Array.from({ length: ROTATIONS }, () =>
      generateCertBundle({ names: ['localhost', HOST], days: 1 }),
    );
    // This process's own stalls, so its probe latencies can be read fairly.
    const ownDelay = monitorEventLoopDelay({ resolution: 10 });
    ownDelay.enable();
    const t0 = performance.now();
    const deadline = t0 + SOAK_MS;
    const running = (): boolean => performance.now() < deadline && exited === undefined;

    // --- reviews on a rising and falling number of keep-alive connections
    const byStatus = { valid: new Map<string, number>(), fuzzed: new Map<string, number>() };
    const clientErrors = new Map<string, number>();
    const violations = new Map<string, { n: number; example: string }>();
    const latencies = new Map<string, number[]>();
    let answerSecretHits = 0;
    const slowest: Array<[number, string]> = [];
    let total = 0;
    const active = new Set<number>();
    const wantedConnections = (): number => {
      const phase = ((performance.now() - t0) / (SOAK_MS / 2)) % 1;
      const tri = phase < 0.5 ? phase * 2 : 2 - phase * 2;
      return Math.round(MIN_CONNECTIONS + tri * (MAX_CONNECTIONS - MIN_CONNECTIONS));
    };
    let peakConnections = 0;
    const workers: Promise<void>[] = [];
    const worker = async (id: number): Promise<void> => {
      active.add(id);
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      try {
        while (running() && total < MAX_REQUESTS && id < wantedConnections()) {
          total++;
          const valid = random() < 0.5;
          const v = valid ? pickValid() : undefined;
          const c = valid ? undefined : fuzzPool[Math.floor(random() * fuzzPool.length)]!;
          const began = performance.now();
          try {
            const a = v
              ? await send(port, agent, 'POST', '/validate', { 'content-type': 'application/json' }, v.body)
              : await send(port, agent, 'POST', c!.endpoint, c!.headers, c!.body);
            count(valid ? byStatus.valid : byStatus.fuzzed, String(a.status));
            if (SECRET_VALUES.some((s) => a.text.includes(s))) answerSecretHits++;
            if (v) {
              if (a.status === 200) {
                const xs = latencies.get(v.name) ?? [];
                xs.push(performance.now() - began);
                latencies.set(v.name, xs);
              } else violations.set(`valid review answered ${a.status}`, { n: 1, example: v.name });
            } else {
              const ms = performance.now() - began;
              if (slowest.length < 5 || ms > slowest[slowest.length - 1]![0]) {
                slowest.push([ms, c!.label]);
                slowest.sort((x, y) => y[0] - x[0]);
                slowest.length = Math.min(slowest.length, 5);
              }
            }
            if (c && !c.allowed.includes(a.status)) {
              const key = `${c.family}: ${a.status} where ${c.allowed.join('/')} is right`;
              const seen = violations.get(key);
              violations.set(key, { n: (seen?.n ?? 0) + 1, example: seen?.example ?? c.label });
            }
          } catch (err) {
            count(
              clientErrors,
              `${valid ? 'valid' : 'fuzzed'}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
            );
            await sleep(20);
          }
        }
      } finally {
        agent.destroy();
        active.delete(id);
      }
    };
    const controller = setInterval(() => {
      const n = wantedConnections();
      peakConnections = Math.max(peakConnections, active.size);
      for (let i = 0; i < n && running() && total < MAX_REQUESTS; i++) if (!active.has(i)) workers.push(worker(i));
    }, 250);

    // --- held connections
    const slowHeaders = holdConnections(port, 'slow-headers', Math.ceil(SLOW / 2), { reopen: true, perTick: 10 });
    const slowBody = holdConnections(port, 'slow-body', Math.floor(SLOW / 2), { reopen: true, perTick: 10 });
    const idleTls = holdConnections(port, 'idle-tls', Math.floor(IDLE / 10), { reopen: false, perTick: 20 });
    const idleTcp = holdConnections(port, 'idle-tcp', IDLE - Math.floor(IDLE / 10), { reopen: false, perTick: 100 });

    // --- policy rewrites, and a probe that shows which version is in force
    const original = readFileSync(join(policiesDir, POLICY_FILE), 'utf8');
    if (!/^ {2}enforcement: deny$/m.test(original))
      throw new Error(`${POLICY_FILE}: no "  enforcement: deny" line to flip`);
    const variant = (enforcement: 'deny' | 'warn', n: number): string =>
      original
        .replace(/^ {2}enforcement: deny$/m, `  enforcement: ${enforcement}`)
        .replace(/^( {2}description: .*)$/m, `$1 (soak write ${n})`);
    let writes = 0;
    let brokenWrites = 0;
    const policyWriter = setInterval(() => {
      writes++;
      if (writes % 10 === 0) {
        brokenWrites++;
        writeFileSync(
          join(policiesDir, POLICY_FILE),
          'apiVersion: policy.shroud.dev/v1\nkind: Policy\nmetadata: [unclosed\n',
        );
      } else {
        writeFileSync(join(policiesDir, POLICY_FILE), variant(writes % 2 === 0 ? 'deny' : 'warn', writes));
      }
    }, POLICY_EVERY_MS);
    const probeAgent = new Agent({ keepAlive: true, maxSockets: 1 });
    const probe = async (): Promise<boolean | undefined> => {
      try {
        const a = await send(port, probeAgent, 'POST', '/validate', { 'content-type': 'application/json' }, probeBody);
        return (JSON.parse(a.text) as { response?: { allowed?: boolean } }).response?.allowed;
      } catch {
        return undefined;
      }
    };
    let probeFlips = 0;
    let lastProbe: boolean | undefined;
    let probes = 0;
    const prober = setInterval(() => {
      void probe().then((allowed) => {
        probes++;
        if (allowed !== undefined && lastProbe !== undefined && allowed !== lastProbe) probeFlips++;
        if (allowed !== undefined) lastProbe = allowed;
      });
    }, 500);

    // --- /healthz latency
    const health: number[] = [];
    let healthFailures = 0;
    let healthWorst: [number, number] = [0, 0];
    const healthProbe = setInterval(() => {
      const began = performance.now();
      send(port, false, 'GET', '/healthz', {})
        .then((a) => {
          if (a.status !== 200) healthFailures++;
          else {
            const ms = performance.now() - began;
            health.push(ms);
            if (ms > healthWorst[0]) healthWorst = [ms, (began - t0) / 1000];
          }
        })
        .catch(() => healthFailures++);
    }, 500);

    // --- certificate rotations
    const rotations: string[] = [];
    const rotationsDone = (async () => {
      for (let k = 1; k <= ROTATIONS; k++) {
        const at = t0 + (SOAK_MS * k) / (ROTATIONS + 1);
        while (performance.now() < at && running()) await sleep(100);
        if (!running()) break;
        const bundle = nextBundles[k - 1]!;
        const expected = new X509Certificate(bundle.cert).fingerprint256;
        const wrote = performance.now();
        await writeCertFiles(certDir, bundle, { force: true });
        let served: number | undefined;
        while (served === undefined && performance.now() - wrote < 30_000 && exited === undefined) {
          const got = await new Promise<string | undefined>((resolve) => {
            const s = tlsConnect({ host: HOST, port, rejectUnauthorized: false, servername: 'localhost' }, () => {
              resolve(s.getPeerX509Certificate()?.fingerprint256);
              s.destroy();
            });
            s.on('error', () => resolve(undefined));
            s.setTimeout(5000, () => {
              s.destroy();
              resolve(undefined);
            });
          });
          if (got === expected) served = performance.now() - wrote;
          else await sleep(200);
        }
        rotations.push(
          served === undefined ? 'not served within 30 s' : `served after ${(served / 1000).toFixed(1)} s`,
        );
      }
    })();

    // --- run, then stop everything this soak started
    while (running() && total < MAX_REQUESTS) await sleep(100);
    const loadMs = performance.now() - t0;
    clearInterval(controller);
    clearInterval(policyWriter);
    clearInterval(prober);
    clearInterval(healthProbe);
    await Promise.race([Promise.all(workers), sleep(35_000)]);
    await rotationsDone;
    const held = { slowHeaders, slowBody, idleTls, idleTcp };
    const heldOpenAtEnd = Object.fromEntries(Object.entries(held).map(([k, p]) => [k, p.stats.open]));
    for (const p of Object.values(held)) p.stop();
    probeAgent.destroy();

    // One write after the storm: how long until it is in force.
    let applyAfterStorm = 'not measured (server down)';
    if (exited === undefined) {
      await sleep(1500);
      const before = await probe();
      const next = before === false ? 'warn' : 'deny';
      const wrote = performance.now();
      writeFileSync(join(policiesDir, POLICY_FILE), variant(next, writes + 1));
      applyAfterStorm = 'not applied within 20 s';
      while (performance.now() - wrote < 20_000) {
        if ((await probe()) === (next === 'warn')) {
          applyAfterStorm = `applied after ${((performance.now() - wrote) / 1000).toFixed(2)} s`;
          break;
        }
        await sleep(50);
      }
    }
    await sleep(1000);
    clearInterval(sampler);
    sample();
    const cpuUs = exited === undefined ? treeSum(pid, cpuMicros) - cpuStart : Number.NaN;
    let readyz = 'not answered';
    try {
      readyz = (await send(port, false, 'GET', '/readyz', {})).text;
    } catch (err) {
      readyz = `failed: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
    }
    const aliveAtEnd = exited === undefined;
    const crashed = exited;
    const stopBegan = performance.now();
    await stopChild(child, 30_000);
    const stopMs = performance.now() - stopBegan;
    clearTimeout(watchdog);
    await sleep(200); // the last output lines

    // --- report
    const line = (label: string, value: string): void => console.log(`  ${label.padEnd(34)} ${value}`);
    const statuses = (m: Map<string, number>): string =>
      [...m]
        .sort()
        .map(([k, v]) => `${k}: ${v}`)
        .join(', ') || '-';
    const allValid = [...latencies.values()].flat();
    const closedStats = (xs: number[]): string =>
      xs.length === 0
        ? 'none closed by the server'
        : `${xs.length} closed by the server, after p50 ${(percentile(xs, 50) / 1000).toFixed(1)} s, max ${(Math.max(...xs) / 1000).toFixed(1)} s`;
    console.log(`\nsoak report (${(loadMs / 1000).toFixed(1)} s of load; 2 shared cores, the load generator competes)`);
    line('server', aliveAtEnd ? 'alive at the end' : `CRASHED: ${crashed}`);
    line('reviews sent', `${total} (${(total / (loadMs / 1000)).toFixed(0)}/s), peak ${peakConnections} connections`);
    line('valid reviews by status', statuses(byStatus.valid));
    line('fuzzed reviews by status', statuses(byStatus.fuzzed));
    line('client-side errors', statuses(clientErrors));
    line('contract violations', violations.size === 0 ? 'none' : '');
    for (const [k, v] of violations) console.log(`    ${k}: ${v.n}, e.g. ${v.example.slice(0, 240)}`);
    line(
      'valid review latency',
      `p50 ${percentile(allValid, 50).toFixed(1)} ms, p99 ${percentile(allValid, 99).toFixed(1)} ms (closed loop, all valid bodies)`,
    );
    for (const [name, xs] of latencies)
      console.log(
        `    ${name.padEnd(28)} n=${xs.length}, p50 ${percentile(xs, 50).toFixed(1)} ms, p99 ${percentile(xs, 99).toFixed(1)} ms`,
      );
    line('slowest fuzzed answers', '');
    for (const [ms, label] of slowest) console.log(`    ${ms.toFixed(0).padStart(6)} ms  ${label.slice(0, 220)}`);
    line(
      '/healthz every 500 ms',
      `${health.length} answered, ${healthFailures} failed, p50 ${percentile(health, 50).toFixed(1)} ms, p99 ${percentile(health, 99).toFixed(1)} ms, max ${healthWorst[0].toFixed(1)} ms (sent at ${healthWorst[1].toFixed(1)} s)`,
    );
    ownDelay.disable();
    line(
      'load generator event-loop delay',
      `p99 ${(ownDelay.percentile(99) / 1e6).toFixed(0)} ms, max ${(ownDelay.max / 1e6).toFixed(0)} ms (this process; it inflates the latencies above)`,
    );
    line('RSS (process tree)', `start ${mib(rss.start ?? 0)}, peak ${mib(rss.peak)}, end ${mib(rss.last)}`);
    line('open fds (process tree)', `start ${fds.start}, peak ${fds.peak}, end ${fds.last}`);
    line('server CPU', `${(cpuUs / 1e6).toFixed(1)} s (${(cpuUs / Math.max(1, total)).toFixed(0)} µs per review sent)`);
    line(
      'slow clients, headers',
      `${slowHeaders.stats.opened} opened, ${closedStats(slowHeaders.stats.closedByServer)}, ${heldOpenAtEnd.slowHeaders} open at the end`,
    );
    line(
      'slow clients, body',
      `${slowBody.stats.opened} opened, ${closedStats(slowBody.stats.closedByServer)}, ${heldOpenAtEnd.slowBody} open at the end`,
    );
    line(
      'idle TCP (no TLS handshake)',
      `${idleTcp.stats.opened} opened, ${idleTcp.stats.failed} failed, ${closedStats(idleTcp.stats.closedByServer)}, ${heldOpenAtEnd.idleTcp} open at the end`,
    );
    line(
      'idle TLS (no request)',
      `${idleTls.stats.opened} opened, ${idleTls.stats.failed} failed, ${closedStats(idleTls.stats.closedByServer)}, ${heldOpenAtEnd.idleTls} open at the end`,
    );
    line(
      'policy writes',
      `${writes} (${brokenWrites} broken), probe verdict changed ${probeFlips} times in ${probes} probes`,
    );
    line('one write after the storm', applyAfterStorm);
    line('certificate rotations', rotations.join('; ') || 'none');
    line(
      'server log (stdout)',
      `${stdout.lines} lines, ${mib(stdout.bytes)}, longest ${stdout.longestLine} bytes, levels ${statuses(stdout.levels)}`,
    );
    for (const [k, v] of stdout.messages) console.log(`    ${k} (${v})`);
    line('server stderr', `${stderr.lines} lines`);
    const logHits = [...stdout.secretHits.values(), ...stderr.secretHits.values()].reduce((a, b) => a + b, 0);
    line('planted secrets in answers', String(answerSecretHits));
    line(
      'planted secrets in logs',
      logHits === 0 ? '0' : `${logHits} (${statuses(new Map([...stdout.secretHits, ...stderr.secretHits]))})`,
    );
    line('/readyz at the end', readyz.length > 600 ? `${readyz.slice(0, 600)}…` : readyz);
    line('SIGTERM to exit', `${(stopMs / 1000).toFixed(1)} s, ${exited ?? 'exit status unknown'}`);
    if (!aliveAtEnd || answerSecretHits > 0 || logHits > 0 || violations.size > 0) exitCode = 1;
  } finally {
    clearTimeout(watchdog);
    await stopChild(child, 5000);
    rmSync(dir, { recursive: true, force: true });
  }
  return exitCode;
}

process.exitCode = await main();
// Anything still holding the loop (a socket in teardown) must not keep the soak alive.
setTimeout(() => process.exit(process.exitCode), 2000).unref();
