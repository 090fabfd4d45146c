/**
 * `shroud export <target>`: compiles Shroud's policy files (and injection) into in-tree admission
 * objects. A thin dispatcher: one entry per target, each in its own file.
 */
import { ShroudError } from '../../errors.js';
import { EXIT, type CliIO, type Command } from '../io.js';
import { runExportVap } from './export-vap.js';

/** Every `shroud export <target>`. */
const EXPORT_TARGETS: Record<string, (argv: string[], io: CliIO) => Promise<number>> = {
  vap: runExportVap,
};

const USAGE = `Usage: shroud export <target> [options]

Targets: ${Object.keys(EXPORT_TARGETS).join(', ')}

Run 'shroud export <target> --help' for a target's options.
`;

/** Runs `shroud export <target>`. */
export const exportCommand: Command = async (argv: string[], io: CliIO): Promise<number> => {
  const [target, ...rest] = argv;
  if (target === undefined || target === '--help' || target === '-h') {
    io.stdout.write(USAGE);
    return target === undefined ? EXIT.USAGE : EXIT.OK;
  }
  const run = Object.hasOwn(EXPORT_TARGETS, target) ? EXPORT_TARGETS[target] : undefined;
  if (run === undefined)
    throw new ShroudError(
      'CLI_USAGE',
      `unknown export target "${target}"; try one of: ${Object.keys(EXPORT_TARGETS).join(', ')}`,
    );
  return run(rest, io);
};
