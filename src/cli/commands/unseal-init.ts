/**
 * `shroud unseal-init`: the `shroud-unseal` init container that `/mutate` adds to a pod
 * (docs/injection.md). Reads its settings from the variables the patch sets (flags mirror them),
 * fills the in-memory volume through the unseal service, and says what it did in lines for
 * `kubectl logs`: counts and names, never a value or the token. A failure is ONE line,
 * `shroud-unseal: CODE: what happened; what to do`, and exit code 3 (a usage error, which only a
 * person typing flags makes, is the usual `CLI_USAGE: ...` and exit code 2).
 */
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { integerSetting, SETTINGS, switchSetting } from '../../config/index.js';
import { isShroudError, ShroudError } from '../../errors.js';
import {
  checkCaBundle,
  failureLine,
  type FileMode,
  folderModeFor,
  parseUnsealUrl,
  type UnsealInitReport,
  unsealInit,
  watchSealed,
} from '../../unseal/client/index.js';
import { defineCommandLine, readCommandLine } from '../command-line.js';
import { type CliIO, EXIT, type Command } from '../io.js';

export const UNSEAL_INIT_COMMAND_LINE = defineCommandLine({
  command: 'unseal-init',
  usage: '[options]',
  description: `The init container of an injected pod. Sends every sealed value (shroud:v1:...) of the
ConfigMaps mounted under the sealed folder to the unseal service with the pod's token, trusting only
the given CA, and writes each plaintext to OUTPUT/<configMap>/<key> atomically. Retries 503s,
timeouts and connection errors with backoff until the deadline; never retries a refusal.
With --watch it then keeps running (as a native sidecar) and fetches again whenever a sealed
ConfigMap's volume changes; a failed refresh keeps the files as they were. SIGTERM stops it.`,
  settings: {
    unsealUrl: SETTINGS.unsealUrl,
    unsealCaPem: SETTINGS.unsealCaPem,
    tokenFile: SETTINGS.tokenFile,
    sealedDir: SETTINGS.sealedDir,
    outputDir: SETTINGS.outputDir,
    fileMode: SETTINGS.fileMode,
    deadlineSeconds: SETTINGS.deadlineSeconds,
    watch: switchSetting({
      flag: 'watch',
      default: false,
      help: 'after the first fetch, keep running (a native sidecar) and fetch again when a sealed ConfigMap changes',
    }),
    watchIntervalMs: integerSetting({
      flag: 'watch-interval-ms',
      arg: 'N',
      default: 5000,
      min: 100,
      max: 3_600_000,
      accepts: 'a whole number of milliseconds from 100 to 3600000',
      help: "with --watch: how often the ConfigMap volumes' ..data links are checked",
    }),
  },
  positionals: false,
  footer: `Exit codes: 0 the files are written (or there was nothing sealed), 2 usage, 3 failure (one line
on stderr: shroud-unseal: CODE: message).`,
});

const PREFIX = 'shroud-unseal: ';

/** Runs `shroud unseal-init`. */
export const unsealInitCommand: Command = async (argv, io) => {
  const say = (line: string): void => {
    io.stderr.write(`${PREFIX}${line}\n`);
  };
  try {
    const commandLine = readCommandLine(UNSEAL_INIT_COMMAND_LINE, argv, io);
    if (commandLine === undefined) return EXIT.OK;
    const { values, sources } = commandLine;
    const origin = (name: 'unsealUrl' | 'unsealCaPem'): string =>
      sources[name] === 'flag' ? `--${SETTINGS[name].flag}` : (SETTINGS[name].env ?? '');
    if (values.unsealCaPem === undefined)
      throw new ShroudError(
        'CONFIG_INVALID',
        `SHROUD_UNSEAL_CA_PEM is not set: give the PEM bundle of the CA that signs the unseal service's certificate (the webhook's --unseal-ca sets it in injected pods)`,
      );
    checkCaBundle(values.unsealCaPem, origin('unsealCaPem'));
    const fileMode: FileMode = values.fileMode === '0440' ? 0o440 : 0o400;
    const outputDir = resolve(io.cwd, values.outputDir);
    const options = {
      url: parseUnsealUrl(values.unsealUrl, origin('unsealUrl')),
      caPem: values.unsealCaPem,
      tokenFile: resolve(io.cwd, values.tokenFile),
      sealedDir: resolve(io.cwd, values.sealedDir),
      outputDir,
      fileMode,
      deadlineMs: values.deadlineSeconds * 1000,
    };
    const deps = { now: () => Date.now(), sleep: (ms: number) => sleep(ms), random: Math.random, say };
    const fetched = (report: UnsealInitReport): void => {
      if (report.written.length > 0)
        say(
          `wrote ${report.written.length} file(s) under ${outputDir} (files ${values.fileMode}, folders 0${folderModeFor(fileMode).toString(8)}) after ${report.attempts} attempt(s): ${report.written.map((n) => `${n.configMap}/${n.key}`).join(', ')}`,
        );
    };
    if (!values.watch) {
      fetched(await unsealInit(options, deps));
      return EXIT.OK;
    }
    const stop = new AbortController();
    onStop(io, () => stop.abort());
    await watchSealed(
      options,
      { intervalMs: values.watchIntervalMs, signal: stop.signal },
      {
        ...deps,
        fetched,
        failed: (err) => say(`${failureLine(err)} (the files stay as they were; trying again later)`),
        pause: (ms, signal) => sleep(ms, undefined, { signal }).catch(() => undefined),
      },
    );
    say('stopped');
    return EXIT.OK;
  } catch (err) {
    // A usage error comes from a person typing flags (the pod passes none): the usual `CLI_USAGE: ...`.
    if (isShroudError(err, 'CLI_USAGE')) throw err;
    if (isShroudError(err)) {
      say(failureLine(err));
      return EXIT.FAILURE;
    }
    const what = err instanceof Error ? err.message : String(err);
    say(
      failureLine(
        new ShroudError('SHROUD_INTERNAL', `${what} (this is a bug in shroud; please report it with this line)`),
      ),
    );
    return EXIT.FAILURE;
  }
};

/** Calls `handler` on the first SIGTERM or SIGINT (tests pass their own through io.onSignal). */
function onStop(io: CliIO, handler: () => void): void {
  if (io.onSignal) io.onSignal(handler);
  else {
    process.once('SIGTERM', handler);
    process.once('SIGINT', handler);
  }
}
