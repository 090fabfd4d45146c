import { parseArgs } from 'node:util';
import { resolveServeConfig, type ServeConfig, settingsFromEnv } from '../../config/serve-config.js';
import { createLogger, type Logger } from '../../log/logger.js';
import { formatIssue } from '../../policy/index.js';
import { InitialLoadError, startWebhookRole } from '../../roles/index.js';
import { type CliIO, type Command, EXIT } from '../io.js';

const HELP = `Usage: shroud serve [options]

Runs the admission webhook over HTTPS: POST /validate, POST /mutate, GET /healthz, GET /readyz.
Every option can also be set by an environment variable (flags win).

Options:
  --listen HOST:PORT       where to listen (SHROUD_LISTEN, default 127.0.0.1:8443)
  --policies DIR           policy folder, read recursively (SHROUD_POLICIES, default ./policies)
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
  let role: Awaited<ReturnType<typeof startWebhookRole>>;
  try {
    role = await startWebhookRole(config, {
      cwd: io.cwd,
      logger,
      notify: (line) => io.stderr.write(`shroud: ${line}\n`),
    });
  } catch (err) {
    // The first policy load must be clean: there is no last good set to fall back on.
    if (!(err instanceof InitialLoadError)) throw err;
    for (const issue of err.issues) {
      logger.error({ ...issue }, 'policy file rejected');
      io.stderr.write(`${issue.code}: ${formatIssue(issue)}\n`);
    }
    io.stderr.write(`shroud: ${err.issues.length} problem(s) in ${config.policiesDir}; not starting\n`);
    return EXIT.FAILURE;
  }
  io.stderr.write(
    `shroud: webhook listening on ${role.url}\n  try: curl --cacert ${role.certDir}/ca.crt ${role.url}/readyz\n`,
  );

  const signal = await new Promise<NodeJS.Signals>((done) => {
    if (io.onSignal) io.onSignal(done);
    else {
      process.once('SIGTERM', done);
      process.once('SIGINT', done);
    }
  });
  logger.info({ signal, drainTimeoutMs: config.drainTimeoutMs }, 'shutting down');
  await role.stop();
  logger.info('stopped');
  return EXIT.OK;
}
