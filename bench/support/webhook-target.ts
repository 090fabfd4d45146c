/**
 * A webhook process for the benchmarks: `node --import tsx webhook-target.ts noop|shroud CERT_DIR`.
 * `noop` is the baseline (express 5, express.json(), answer allowed) and `shroud` is Shroud's own
 * app with the built-in policies. Both listen through Shroud's `listenHttps` with the pair from
 * `openTlsSource`, so TLS settings, timeouts and connection handling are the same code for both
 * and follow any change made there. Prints `PORT <n>` on stdout when listening; logs go to
 * /dev/null as they would to a pipe. SIGTERM drains and exits (so `--cpu-prof` writes its file).
 *
 * BENCH_LOG_LEVEL sets Shroud's log level (default info); BENCH_ALLOW_ALL=1 replaces the policy
 * engine with an allow-all reviewer, to see what the rest of the path costs; BENCH_METRICS=1 wires
 * the metrics recorders in as `serve` does (admission route, policy reviewer) and listens for
 * scrapes on 127.0.0.1 (a free port).
 */
import express from 'express';
import { pino } from 'pino';
import { allowAllReviewer, noChangeMutator } from '../../src/admission/index.js';
import { listenHttps } from '../../src/https/index.js';
import { createLogger } from '../../src/log/logger.js';
import { createShroudMetrics, startMetricsServer } from '../../src/metrics/index.js';
import { openTlsSource } from '../../src/tls/index.js';
import { createWebhookApp } from '../../src/webhook/index.js';
import { createBenchReviewer } from './bench-reviewer.js';

const [mode, certDir] = process.argv.slice(2);
if (certDir === undefined || (mode !== 'noop' && mode !== 'shroud'))
  throw new Error('usage: webhook-target noop|shroud CERT_DIR');

const logger = createLogger({
  level: process.env.BENCH_LOG_LEVEL ?? 'info',
  destination: pino.destination({ dest: '/dev/null', sync: false }),
});

let app: express.Express;
if (mode === 'noop') {
  app = express();
  app.use(express.json({ limit: '3mb' }));
  app.post('/validate', (req, res) => {
    const uid = (req.body as { request?: { uid?: string } }).request?.uid;
    res.json({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid, allowed: true } });
  });
} else {
  const metrics = process.env.BENCH_METRICS ? createShroudMetrics() : undefined;
  if (metrics !== undefined) await startMetricsServer({ host: '127.0.0.1', port: 0, source: metrics });
  app = createWebhookApp({
    reviewer: process.env.BENCH_ALLOW_ALL
      ? allowAllReviewer
      : await createBenchReviewer(metrics === undefined ? {} : { observe: metrics.evaluation }),
    mutator: noChangeMutator,
    logger,
    readiness: () => ({ ready: true, checks: {} }),
    ...(metrics === undefined ? {} : { observeAdmission: metrics.admission }),
  });
}

const tls = await openTlsSource({ certDir, logger, pollMs: 60_000 });
const server = await listenHttps({ host: '127.0.0.1', port: 0, tls, handler: app, logger });
process.stdout.write(`PORT ${server.port}\n`);

process.once('SIGTERM', () => {
  tls.close();
  void server.shutdown(1000).then(() => process.exit(0));
});
