import { ShroudError } from '../errors.js';
import { type RawValue, Rejected, type Setting } from './setting.js';

/** Settings by the name a command reads them under. */
// biome-ignore lint/suspicious/noExplicitAny: a table mixes settings of every value type
export type SettingTable = Readonly<Record<string, Setting<any>>>;

/** The typed values of a table. */
export type SettingValues<S extends SettingTable> = {
  readonly [K in keyof S]: S[K] extends Setting<infer T> ? T : never;
};

/** Where a resolved value came from. Only `default` values may be replaced by dev material. */
export type SettingSource = 'default' | 'env' | 'flag';

export interface ResolvedSettings<S extends SettingTable> {
  /** Deep-frozen. */
  values: SettingValues<S>;
  sources: { readonly [K in keyof S]: SettingSource };
}

/** Raw values by setting name, as one source delivers them; undefined means not given. */
export type RawSettings<S extends SettingTable> = { readonly [K in keyof S]?: RawValue | undefined };

/** Picks the table's environment variables out of `env`; empty ones count as unset. */
export function settingsFromEnvironment<S extends SettingTable>(
  table: S,
  env: Readonly<Record<string, string | undefined>>,
): RawSettings<S> {
  const out: Record<string, RawValue> = {};
  for (const [key, setting] of Object.entries(table)) {
    const value = setting.env === undefined ? undefined : env[setting.env];
    if (value !== undefined && value !== '') out[key] = value;
  }
  return out as RawSettings<S>;
}

/**
 * Merges defaults < environment < flags for every setting of `table`, parses and validates each
 * value, and returns them deep-frozen with where each came from.
 * @param options.quoteValues false where arguments may hold secrets (`shroud encrypt`): errors
 *   then name the setting and what it accepts, never the value.
 * @throws ShroudError CONFIG_INVALID (a setting with an environment variable) or CLI_USAGE (a
 *   command-line-only option) naming the flag or variable the bad value came from and what it accepts.
 */
export function resolveSettings<S extends SettingTable>(
  table: S,
  sources: { env?: RawSettings<S>; flags?: RawSettings<S> },
  options: { quoteValues?: boolean } = {},
): ResolvedSettings<S> {
  const values: Record<string, unknown> = {};
  const from: Record<string, SettingSource> = {};
  for (const [key, setting] of Object.entries(table)) {
    const flag = sources.flags?.[key];
    const env = sources.env?.[key];
    const [source, raw]: [SettingSource, RawValue | undefined] =
      flag !== undefined ? ['flag', flag] : env !== undefined ? ['env', env] : ['default', undefined];
    from[key] = source;
    if (raw === undefined) {
      values[key] = setting.default;
      continue;
    }
    const value = setting.read(raw);
    if (value instanceof Rejected) throw invalid(setting, source, value.got, options.quoteValues ?? true);
    values[key] = value;
  }
  return {
    values: deepFreeze(values) as SettingValues<S>,
    sources: Object.freeze(from) as ResolvedSettings<S>['sources'],
  };
}

/** `--flag` or the variable a value came from (a negated switch is still named by its flag). */
export function settingOrigin(setting: Setting<unknown>, source: SettingSource): string {
  return source === 'env' && setting.env !== undefined ? setting.env : `--${setting.flag}`;
}

function invalid(setting: Setting<unknown>, source: SettingSource, got: string, quote: boolean): ShroudError {
  const origin = settingOrigin(setting, source);
  return new ShroudError(
    setting.env === undefined ? 'CLI_USAGE' : 'CONFIG_INVALID',
    `${origin} must be ${setting.accepts}${quote ? ` (got "${got}")` : ''}`,
    { details: { setting: setting.flag, source } },
  );
}

/** Freezes an object and everything reachable from it. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
