/**
 * One setting: how it is spelled on the command line and in the environment, its default, how
 * a raw value becomes a typed one, and its help line. `settings.ts` declares the shared ones;
 * `resolve-settings.ts` merges defaults < environment < flags for any table of them.
 */

/** How a setting appears on the command line: `--flag VALUE`, a switch, or a repeatable `--flag VALUE`. */
export type SettingKind = 'value' | 'switch' | 'list';

/** A value before parsing: a flag's text, a switch, a repeated flag's texts, or an environment variable's text. */
export type RawValue = string | boolean | readonly string[];

/** What a parser returns for a value it does not accept; `got` is the offending text (one item of a list). */
export class Rejected {
  constructor(readonly got: string) {}
}

export interface Setting<T> {
  readonly kind: SettingKind;
  /** Long flag without the dashes: `policies` for `--policies`. */
  readonly flag: string;
  /** One-letter alias: `o` for `-o`. */
  readonly short?: string;
  /** A second long spelling kept for one command (`shroud certs --out` for `--cert-dir`). */
  readonly alias?: string;
  /** Placeholder for the value in help: `DIR`, `FILE`, `N`. Switches have none. */
  readonly arg?: string;
  /**
   * Environment variable (an empty value counts as unset). A setting with one is configuration:
   * a bad value is CONFIG_INVALID (exit 3), wherever it came from. Without one it is an argument
   * of one command line: a bad value is CLI_USAGE (exit 2).
   */
  readonly env?: string;
  readonly default: T;
  /** The default as help and the README show it ('' for none). */
  readonly shownDefault: string;
  /** One line for `--help`. */
  readonly help: string;
  /** What it accepts, for error messages: "a path", "one of text, json, sarif". */
  readonly accepts: string;
  /** A raw value as T, or Rejected. Switches from the environment arrive as text (`false`, `0`, `off`). */
  readonly read: (raw: RawValue) => T | Rejected;
}

/** Spelling and help, common to every kind. */
export interface SettingSpelling {
  flag: string;
  short?: string;
  env?: string;
  help: string;
}

function textOf(raw: RawValue): string {
  return typeof raw === 'string' ? raw : Array.isArray(raw) ? raw.join(',') : String(raw);
}

/** `--flag VALUE` parsed by `parse` (undefined = not accepted); `show` formats the default for help. */
export function valueSetting<T>(
  spec: SettingSpelling & {
    arg: string;
    default: T;
    accepts: string;
    parse: (text: string) => T | undefined;
    show?: (value: T) => string;
  },
): Setting<T> {
  const { parse, show, ...rest } = spec;
  return {
    ...rest,
    kind: 'value',
    shownDefault: spec.default === undefined ? '' : show ? show(spec.default) : String(spec.default),
    read: (raw) => {
      const text = textOf(raw);
      const value = typeof raw === 'string' ? parse(raw) : undefined;
      return value === undefined ? new Rejected(text) : value;
    },
  };
}

/** A path to a file or folder (not empty). Relative paths are kept as given; commands resolve them against the working directory. */
export function pathSetting(
  spec: SettingSpelling & { arg: string; default: string; shownDefault?: string },
): Setting<string>;
export function pathSetting(spec: SettingSpelling & { arg: string }): Setting<string | undefined>;
export function pathSetting(
  spec: SettingSpelling & { arg: string; default?: string; shownDefault?: string },
): Setting<string | undefined> {
  const { shownDefault, ...rest } = spec;
  return valueSetting<string | undefined>({
    ...rest,
    default: spec.default,
    ...(shownDefault === undefined ? {} : { show: () => shownDefault }),
    accepts: 'a path',
    parse: (text) => (text.trim() === '' ? undefined : text),
  });
}

/** One of a fixed list of words. */
export function choiceSetting<C extends string>(
  spec: SettingSpelling & { arg: string; choices: readonly C[]; default: C },
): Setting<C> {
  const { choices, ...rest } = spec;
  return valueSetting<C>({
    ...rest,
    accepts: `one of ${choices.join(', ')}`,
    parse: (text) => ((choices as readonly string[]).includes(text) ? (text as C) : undefined),
  });
}

/** A whole number from `min` to `max`. */
export function integerSetting(
  spec: SettingSpelling & { arg: string; default: number; min: number; max: number; accepts: string },
): Setting<number>;
export function integerSetting(
  spec: SettingSpelling & { arg: string; min: number; max: number; accepts: string },
): Setting<number | undefined>;
export function integerSetting(
  spec: SettingSpelling & { arg: string; default?: number; min: number; max: number; accepts: string },
): Setting<number | undefined> {
  const { min, max, ...rest } = spec;
  return valueSetting<number | undefined>({
    ...rest,
    default: spec.default,
    parse: (text) => {
      const n = /^\d+$/.test(text.trim()) ? Number(text) : Number.NaN;
      return Number.isSafeInteger(n) && n >= min && n <= max ? n : undefined;
    },
  });
}

const TRUE = ['true', '1', 'yes', 'on'];
const FALSE = ['false', '0', 'no', 'off'];

/**
 * An on/off switch. On the command line `--flag` turns it on and, when it is on by default,
 * `--no-flag` turns it off; the environment takes true/false, 1/0, yes/no or on/off.
 */
export function switchSetting(spec: SettingSpelling & { default: boolean }): Setting<boolean> {
  return {
    ...spec,
    kind: 'switch',
    shownDefault: String(spec.default),
    accepts: 'true or false',
    read: (raw) => {
      if (typeof raw === 'boolean') return raw;
      const text = textOf(raw).trim().toLowerCase();
      if (TRUE.includes(text)) return true;
      if (FALSE.includes(text)) return false;
      return new Rejected(textOf(raw));
    },
  };
}

/** A repeatable `--flag VALUE`; each value must pass `parse` (undefined = not accepted). No environment variable. */
export function listSetting(
  spec: Omit<SettingSpelling, 'env'> & {
    arg: string;
    default?: readonly string[];
    accepts?: string;
    parse?: (text: string) => string | undefined;
  },
): Setting<readonly string[]> {
  const { parse = (text: string) => text, accepts = `one or more ${spec.arg}`, ...rest } = spec;
  const fallback: readonly string[] = [...(spec.default ?? [])];
  return {
    ...rest,
    kind: 'list',
    default: fallback,
    shownDefault: fallback.join(', '),
    accepts,
    read: (raw) => {
      if (typeof raw === 'boolean') return new Rejected(String(raw));
      const items: readonly string[] = typeof raw === 'string' ? [raw] : raw;
      const out: string[] = [];
      for (const item of items) {
        const value = parse(item);
        if (value === undefined) return new Rejected(item);
        out.push(value);
      }
      return out;
    },
  };
}
