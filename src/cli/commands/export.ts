/** `shroud export <map|...>`: in-tree admission objects compiled from Shroud's injection and policies. */
import { ShroudError } from '../../errors.js';
import { EXIT, type Command } from '../io.js';
import { runExportMap } from './export-map.js';

/** One entry per line: each subcommand and its runner. */
const SUBCOMMANDS: Record<string, Command> = {
  map: runExportMap,
};

function usage(): string {
  const names = Object.keys(SUBCOMMANDS).sort();
  return `Usage: shroud export <${names.join('|')}> [options]\n\nRun 'shroud export <subcommand> --help' for its options.\n`;
}

/** Runs `shroud export <subcommand>`. */
export const exportCommand: Command = async (argv, io) => {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    io.stdout.write(usage());
    return sub === undefined ? EXIT.USAGE : EXIT.OK;
  }
  const runner = Object.hasOwn(SUBCOMMANDS, sub) ? SUBCOMMANDS[sub] : undefined;
  if (runner === undefined) {
    throw new ShroudError(
      'CLI_USAGE',
      `unknown subcommand "export ${sub}"; try ${Object.keys(SUBCOMMANDS)
        .sort()
        .map((n) => `"shroud export ${n}"`)
        .join(' or ')}`,
    );
  }
  return runner(rest, io);
};

export default exportCommand;
