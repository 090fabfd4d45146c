import { ShroudError } from '../errors.js';
import { BUILTIN_POLICY_DIR } from '../policy/index.js';

/** Log levels pino understands, quietest last. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Settings of `shroud serve`. Sources merge as defaults < environment < flags. */
export interface ServeConfig {
  /** Address to listen on. Default 127.0.0.1 (`SHROUD_LISTEN` / `--listen HOST:PORT`). */
  host: string;
  /** Port to listen on. Default 8443; 0 picks a free port. */
  port: number;
  /**
   * Folder of policy files, read recursively. Default: the built-in policies that ship with Shroud
   * (`BUILTIN_POLICY_DIR`, `policies/` of the package) (`SHROUD_POLICIES` / `--policies`).
   */
  policiesDir: string;
  /** Folder with tls.crt, tls.key and ca.crt. Default `./certs` (`SHROUD_CERT_DIR` / `--cert-dir`). */
  certDir: string;
  /**
   * Generate a dev CA and serving certificate into certDir when tls.crt/tls.key are missing.
   * Default true; containers set `SHROUD_DEV_CERTS=false` / `--no-dev-certs` so a missing
   * mounted Secret is an error instead of a silently self-signed server.
   */
  devCerts: boolean;
  /** The keyring file. Default `.shroud/keyring.json` (`SHROUD_KEYRING` / `--keyring`). */
  keyringPath: string;
  /**
   * Create a dev keyring at keyringPath when none exists. Default true; clusters set
   * `SHROUD_DEV_KEYRING=false` / `--no-dev-keyring` so a missing mounted keyring is an error.
   */
  devKeyring: boolean;
  /** pino level. Default `info` (`SHROUD_LOG_LEVEL` / `--log-level`). */
  logLevel: LogLevel;
  /** How long SIGTERM waits for in-flight requests before closing connections. Default 10000 ms. */
  drainTimeoutMs: number;
  /** How often certificate and policy folders are re-checked besides fs events. Default 10000 ms. */
  pollIntervalMs: number;
}

export const SERVE_DEFAULTS: Readonly<ServeConfig> = Object.freeze({
  host: '127.0.0.1',
  port: 8443,
  policiesDir: BUILTIN_POLICY_DIR,
  certDir: 'certs',
  devCerts: true,
  keyringPath: '.shroud/keyring.json',
  devKeyring: true,
  logLevel: 'info',
  drainTimeoutMs: 10_000,
  pollIntervalMs: 10_000,
});

/** Raw values as they arrive from flags or environment: strings, booleans, or absent. */
export type RawServeSettings = Partial<Record<keyof ServeConfig | 'listen', string | boolean | undefined>>;

/** Environment variable for each setting. */
const ENV_NAMES = {
  listen: 'SHROUD_LISTEN',
  policiesDir: 'SHROUD_POLICIES',
  certDir: 'SHROUD_CERT_DIR',
  devCerts: 'SHROUD_DEV_CERTS',
  keyringPath: 'SHROUD_KEYRING',
  devKeyring: 'SHROUD_DEV_KEYRING',
  logLevel: 'SHROUD_LOG_LEVEL',
  drainTimeoutMs: 'SHROUD_DRAIN_TIMEOUT_MS',
  pollIntervalMs: 'SHROUD_POLL_INTERVAL_MS',
} as const;

/** Reads the SHROUD_* variables that `serve` understands. */
export function settingsFromEnv(env: Readonly<Record<string, string | undefined>>): RawServeSettings {
  const out: RawServeSettings = {};
  for (const [key, name] of Object.entries(ENV_NAMES)) {
    const value = env[name];
    if (value !== undefined && value !== '') out[key as keyof RawServeSettings] = value;
  }
  return out;
}

/**
 * Merges defaults < env < flags, validates every value and returns a frozen config.
 * @throws ShroudError CONFIG_INVALID naming the setting and what it accepts.
 */
export function resolveServeConfig(env: RawServeSettings, flags: RawServeSettings): Readonly<ServeConfig> {
  const merged: RawServeSettings = { ...env };
  for (const [k, v] of Object.entries(flags)) if (v !== undefined) merged[k as keyof RawServeSettings] = v;

  const config: ServeConfig = { ...SERVE_DEFAULTS };
  if (merged.listen !== undefined) Object.assign(config, parseListen(String(merged.listen)));
  if (merged.policiesDir !== undefined) config.policiesDir = nonEmpty('policies', merged.policiesDir);
  if (merged.certDir !== undefined) config.certDir = nonEmpty('cert-dir', merged.certDir);
  if (merged.devCerts !== undefined) config.devCerts = parseBool('dev-certs', merged.devCerts);
  if (merged.keyringPath !== undefined) config.keyringPath = nonEmpty('keyring', merged.keyringPath);
  if (merged.devKeyring !== undefined) config.devKeyring = parseBool('dev-keyring', merged.devKeyring);
  if (merged.logLevel !== undefined) config.logLevel = parseLevel(String(merged.logLevel));
  if (merged.drainTimeoutMs !== undefined) config.drainTimeoutMs = parseMs('drain-timeout-ms', merged.drainTimeoutMs);
  if (merged.pollIntervalMs !== undefined) config.pollIntervalMs = parseMs('poll-interval-ms', merged.pollIntervalMs);
  return Object.freeze(config);
}

/** Parses `HOST:PORT`, `[v6]:PORT` or `:PORT` (all interfaces). */
export function parseListen(value: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(value.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) {
    throw new ShroudError(
      'CONFIG_INVALID',
      `--listen / SHROUD_LISTEN: "${value}" is not HOST:PORT (for example 127.0.0.1:8443, :8443 or [::1]:8443)`,
      { details: { setting: 'listen' } },
    );
  }
  const host = m[1] ?? m[2] ?? '';
  return { host: host === '' ? '0.0.0.0' : host, port };
}

function nonEmpty(name: string, value: string | boolean): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ShroudError('CONFIG_INVALID', `--${name}: expected a path, got an empty value`, {
      details: { setting: name },
    });
  }
  return value;
}

function parseBool(name: string, value: string | boolean): boolean {
  if (typeof value === 'boolean') return value;
  const v = value.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  throw new ShroudError('CONFIG_INVALID', `--${name}: expected true or false, got "${value}"`, {
    details: { setting: name },
  });
}

function parseLevel(value: string): LogLevel {
  if ((LOG_LEVELS as readonly string[]).includes(value)) return value as LogLevel;
  throw new ShroudError('CONFIG_INVALID', `--log-level: "${value}" is not one of ${LOG_LEVELS.join(', ')}`, {
    details: { setting: 'log-level' },
  });
}

function parseMs(name: string, value: string | boolean): number {
  const n = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n)) {
    throw new ShroudError(
      'CONFIG_INVALID',
      `--${name}: expected a whole number of milliseconds, got "${String(value)}"`,
      {
        details: { setting: name },
      },
    );
  }
  return n;
}
