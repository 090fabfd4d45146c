/**
 * A webhook process for bench/webhook.bench.ts: `noop` is the baseline (express 5 over HTTPS,
 * express.json(), answer allowed) and `shroud` is Shroud's own app with the built-in policies.
 * Prints `PORT <n>` on stdout when listening; logs go to /dev/null as they would to a pipe.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createBenchReviewer } from './bench-reviewer.js';
import { noChangeMutator } from '../../src/admission/index.js';
import { createLogger } from '../../src/log/logger.js';
import { pino } from 'pino';
import { createWebhookApp } from '../../src/webhook/index.js';

const [mode, certDir] = process.argv.slice(2);
if (certDir === undefined || (mode !== 'noop' && mode !== 'shroud'))
  throw new Error('usage: webhook-target noop|shroud CERT_DIR');

let app: express.Express;
if (mode === 'noop') {
  app = express();
  app.use(express.json({ limit: '3mb' }));
  app.post('/validate', (req, res) => {
    const uid = (req.body as { request?: { uid?: string } }).request?.uid;
    res.json({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid, allowed: true } });
  });
} else {
  const logger = createLogger({
    level: process.env.BENCH_LOG_LEVEL ?? 'info',
    destination: pino.destination({ dest: '/dev/null', sync: false }),
  });
  app = createWebhookApp({
    reviewer: process.env.BENCH_ALLOW_ALL ? { review: () => ({ allowed: true }) } : await createBenchReviewer(),
    mutator: noChangeMutator,
    logger,
    readiness: () => ({ ready: true, checks: {} }),
  });
}
const server = createServer(
  { cert: readFileSync(`${certDir}/tls.crt`), key: readFileSync(`${certDir}/tls.key`), minVersion: 'TLSv1.2' },
  app,
);
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`PORT ${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
