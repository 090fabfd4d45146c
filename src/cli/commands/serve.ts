import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { noChangeMutator } from '../../admission/index.js';
import { resolveServeConfig, settingsFromEnv, type ServeConfig } from '../../config/serve-config.js';
import { ensureKeyring, loadKeyring, primaryVersion, type Keyring } from '../../crypto/index.js';
import { ShroudError } from '../../errors.js';
import { createLogger, type Logger } from '../../log/logger.js';
import { hasServingPair, writeCertFiles } from '../../server/cert-files.js';
import { DEFAULT_CERT_NAMES, generateCertBundle } from '../../server/dev-certs.js';
import { createPolicyReviewer, formatIssue, loadPolicyDir, type PolicySet } from '../../policy/index.js';
import type { ReadinessCheck } from '../../server/readiness.js';
import { InitialLoadError, openReloadingStore, type ReloadingStore } from '../../server/reloading-store.js';
import { startWebhookServer } from '../../server/webhook-server.js';
import { EXIT, type CliIO, type Command } from '../io.js';

const HELP = `Usage: shroud serve [options]

Runs the admission webhook over HTTPS: POST /validate, POST /mutate, GET /healthz, GET /readyz.
Every option can also be set by an environment variable (flags win).

Options:
  --listen HOST:PORT       where to listen (SHROUD_LISTEN, default 127.0.0.1:8443)
  --policies DIR           policy folder, read recursively (SHROUD_POLICIES, default: the built-in ones)
  --cert-dir DIR           tls.crt, tls.key, ca.crt (SHROUD_CERT_DIR, default ./certs)
  --no-dev-certs           fail instead of generating dev certificates when tls.* are missing
                           (SHROUD_DEV_CERTS=false)
  --keyring FILE           the keyring (SHROUD_KEYRING, default .shroud/keyring.json)
  --no-dev-keyring         fail instead of creating a dev keyring when FILE is missing
                           (SHROUD_DEV_KEYRING=false)
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
      keyring: { type: 'string' },
      'no-dev-keyring': { type: 'boolean' },
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
    keyringPath: values.keyring,
    devKeyring: values['no-dev-keyring'] ? false : undefined,
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
  const keyring = await openKeyring(resolve(io.cwd, config.keyringPath), config, io, logger);

  const server = await startWebhookServer({
    host: config.host,
    port: config.port,
    certDir,
    reviewer: createPolicyReviewer(policies.current),
    mutator: noChangeMutator,
    logger,
    pollIntervalMs: config.pollIntervalMs,
    readiness: {
      policies: () => ({ ...policies.readiness(), dir: policiesDir, count: policies.current().policies.length }),
      keyring: () => keyring,
    },
  });
  const url = `https://${server.host.includes(':') ? `[${server.host}]` : server.host}:${server.port}`;
  logger.info({ url, certDir }, 'listening');
  io.stderr.write(`shroud: webhook listening on ${url}\n` + `  try: curl --cacert ${certDir}/ca.crt ${url}/readyz\n`);

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
    return await openReloadingStore({
      dir,
      load: loadPolicyDir,
      logger,
      what: 'policies',
      pollMs: config.pollIntervalMs,
    });
  } catch (err) {
    if (!(err instanceof InitialLoadError)) throw err;
    for (const issue of err.issues) {
      logger.error({ ...issue }, 'policy file rejected');
      io.stderr.write(`${issue.code}: ${formatIssue(issue)}\n`);
    }
    io.stderr.write(`shroud: ${err.issues.length} problem(s) in ${dir}; not starting\n`);
    return undefined;
  }
}

/**
 * Checks the keyring at start-up (permissions, integrity, a primary version) so a broken one is
 * found now, not at the first unseal; creates a dev keyring on first run unless told not to.
 * Returns the /readyz facts: versions and states, never key material.
 * @throws ShroudError CRYPTO_KEYRING_* when the keyring is missing (dev keyring off), unreadable or corrupt.
 */
async function openKeyring(
  path: string,
  config: Readonly<ServeConfig>,
  io: CliIO,
  logger: Logger,
): Promise<ReadinessCheck> {
  let keyring: Keyring;
  if (config.devKeyring) {
    const ensured = await ensureKeyring(path);
    keyring = ensured.keyring;
    if (ensured.created) {
      logger.info({ keyring: path }, 'generated dev keyring');
      io.stderr.write(
        `shroud: generated a dev keyring at ${path} (mode 0600; back it up before sealing anything real)\n`,
      );
    }
  } else {
    keyring = await loadKeyring(path);
  }
  const primary = primaryVersion(keyring);
  return {
    ok: true,
    path,
    keyringId: keyring.keyringId,
    primaryVersion: primary.version,
    versions: keyring.versions.map((v) => ({ version: v.version, state: v.state })),
  };
}

/** Makes dev certificates on first run; in production (--no-dev-certs) a missing pair is an error. */
async function ensureCertificates(
  certDir: string,
  config: Readonly<ServeConfig>,
  io: CliIO,
  logger: Logger,
): Promise<void> {
  if (hasServingPair(certDir)) return;
  if (!config.devCerts) {
    throw new ShroudError(
      'TLS_FILES_MISSING',
      `no tls.crt and tls.key in ${certDir}, and dev certificates are off (--no-dev-certs)`,
    );
  }
  const names = [...new Set([...DEFAULT_CERT_NAMES, config.host].filter((n) => n !== '0.0.0.0' && n !== '::'))];
  const bundle = generateCertBundle({ names, days: 365 });
  await writeCertFiles(certDir, bundle, { force: false });
  logger.info({ certDir, names, notAfter: bundle.notAfter.toISOString() }, 'generated dev certificates');
  io.stderr.write(`shroud: generated a dev CA and serving certificate in ${certDir} (for ${names.join(', ')})\n`);
}
