/**
 * Unseal cost (issue 17): `POST /v1/unseal` over HTTPS in this process, against a fake
 * kube-apiserver (test/helpers/fake-apiserver.ts) whose TokenReview takes 20 ms, reached through
 * @kubernetes/client-node as in production.
 *
 * Sequential calls with a keep-alive connection, one 64-byte value per call:
 * - baseline: a no-op POST route on the same listener (TLS, express, body read, JSON answer);
 * - baseline TokenReview: the TokenReview client alone (the 20 ms plus client-node's own cost);
 * - unseal with the token uncached or cached, and the DEK uncached (cache cleared before each
 *   call: a KEK unwrap) or cached.
 * Latency p50/p99 and this process's CPU per call (client, fake API server and service together:
 * compare rows, the baseline rows carry the same client costs).
 * Then a pod storm: BENCH_STORM_PODS (500) pods, each with its own token, calling at once for
 * the same ConfigMap value; wall time, latency percentiles, TokenReviews sent, answers by status.
 *
 * Settings: BENCH_UNSEAL_CALLS (100 per row), BENCH_TOKEN_REVIEW_MS (20), BENCH_STORM_PODS (500).
 */
import { request, Agent } from 'node:https';
import { performance } from 'node:perf_hooks';
import express from 'express';
import { createKeyring, DekCache, LocalKeyringProvider, sealValue } from '../src/crypto/index.js';
import { listenHttps } from '../src/https/index.js';
import { createTokenReviewClient } from '../src/kube/index.js';
import { createLogger } from '../src/log/logger.js';
import { generateCertBundle, openTlsSource, writeCertFiles } from '../src/tls/index.js';
import { createUnsealService } from '../src/unseal/index.js';
import { jwtLike, podToken, startFakeApiServer } from '../test/helpers/fake-apiserver.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { envNumber, type LatencyRow, percentile } from './support/load.js';

function post(port: number, ca: string, agent: Agent, path: string, token: string, body: string) {
  return new Promise<number>((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        ca,
        servername: 'localhost',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          authorization: `Bearer ${token}`,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function row(
  name: string,
  calls: number,
  call: (i: number) => Promise<void>,
  before?: () => void,
): Promise<LatencyRow> {
  for (let i = 0; i < 5; i++) {
    before?.();
    await call(-1 - i); // warm-up
  }
  const latencies: number[] = [];
  let cpu = 0;
  for (let i = 0; i < calls; i++) {
    before?.();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await call(i);
    latencies.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu += c.user + c.system;
  }
  return { name, p50: percentile(latencies, 50), p99: percentile(latencies, 99), cpuUs: cpu / calls };
}

export async function run(): Promise<void> {
  const calls = envNumber('BENCH_UNSEAL_CALLS', 100);
  const reviewMs = envNumber('BENCH_TOKEN_REVIEW_MS', 20);
  const stormPods = envNumber('BENCH_STORM_PODS', 500);
  const dir = mkdtempSync(join(tmpdir(), 'shroud-bench-unseal-'));
  const api = await startFakeApiServer(dir);
  api.delayMs = reviewMs;
  await writeCertFiles(dir, generateCertBundle({ names: ['localhost', '127.0.0.1'], days: 2 }), { force: false });
  const ca = readFileSync(join(dir, 'ca.crt'), 'utf8');
  const logger = createLogger({ level: 'silent' });
  const keyring = createKeyring();
  const provider = new LocalKeyringProvider(keyring);
  const dekCache = new DekCache();
  const reviewer = createTokenReviewClient({ kubeconfigPath: api.kubeconfig, audiences: ['shroud'] });
  const service = createUnsealService({ reviewer, provider: () => provider, dekCache, logger });
  const app = express();
  app.post('/noop', express.raw({ type: () => true, limit: 1024 * 1024 }), (_req, res) => {
    res.json({ items: [] });
  });
  app.use(service.router);
  const tls = await openTlsSource({ certDir: dir, logger, pollMs: 60_000 });
  const server = await listenHttps({ host: '127.0.0.1', port: 0, tls, handler: app, logger });
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const WEB = { namespace: 'web', serviceAccount: 'api' };
  const value = await sealValue('x'.repeat(64), {
    scope: 'strict',
    context: { ...WEB, name: 'web-secrets', key: 'API_KEY' },
    provider,
  });
  const body = JSON.stringify({ items: [{ configMap: 'web-secrets', key: 'API_KEY', value }] });
  const freshToken = () => {
    const token = jwtLike(600);
    api.tokens.set(token, podToken(WEB));
    return token;
  };
  const steady = freshToken();
  const expect200 = async (token: string) => {
    const status = await post(server.port, ca, agent, '/v1/unseal', token, body);
    if (status !== 200) throw new Error(`unseal answered ${status}`);
  };

  try {
    // Each row that needs uncached tokens gets its own: a token reviewed once is cached.
    const fresh = () => {
      const tokens = Array.from({ length: calls + 10 }, freshToken);
      let next = 0;
      return () => tokens[next++]!;
    };
    const reviewToken = fresh();
    const coldToken = fresh();
    const warmDekToken = fresh();
    const rows: LatencyRow[] = [
      await row('baseline: no-op POST', calls, async () => {
        await post(server.port, ca, agent, '/noop', steady, body);
      }),
      await row(`baseline: TokenReview alone (${reviewMs} ms)`, calls, async () => {
        await reviewer.review(reviewToken());
      }),
      await row(
        'unseal: token uncached, DEK uncached',
        calls,
        () => expect200(coldToken()),
        () => dekCache.clear(),
      ),
      await row('unseal: token uncached, DEK cached', calls, () => expect200(warmDekToken())),
      await row(
        'unseal: token cached, DEK uncached',
        calls,
        () => expect200(steady),
        () => dekCache.clear(),
      ),
      await row('unseal: token cached, DEK cached', calls, () => expect200(steady)),
    ];
    const base = rows[0]!;
    console.log(`\nunseal, ${calls} sequential calls per row, TokenReview ${reviewMs} ms, one 64-byte value per call`);
    console.log(
      `  ${'case'.padEnd(40)}  ${'p50 ms'.padStart(8)}  ${'p99 ms'.padStart(8)}  ${'CPU µs/call'.padStart(12)}  ${'CPU x no-op'.padStart(12)}`,
    );
    for (const r of rows) {
      console.log(
        `  ${r.name.padEnd(40)}  ${r.p50.toFixed(2).padStart(8)}  ${r.p99.toFixed(2).padStart(8)}  ${Math.round(r.cpuUs).toString().padStart(12)}  ${(r.cpuUs / base.cpuUs).toFixed(2).padStart(12)}`,
      );
    }

    // The storm: every pod has its own token (no TokenReview cache help), one shared value.
    const stormTokens = Array.from({ length: stormPods }, freshToken);
    const reviewsBefore = api.calls.length;
    dekCache.clear();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const answers = await Promise.all(
      stormTokens.map(async (token) => {
        const s = performance.now();
        const status = await post(server.port, ca, agent, '/v1/unseal', token, body);
        return { status, ms: performance.now() - s };
      }),
    );
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(c0);
    const byStatus = new Map<number, number>();
    for (const a of answers) byStatus.set(a.status, (byStatus.get(a.status) ?? 0) + 1);
    const ms = answers.map((a) => a.ms);
    console.log(
      `\npod storm: ${stormPods} pods at once (client sockets ≤ 64), TokenReview ${reviewMs} ms, at most 32 TokenReviews in flight`,
    );
    console.log(
      `  wall ${wall.toFixed(0)} ms, p50 ${percentile(ms, 50).toFixed(0)} ms, p99 ${percentile(ms, 99).toFixed(0)} ms, ` +
        `TokenReviews ${api.calls.length - reviewsBefore}, CPU ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms, ` +
        `answers ${[...byStatus].map(([s, n]) => `${s}: ${n}`).join(', ')}`,
    );
  } finally {
    agent.destroy();
    await server.shutdown(1000);
    tls.close();
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
