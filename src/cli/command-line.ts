/**
 * Every command reads its command line here: flags built from its settings table, resolved as
 * defaults < environment < flags (src/config), and `--help` generated from the same table.
 */
import { parseArgs } from 'node:util';
import {
  type RawValue,
  type ResolvedSettings,
  resolveSettings,
  type Setting,
  type SettingTable,
  settingsFromEnvironment,
} from '../config/index.js';
import { isShroudError, ShroudError } from '../errors.js';
import type { CliIO } from './io.js';

/** What a command takes and how its help reads. */
export interface CommandLineSpec<S extends SettingTable> {
  /** Words after `shroud`: `check`, `policy test`. */
  command: string;
  /** The usage after the command (`[options] PATH...`); further lines continue it, indented. */
  usage: string;
  /** What the command does, written for it. */
  description: string;
  /** The settings it takes, by the names it reads them under. */
  settings: S;
  /** Whether it takes positional arguments (files, a subcommand). */
  positionals: boolean;
  /** Printed after the options: exit codes, notes. */
  footer?: string;
  /** Its arguments may hold secrets (`encrypt --from-literal`): no error repeats one. */
  secretArguments?: boolean;
}

/** A command line that was read: typed, deep-frozen values, where each came from, and the positionals. */
export interface CommandLine<S extends SettingTable> extends ResolvedSettings<S> {
  positionals: string[];
}

/** Declares a command line; only here so its settings' types are inferred. */
export function defineCommandLine<S extends SettingTable>(spec: CommandLineSpec<S>): CommandLineSpec<S> {
  return spec;
}

type ParseOptions = Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;

/** `--no-FLAG` exists for switches that are on by default. */
function negatable(setting: Setting<unknown>): boolean {
  return setting.kind === 'switch' && setting.default === true;
}

function parseOptions(table: SettingTable): ParseOptions {
  const options: ParseOptions = { help: { type: 'boolean', short: 'h' } };
  for (const s of Object.values(table)) {
    const type = s.kind === 'switch' ? 'boolean' : 'string';
    const multiple = s.kind === 'list' ? { multiple: true } : {};
    options[s.flag] = { type, ...multiple, ...(s.short !== undefined ? { short: s.short } : {}) };
    if (s.alias !== undefined) options[s.alias] = { type, ...multiple };
    if (negatable(s)) options[`no-${s.flag}`] = { type: 'boolean' };
  }
  return options;
}

/** The flag values for each setting, as raw values for resolveSettings. */
function flagValues(table: SettingTable, values: Record<string, unknown>, spec: CommandLineSpec<SettingTable>) {
  const both = (a: string, b: string) => usageError(spec, `give --${a} or --${b}, not both (they set the same thing)`);
  const out: Record<string, RawValue> = {};
  for (const [key, s] of Object.entries(table)) {
    let value = values[s.flag] as RawValue | undefined;
    if (s.alias !== undefined && values[s.alias] !== undefined) {
      if (value !== undefined) throw both(s.flag, s.alias);
      value = values[s.alias] as RawValue;
    }
    if (negatable(s) && values[`no-${s.flag}`] === true) {
      if (value !== undefined) throw both(s.flag, `no-${s.flag}`);
      value = false;
    }
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/** A CLI_USAGE error that points at the command's help. */
export function usageError(spec: CommandLineSpec<SettingTable>, message: string): ShroudError {
  return new ShroudError('CLI_USAGE', `${message}\nRun 'shroud ${spec.command} --help' for its options.`);
}

/**
 * Reads `argv` for the command: parses the flags its settings declare, resolves them against
 * the environment and the defaults, and checks positionals. For `-h`/`--help` it writes the
 * help to stdout and returns undefined.
 * @throws ShroudError CLI_USAGE (unknown flag, missing value, unexpected argument, bad value of a
 *   command-line-only option) or CONFIG_INVALID (bad value of a setting with an environment variable).
 */
export function readCommandLine<S extends SettingTable>(
  spec: CommandLineSpec<S>,
  argv: readonly string[],
  io: Pick<CliIO, 'env' | 'stdout'>,
): CommandLine<S> | undefined {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: parseOptions(spec.settings),
      allowPositionals: true,
      strict: true,
      tokens: true,
    });
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code !== 'string' || !code.startsWith('ERR_PARSE_ARGS')) throw err;
    // node:util's messages quote the offending argument, which may be a secret.
    const message = spec.secretArguments
      ? `the command line could not be parsed (${code}); arguments are not repeated because they may hold secrets`
      : (err as Error).message;
    throw usageError(spec, message);
  }
  const values = parsed.values as Record<string, unknown>;
  if (values.help === true) {
    io.stdout.write(renderHelp(spec));
    return undefined;
  }
  if (!spec.positionals && parsed.positionals.length > 0) {
    const index = parsed.tokens?.find((t) => t.kind === 'positional')?.index ?? 0;
    throw usageError(
      spec,
      spec.secretArguments
        ? `unexpected argument #${index + 1} (not repeated: it may be a secret)`
        : `unexpected argument "${parsed.positionals[0]}"`,
    );
  }
  const flags = flagValues(spec.settings, values, spec);
  let resolved: ResolvedSettings<S>;
  try {
    resolved = resolveSettings(
      spec.settings,
      { env: settingsFromEnvironment(spec.settings, io.env), flags },
      { quoteValues: !spec.secretArguments },
    );
  } catch (err) {
    // A bad command-line-only option: point at the help like every other usage error.
    if (isShroudError(err, 'CLI_USAGE')) throw usageError(spec, err.message);
    throw err;
  }
  return { ...resolved, positionals: parsed.positionals };
}

/** Cells wider than this push the row's meaning onto the next line instead of widening the column. */
const MAX_CELL = 26;

/** How a setting is written in help and the README: `-o, --output FORMAT`, `--[no-]dev-certs`. */
export function describeFlag(s: Setting<unknown>): string {
  const name = negatable(s) ? `--[no-]${s.flag}` : `--${s.flag}`;
  const names = [s.short !== undefined ? `-${s.short}` : undefined, name, s.alias && `--${s.alias}`];
  return `${names.filter(Boolean).join(', ')}${s.arg !== undefined ? ` ${s.arg}` : ''}`;
}

/**
 * The command's help: usage line, description, a table of its options (flag, environment
 * variable, default, meaning) generated from its settings, and the footer.
 */
export function renderHelp(spec: CommandLineSpec<SettingTable>): string {
  const settings = Object.values(spec.settings);
  const withEnv = settings.some((s) => s.env !== undefined);
  const withDefault = settings.some((s) => s.shownDefault !== '');
  const rows = [
    ...settings.map((s) => [
      describeFlag(s),
      ...(withEnv ? [s.env ?? ''] : []),
      ...(withDefault ? [s.shownDefault] : []),
      s.help,
    ]),
    ['-h, --help', ...(withEnv ? [''] : []), ...(withDefault ? [''] : []), 'show this help'],
  ];
  const header = ['FLAG', ...(withEnv ? ['ENVIRONMENT'] : []), ...(withDefault ? ['DEFAULT'] : []), 'MEANING'];
  const columns = header.length - 1;
  const widths = header
    .slice(0, columns)
    .map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length).filter((n) => n <= MAX_CELL)));
  const meaningAt = 2 + widths.reduce((sum, w) => sum + w + 2, 0);
  const line = (cells: string[]): string => {
    const lead = cells.slice(0, columns);
    const overflow = lead.some((c, i) => c.length > widths[i]!);
    const left = `  ${lead.map((c, i) => c.padEnd(widths[i]!)).join('  ')}`;
    const meaning = cells[columns]!;
    return overflow ? `${left.trimEnd()}\n${' '.repeat(meaningAt)}${meaning}` : `${left}  ${meaning}`.trimEnd();
  };
  const usage = spec.usage
    .split('\n')
    .map((u, i) => (i === 0 ? `Usage: shroud ${spec.command} ${u}` : `         ${u}`))
    .join('\n');
  const precedence = withEnv ? ' (flags win over the environment, the environment over the defaults)' : '';
  return [
    `${usage}\n`,
    `${spec.description.trimEnd()}\n`,
    `Options${precedence}:`,
    line(header),
    ...rows.map(line),
    ...(spec.footer !== undefined ? ['', spec.footer.trimEnd()] : []),
    '',
  ].join('\n');
}
