import { describeSources, policySources, SERVE_SETTINGS, type ServeConfig, toServeConfig } from '../../config/index.js';
import { createLogger, type Logger } from '../../log/logger.js';
import { formatIssue } from '../../policy/index.js';
import {
  InitialLoadError,
  isClusterWorker,
  leaveCluster,
  openMetricsEndpoint,
  prepareServeMaterial,
  startUnsealRole,
  startWebhookRole,
  superviseWorkers,
} from '../../roles/index.js';
import { defineCommandLine, readCommandLine } from '../command-line.js';
import { type CliIO, type Command, EXIT } from '../io.js';

export const SERVE_COMMAND_LINE = defineCommandLine({
  command: 'serve',
  usage: '[options]',
  description: `Runs over HTTPS, by --role: the admission webhook (POST /validate, POST /mutate), the
unseal service (POST /v1/unseal), or both on one listener (all, the default); GET /healthz, GET /readyz.
Dev certificates and a dev keyring are made on first run, only where no --cert-dir or --keyring
(or their variables) is given; a folder or file that is given must hold the real thing.`,
  settings: SERVE_SETTINGS,
  positionals: false,
});

const ROLE_NAMES = {
  webhook: 'webhook',
  unseal: 'unseal service',
  all: 'webhook and unseal service',
} as const;

/** `shroud serve`: the webhook, the unseal service or both, until SIGTERM or SIGINT. */
export const serveCommand: Command = async (argv, io) => {
  const commandLine = readCommandLine(SERVE_COMMAND_LINE, argv, io);
  if (commandLine === undefined) return EXIT.OK;
  const config = toServeConfig(commandLine);
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
  const notify = (line: string): void => {
    io.stderr.write(`shroud: ${line}\n`);
  };
  if (config.workers > 1 && !isClusterWorker()) {
    // The primary makes any dev material once, then only supervises; workers do the serving.
    // It serves /metrics: the sum of every worker's, asked over the cluster's IPC channel.
    await prepareServeMaterial(config, { cwd: io.cwd, logger, notify });
    const endpoint = await openMetricsEndpoint(config, 'primary', { logger, notify });
    if (endpoint.url !== undefined) notify(`metrics (all workers) on ${endpoint.url}`);
    try {
      return await superviseWorkers({ workers: config.workers, logger, notify, stopSignal: nextSignal(io) });
    } finally {
      await endpoint.close();
    }
  }
  const endpoint = await openMetricsEndpoint(config, isClusterWorker() ? 'worker' : 'single', { logger, notify });
  let role: { url: string; certDir: string; stop(delayMs?: number): Promise<void> };
  try {
    const env = { cwd: io.cwd, logger, notify, metrics: endpoint.metrics, environment: io.env };
    role = config.role === 'unseal' ? await startUnsealRole(config, env) : await startWebhookRole(config, env);
  } catch (err) {
    await endpoint.close();
    // The first policy load must be clean: there is no last good set to fall back on.
    if (!(err instanceof InitialLoadError)) throw err;
    for (const issue of err.issues) {
      logger.error({ ...issue }, 'policy file rejected');
      io.stderr.write(`${issue.code}: ${formatIssue(issue)}\n`);
    }
    io.stderr.write(
      `shroud: ${err.issues.length} problem(s) in ${describeSources(policySources(config, io.cwd))}; not starting\n`,
    );
    return EXIT.FAILURE;
  }
  const who = isClusterWorker() ? ` (worker pid ${process.pid})` : '';
  io.stderr.write(
    `shroud: ${ROLE_NAMES[config.role]} listening on ${role.url}${who}\n  try: curl --cacert ${role.certDir}/ca.crt ${role.url}/readyz\n`,
  );
  if (endpoint.url !== undefined) io.stderr.write(`shroud: metrics on ${endpoint.url} (plain HTTP)\n`);

  const signal = await nextSignal(io);
  // SIGTERM is Kubernetes stopping the pod: keep accepting while endpoints move. SIGINT is a
  // person at a terminal: stop now.
  const delayMs = signal === 'SIGINT' ? 0 : config.shutdownDelayMs;
  logger.info({ signal, delayMs, drainTimeoutMs: config.drainTimeoutMs }, 'shutting down');
  await role.stop(delayMs);
  await endpoint.close();
  logger.info('stopped');
  leaveCluster();
  return EXIT.OK;
}

/**
 * The first SIGTERM or SIGINT (tests pass their own through io.onSignal). A cluster worker keeps
 * listening and ignores repeats: Ctrl+C reaches it from the terminal and again from the primary.
 */
function nextSignal(io: CliIO): Promise<NodeJS.Signals> {
  return new Promise<NodeJS.Signals>((done) => {
    if (io.onSignal) io.onSignal(done);
    else if (isClusterWorker()) {
      process.on('SIGTERM', done);
      process.on('SIGINT', done);
    } else {
      process.once('SIGTERM', done);
      process.once('SIGINT', done);
    }
  });
}
