/**
 * `shroud kms-plugin --socket PATH`: a Kubernetes KMS v2 plugin on a Unix socket, backed by the
 * keyring or (`--kek-provider pkcs11`) a key in a PKCS#11 token, for kube-apiserver's
 * EncryptionConfiguration. Runs until SIGTERM or SIGINT.
 */
import { integerSetting, pathSetting, SETTINGS } from '../../config/index.js';
import { ShroudError } from '../../errors.js';
import { createLogger } from '../../log/logger.js';
import { KEK_SETTINGS, kekChoiceFrom, startKmsPluginRole } from '../../roles/index.js';
import { defineCommandLine, readCommandLine, renderHelp } from '../command-line.js';
import { type CliIO, type Command, EXIT } from '../io.js';

export const KMS_PLUGIN_COMMAND_LINE = defineCommandLine({
  command: 'kms-plugin',
  usage: '--socket PATH [--keyring FILE | --kek-provider pkcs11 --pkcs11-...] [options]',
  description: `Serves the Kubernetes KMS v2 API (Status, Encrypt, Decrypt) on a Unix socket, so kube-apiserver
encrypts Secrets and ConfigMaps in etcd under the keyring's primary key version. The keyring file is
reloaded when it changes: after \`shroud keys rotate\`, Status reports the new key_id and older
ciphertexts keep decrypting. The socket is made mode 0600; a stale one is replaced, anything else
at PATH is refused. With --kek-provider pkcs11 (the --pkcs11-* settings) the key is in a PKCS#11
token instead; --kek-provider kms is refused (a plugin backed by a plugin).`,
  settings: {
    socket: pathSetting({
      flag: 'socket',
      arg: 'PATH',
      env: 'SHROUD_KMS_PLUGIN_SOCKET',
      help: "the Unix socket to serve on (the EncryptionConfiguration's endpoint is unix://PATH)",
    }),
    keyringPath: SETTINGS.keyringPath,
    kekProvider: KEK_SETTINGS.kekProvider,
    pkcs11Module: KEK_SETTINGS.pkcs11Module,
    pkcs11Token: KEK_SETTINGS.pkcs11Token,
    pkcs11PinFile: KEK_SETTINGS.pkcs11PinFile,
    pkcs11KeyLabel: KEK_SETTINGS.pkcs11KeyLabel,
    timeoutMs: integerSetting({
      flag: 'timeout-ms',
      arg: 'N',
      env: 'SHROUD_KMS_PLUGIN_TIMEOUT_MS',
      default: 2500,
      min: 1,
      max: 60_000,
      accepts: 'a whole number of milliseconds from 1 to 60000',
      help: "per call: queue wait and KEK provider together (keep it under the EncryptionConfiguration's timeout)",
    }),
    logLevel: SETTINGS.logLevel,
    drainTimeoutMs: { ...SETTINGS.drainTimeoutMs, help: 'how long SIGTERM waits for calls in flight' },
    pollIntervalMs: {
      ...SETTINGS.pollIntervalMs,
      help: 'how often the keyring folder (pkcs11: the token) is re-checked besides file events',
    },
  },
  positionals: false,
});

/** Runs `shroud kms-plugin` until SIGTERM or SIGINT. */
export const kmsPluginCommand: Command = async (argv, io) => {
  const commandLine = readCommandLine(KMS_PLUGIN_COMMAND_LINE, argv, io);
  if (commandLine === undefined) return EXIT.OK;
  const { values } = commandLine;
  if (values.socket === undefined) {
    throw new ShroudError(
      'CLI_USAGE',
      `--socket PATH (or SHROUD_KMS_PLUGIN_SOCKET) is required\n\n${renderHelp(KMS_PLUGIN_COMMAND_LINE)}`,
    );
  }
  if (values.kekProvider === 'kms') {
    throw new ShroudError(
      'CLI_USAGE',
      `shroud kms-plugin cannot use --kek-provider kms: a KMS plugin backed by a KMS plugin is a loop. Use local (the keyring) or pkcs11 (a token)\n\n${renderHelp(KMS_PLUGIN_COMMAND_LINE)}`,
    );
  }
  const kek = kekChoiceFrom(values, io.cwd, io.env);
  const logger = createLogger({ level: values.logLevel });
  const onRejection = (err: unknown): void => logger.error({ err }, 'unhandled rejection');
  process.on('unhandledRejection', onRejection);
  try {
    const plugin = await startKmsPluginRole(
      {
        socketPath: values.socket,
        kek,
        timeoutMs: values.timeoutMs,
        pollIntervalMs: values.pollIntervalMs,
        drainTimeoutMs: values.drainTimeoutMs,
      },
      { cwd: io.cwd, logger, environment: io.env },
    );
    io.stderr.write(`shroud: kms-plugin listening on unix://${plugin.socketPath}\n`);
    const signal = await nextSignal(io);
    logger.info({ signal, drainTimeoutMs: values.drainTimeoutMs }, 'shutting down');
    await plugin.stop();
    logger.info('stopped');
    return EXIT.OK;
  } finally {
    process.off('unhandledRejection', onRejection);
    logger.flush();
  }
};

/** The first SIGTERM or SIGINT (tests pass their own through io.onSignal). */
function nextSignal(io: CliIO): Promise<NodeJS.Signals> {
  return new Promise((done) => {
    if (io.onSignal) {
      io.onSignal(done);
      return;
    }
    const once = (signal: NodeJS.Signals): void => {
      process.off('SIGTERM', once);
      process.off('SIGINT', once);
      done(signal);
    };
    process.on('SIGTERM', once);
    process.on('SIGINT', once);
  });
}
