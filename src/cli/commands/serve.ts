import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { noChangeMutator } from '../../admission/index.js';
import { resolveServeConfig, settingsFromEnv, type ServeConfig } from '../../config/serve-config.js';
import { ShroudError } from '../../errors.js';
import { createLogger, type Logger } from '../../log/logger.js';
import { hasServingPair, writeCertFiles } from '../../server/cert-files.js';
import { DEFAULT_CERT_NAMES, generateCertBundle } from '../../server/dev-certs.js';
import { createPolicyReviewer, loadPolicyDir, type PolicySet } from '../../policy/index.js';
import { formatIssue, InitialLoadError, openReloadingStore, type ReloadingStore } from '../../server/reloading-store.js';
import { startWebhookServer } from '../../server/webhook-server.js';
import { EXIT, type CliIO, type Command } from '../io.js';

const HELP = `Usage: shroud serve [options]

Runs the admission webhook over HTTPS: POST /validate, POST /mutate, GET /healthz, GET /readyz.
Every option can also be set by an environment variable (flags win).

Options:
  --listen HOST:PORT       where to listen (SHROUD_LISTEN, default 127.0.0.1:8443)
  --policies DIR           policy folder, read recursively (SHROUD_POLICIES, default ./policies)
  --cert-dir DIR           tls.crt, tls.key, ca.crt (SHROUD_CERT_DIR, default ./certs)
  --no-dev-certs           fail instead of generating dev certificates when tls.* are missing
                           (SHROUD_DEV_CERTS=false)
  --log-level LEVEL        trace|debug|info|warn|error|fatal|silent (SHROUD_LOG_LEVEL, default info)
  --drain-timeout-ms N     how long SIGTERM waits for in-flight reviews (SHROUD_DRAIN_TIMEOUT_MS, default 10000)
  --poll-interval-ms N     re-check interval for the certificate and policy folders (SHROUD_POLL_INTERVAL_MS, default 10000)
`;

/** `shroud serve`: the webhook, until SIGTERM or SIGINT. */
export const serveCommand: Command = async (argv, io) => {
  const { values } = parseArgs({
    args: argv,
    options: {
      listen: { type: 'string' },
      policies: { type: 'string' },
      'cert-dir': { type: 'string' },
      'dev-certs': { type: 'boolean' },
      'no-dev-certs': { type: 'boolean' },
      'log-level': { type: 'string' },
      'drain-timeout-ms': { type: 'string' },
      'poll-interval-ms': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    io.stdout.write(HELP);
    return EXIT.OK;
  }
  const config = resolveServeConfig(settingsFromEnv(io.env), {
    listen: values.listen,
    policiesDir: values.policies,
    certDir: values['cert-dir'],
    devCerts: values['no-dev-certs'] ? false : values['dev-certs'],
    logLevel: values['log-level'],
    drainTimeoutMs: values['drain-timeout-ms'],
    pollIntervalMs: values['poll-interval-ms'],
  });
  const logger = createLogger({ level: config.logLevel });
  // A webhook that exits takes every cluster write with it (failurePolicy Fail): a stray
  // rejection is a bug to log and fix, not a reason to stop answering.
  const onRejection = (err: unknown): void => logger.error({ err }, 'unhandled rejection');
  process.on('unhandledRejection', onRejection);
  try {
    return await serve(config, io, logger);
  } finally {
    process.off('unhandledRejection', onRejection);
    logger.flush();
  }
};

async function serve(config: Readonly<ServeConfig>, io: CliIO, logger: Logger): Promise<number> {
  const certDir = resolve(io.cwd, config.certDir);
  const policiesDir = resolve(io.cwd, config.policiesDir);
  const policies = await openPolicies(policiesDir, config, io, logger);
  if (policies === undefined) return EXIT.FAILURE;
  await ensureCertificates(certDir, config, io, logger);

  const server = await startWebhookServer({
    host: config.host,
    port: config.port,
    certDir,
    reviewer: createPolicyReviewer(policies.current),
    mutator: noChangeMutator,
    logger,
    pollIntervalMs: config.pollIntervalMs,
    readiness: { policies: () => ({ ...policies.readiness(), dir: policiesDir, count: policies.current().policies.length }) },
  });
  const url = `https://${server.host.includes(':') ? `[${server.host}]` : server.host}:${server.port}`;
  logger.info({ url, certDir }, 'listening');
  io.stderr.write(
    `shroud: webhook listening on ${url}\n` +
      `  try: curl --cacert ${certDir}/ca.crt ${url}/readyz\n`,
  );

  const signal = await new Promise<NodeJS.Signals>((done) => {
    if (io.onSignal) io.onSignal(done);
    else {
      process.once('SIGTERM', done);
      process.once('SIGINT', done);
    }
  });
  logger.info({ signal, drainTimeoutMs: config.drainTimeoutMs }, 'shutting down');
  await server.shutdown(config.drainTimeoutMs);
  policies.close();
  logger.info('stopped');
  return EXIT.OK;
}

/**
 * Loads the policy folder and keeps watching it. The first load must be clean: there is no
 * last good set to fall back on, so every issue is printed (file:line:column) and serve stops.
 */
async function openPolicies(
  dir: string,
  config: Readonly<ServeConfig>,
  io: CliIO,
  logger: Logger,
): Promise<ReloadingStore<PolicySet> | undefined> {
  try {
    return await openReloadingStore({ dir, load: loadPolicyDir, logger, what: 'policies', pollMs: config.pollIntervalMs });
  } catch (err) {
    if (!(err instanceof InitialLoadError)) throw err;
    for (const issue of err.issues) {
      logger.error({ ...issue }, 'policy file rejected');
      io.stderr.write(`${formatIssue(issue)}\n`);
    }
    io.stderr.write(`shroud: ${err.issues.length} problem(s) in ${dir}; not starting\n`);
    return undefined;
  }
}

/** Makes dev certificates on first run; in production (--no-dev-certs) a missing pair is an error. */
async function ensureCertificates(certDir: string, config: Readonly<ServeConfig>, io: CliIO, logger: Logger): Promise<void> {
  if (hasServingPair(certDir)) return;
  if (!config.devCerts) {
    throw new ShroudError('TLS_FILES_MISSING', `no tls.crt and tls.key in ${certDir}, and dev certificates are off (--no-dev-certs)`);
  }
  const names = [...new Set([...DEFAULT_CERT_NAMES, config.host].filter((n) => n !== '0.0.0.0' && n !== '::'))];
  const bundle = generateCertBundle({ names, days: 365 });
  await writeCertFiles(certDir, bundle, { force: false });
  logger.info({ certDir, names, notAfter: bundle.notAfter.toISOString() }, 'generated dev certificates');
  io.stderr.write(`shroud: generated a dev CA and serving certificate in ${certDir} (for ${names.join(', ')})\n`);
}
