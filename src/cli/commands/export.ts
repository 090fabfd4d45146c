/**
 * `shroud export <target>`: compiles Shroud's policy files and injection into in-tree admission
 * objects. A thin dispatcher: one entry per target, each in its own file.
 */
import { ShroudError } from '../../errors.js';
import { EXIT, type Command } from '../io.js';
import { runExportMap } from './export-map.js';
import { runExportVap } from './export-vap.js';

/** One entry per line: each target and its runner. */
const EXPORT_TARGETS: Record<string, Command> = {
  map: runExportMap,
  vap: runExportVap,
};

const USAGE = `Usage: shroud export <target> [options]

Targets:
  vap  the structural policy rules as ValidatingAdmissionPolicies and bindings
  map  injection as a MutatingAdmissionPolicy and binding, with its guard

Run 'shroud export <target> --help' for a target's options.
`;

/** Runs `shroud export <target>`. */
export const exportCommand: Command = async (argv, io) => {
  const [target, ...rest] = argv;
  if (target === undefined || target === '--help' || target === '-h') {
    io.stdout.write(USAGE);
    return target === undefined ? EXIT.USAGE : EXIT.OK;
  }
  const run = Object.hasOwn(EXPORT_TARGETS, target) ? EXPORT_TARGETS[target] : undefined;
  if (run === undefined) {
    throw new ShroudError(
      'CLI_USAGE',
      `unknown export target "${target}"; try one of: ${Object.keys(EXPORT_TARGETS)
        .map((n) => `shroud export ${n}`)
        .join(', ')}`,
    );
  }
  return run(rest, io);
};

export default exportCommand;
