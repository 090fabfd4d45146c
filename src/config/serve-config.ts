import {
  type RawSettings,
  type ResolvedSettings,
  resolveSettings,
  type SettingValues,
  settingsFromEnvironment,
} from './resolve-settings.js';
import type { EnforcementOverride } from '../policy/index.js';
import { type KekProviderKind, type LogLevel, SETTINGS, type ServeRole } from './settings.js';

export { LOG_LEVELS, type LogLevel, SERVE_ROLES, type ServeRole } from './settings.js';

/** The settings of the KEK provider choice, which every command that opens a provider takes (besides `--keyring`). */
export const KEK_SETTINGS = {
  kekProvider: SETTINGS.kekProvider,
  pkcs11Module: SETTINGS.pkcs11Module,
  pkcs11Token: SETTINGS.pkcs11Token,
  pkcs11PinFile: SETTINGS.pkcs11PinFile,
  pkcs11KeyLabel: SETTINGS.pkcs11KeyLabel,
  kmsSocket: SETTINGS.kmsSocket,
  kmsTimeoutMs: SETTINGS.kmsTimeoutMs,
};

/** What `shroud serve` takes, from the settings table. */
export const SERVE_SETTINGS = {
  listen: SETTINGS.listen,
  metricsListen: SETTINGS.metricsListen,
  policiesDir: SETTINGS.policiesDir,
  builtinPolicies: SETTINGS.builtinPolicies,
  certDir: SETTINGS.certDir,
  devCerts: SETTINGS.devCerts,
  keyringPath: SETTINGS.keyringPath,
  devKeyring: SETTINGS.devKeyring,
  ...KEK_SETTINGS,
  role: SETTINGS.role,
  kubeconfig: SETTINGS.kubeconfig,
  tokenReviewTimeoutMs: SETTINGS.tokenReviewTimeoutMs,
  tokenReviewCacheMs: SETTINGS.tokenReviewCacheMs,
  logLevel: SETTINGS.logLevel,
  drainTimeoutMs: SETTINGS.drainTimeoutMs,
  pollIntervalMs: SETTINGS.pollIntervalMs,
  shutdownDelayMs: SETTINGS.shutdownDelayMs,
  maxConnections: SETTINGS.maxConnections,
  handshakeTimeoutMs: SETTINGS.handshakeTimeoutMs,
  headersTimeoutMs: SETTINGS.headersTimeoutMs,
  requestTimeoutMs: SETTINGS.requestTimeoutMs,
  keepAliveTimeoutMs: SETTINGS.keepAliveTimeoutMs,
  clientCa: SETTINGS.clientCa,
  workers: SETTINGS.workers,
  maxViolations: SETTINGS.maxViolations,
  maxMessageBytes: SETTINGS.maxMessageBytes,
  maxAuditAnnotationBytes: SETTINGS.maxAuditAnnotationBytes,
  enforcementOverride: SETTINGS.enforcementOverride,
  maxPolicyFileBytes: SETTINGS.maxPolicyFileBytes,
  maxPolicyDirBytes: SETTINGS.maxPolicyDirBytes,
  maxPolicyNodes: SETTINGS.maxPolicyNodes,
  injectImage: SETTINGS.injectImage,
  unsealUrl: SETTINGS.unsealUrl,
  unsealCa: SETTINGS.unsealCa,
  injectSizeLimit: SETTINGS.injectSizeLimit,
};

/** Settings of `shroud serve`. Sources merge as defaults < environment < flags (src/config/settings.ts). */
export interface ServeConfig {
  /** Address to listen on. Default 127.0.0.1 (`SHROUD_LISTEN` / `--listen HOST:PORT`). */
  host: string;
  /** Port to listen on. Default 8443; 0 picks a free port. */
  port: number;
  /**
   * A team's folder of policy files, read recursively and added to the built-in policies (its
   * documents replace built-in ones of the same kind and name). None by default
   * (`SHROUD_POLICIES` / `--policies`).
   */
  policiesDir: string | undefined;
  /** Load the built-in policies that ship with Shroud. Default true (`SHROUD_BUILTIN_POLICIES`). */
  builtinPolicies: boolean;
  /** Folder with tls.crt, tls.key and ca.crt. Default `./certs` (`SHROUD_CERT_DIR` / `--cert-dir`). */
  certDir: string;
  /** certDir was given (flag or environment): dev certificates are never made there. */
  certDirExplicit: boolean;
  /**
   * Generate a dev CA and serving certificate into the default certDir when tls.crt/tls.key are
   * missing. Default true; containers set `SHROUD_DEV_CERTS=false` / `--no-dev-certs` so a
   * missing mounted Secret is an error instead of a silently self-signed server.
   */
  devCerts: boolean;
  /** The keyring file. Default `.shroud/keyring.json` (`SHROUD_KEYRING` / `--keyring`). */
  keyringPath: string;
  /** keyringPath was given (flag or environment): a dev keyring is never made there. */
  keyringPathExplicit: boolean;
  /**
   * Create a dev keyring at the default keyringPath when none exists. Default true; clusters set
   * `SHROUD_DEV_KEYRING=false` / `--no-dev-keyring` so a missing mounted keyring is an error.
   */
  devKeyring: boolean;
  /**
   * The KEK provider of the unseal role (`--kek-provider`, `SHROUD_KEK_PROVIDER`): `local` (the
   * keyring file above), `pkcs11` with its module, token, PIN file and key label (the PIN itself
   * may instead be in `SHROUD_PKCS11_PIN`, read where the provider is opened), or `kms` with the
   * KMS v2 plugin's socket and call timeout.
   */
  kek: {
    provider: KekProviderKind;
    pkcs11Module: string | undefined;
    pkcs11Token: string | undefined;
    pkcs11PinFile: string | undefined;
    pkcs11KeyLabel: string;
    kmsSocket: string | undefined;
    kmsTimeoutMs: number;
  };
  /**
   * What to serve: `webhook` (never loads the keyring), `unseal` (never loads policies) or `all`
   * (both on one listener, the dev default) (`SHROUD_ROLE` / `--role`).
   */
  role: ServeRole;
  /** Kubeconfig for the unseal service's TokenReviews; none: in-cluster (`SHROUD_KUBECONFIG` / `--kubeconfig`). */
  kubeconfigPath: string | undefined;
  /** A TokenReview must answer within this. Default 5000 ms. */
  tokenReviewTimeoutMs: number;
  /** How long an authenticated TokenReview is reused, by token hash. Default 10000 ms; 0 turns the cache off. */
  tokenReviewCacheMs: number;
  /** pino level. Default `info` (`SHROUD_LOG_LEVEL` / `--log-level`). */
  logLevel: LogLevel;
  /** How long SIGTERM waits for in-flight requests before closing connections. Default 10000 ms. */
  drainTimeoutMs: number;
  /** How often certificate and policy folders are re-checked besides fs events. Default 10000 ms. */
  pollIntervalMs: number;
  /**
   * After SIGTERM, how long the server keeps accepting (with /readyz at 503) while endpoints
   * move to other pods. Default 5000 ms (`SHROUD_SHUTDOWN_DELAY_MS`); SIGINT skips it.
   */
  shutdownDelayMs: number;
  /** Connection bounds (`--max-connections`, `--*-timeout-ms`); defaults in DEFAULT_CONNECTION_LIMITS. */
  limits: {
    maxConnections: number;
    handshakeTimeoutMs: number;
    headersTimeoutMs: number;
    requestTimeoutMs: number;
    keepAliveTimeoutMs: number;
  };
  /** CA bundle for client-certificate verification; none by default (`SHROUD_CLIENT_CA`). */
  clientCaFile: string | undefined;
  /** Processes sharing the listener. Default 1 (`SHROUD_WORKERS` / `--workers`). */
  workers: number;
  /**
   * Where `GET /metrics` listens, plain HTTP, apart from the TLS port; undefined: off. Default
   * 127.0.0.1:9090 (`SHROUD_METRICS_LISTEN` / `--metrics-listen HOST:PORT|off`).
   */
  metrics: { host: string; port: number } | undefined;
  /** The metrics address was given rather than defaulted: failing to bind it stops `serve`. */
  metricsExplicit: boolean;
  /** What one review may produce (`--max-violations`, `--max-message-bytes`, `--max-audit-annotation-bytes`). */
  verdictLimits: { maxViolations: number; maxMessageBytes: number; maxAuditAnnotationBytes: number };
  /**
   * Run every policy as at most `audit` or `warn`, whatever its file says; none by default
   * (`SHROUD_ENFORCEMENT_OVERRIDE` / `--enforcement-override`).
   */
  enforcementOverride: EnforcementOverride | undefined;
  /** What one policy load may read and build (`--max-policy-file-bytes`, `--max-policy-dir-bytes`, `--max-policy-nodes`). */
  policyLimits: { maxFileBytes: number; maxTotalBytes: number; maxDocumentNodes: number };
  /**
   * Secret injection on `/mutate` (docs/injection.md): the init container's image
   * (`--inject-image`), where it reaches the unseal service (`--unseal-url`), the PEM file of the
   * CA that signs the unseal service's certificate (`--unseal-ca`; none given: in dev, the dev CA
   * of the default cert folder, otherwise labelled pods are denied) and the in-memory volume's
   * sizeLimit (`--inject-size-limit`).
   */
  injection: { image: string; unsealUrl: string; unsealCaFile: string | undefined; sizeLimit: string };
}

/** Raw values as they arrive from flags or environment: strings, booleans, or absent. */
export type RawServeSettings = RawSettings<typeof SERVE_SETTINGS>;

/** The resolved settings of `serve` as the config its role takes. */
export function toServeConfig(resolved: ResolvedSettings<typeof SERVE_SETTINGS>): Readonly<ServeConfig> {
  const v: SettingValues<typeof SERVE_SETTINGS> = resolved.values;
  return Object.freeze({
    host: v.listen.host,
    port: v.listen.port,
    policiesDir: v.policiesDir,
    builtinPolicies: v.builtinPolicies,
    certDir: v.certDir,
    certDirExplicit: resolved.sources.certDir !== 'default',
    devCerts: v.devCerts,
    keyringPath: v.keyringPath,
    keyringPathExplicit: resolved.sources.keyringPath !== 'default',
    devKeyring: v.devKeyring,
    kek: Object.freeze({
      provider: v.kekProvider,
      pkcs11Module: v.pkcs11Module,
      pkcs11Token: v.pkcs11Token,
      pkcs11PinFile: v.pkcs11PinFile,
      pkcs11KeyLabel: v.pkcs11KeyLabel,
      kmsSocket: v.kmsSocket,
      kmsTimeoutMs: v.kmsTimeoutMs,
    }),
    role: v.role,
    kubeconfigPath: v.kubeconfig,
    tokenReviewTimeoutMs: v.tokenReviewTimeoutMs,
    tokenReviewCacheMs: v.tokenReviewCacheMs,
    logLevel: v.logLevel,
    drainTimeoutMs: v.drainTimeoutMs,
    pollIntervalMs: v.pollIntervalMs,
    shutdownDelayMs: v.shutdownDelayMs,
    limits: Object.freeze({
      maxConnections: v.maxConnections,
      handshakeTimeoutMs: v.handshakeTimeoutMs,
      headersTimeoutMs: v.headersTimeoutMs,
      requestTimeoutMs: v.requestTimeoutMs,
      keepAliveTimeoutMs: v.keepAliveTimeoutMs,
    }),
    clientCaFile: v.clientCa,
    workers: v.workers,
    metrics: v.metricsListen === 'off' ? undefined : Object.freeze({ ...v.metricsListen }),
    metricsExplicit: resolved.sources.metricsListen !== 'default',
    verdictLimits: Object.freeze({
      maxViolations: v.maxViolations,
      maxMessageBytes: v.maxMessageBytes,
      maxAuditAnnotationBytes: v.maxAuditAnnotationBytes,
    }),
    enforcementOverride: v.enforcementOverride,
    policyLimits: Object.freeze({
      maxFileBytes: v.maxPolicyFileBytes,
      maxTotalBytes: v.maxPolicyDirBytes,
      maxDocumentNodes: v.maxPolicyNodes,
    }),
    injection: Object.freeze({
      image: v.injectImage,
      unsealUrl: v.unsealUrl,
      unsealCaFile: v.unsealCa,
      sizeLimit: v.injectSizeLimit,
    }),
  });
}

/** Reads the SHROUD_* variables that `serve` understands. */
export function settingsFromEnv(env: Readonly<Record<string, string | undefined>>): RawServeSettings {
  return settingsFromEnvironment(SERVE_SETTINGS, env);
}

/**
 * Merges defaults < env < flags, validates every value and returns a frozen config.
 * @throws ShroudError CONFIG_INVALID naming the setting and what it accepts.
 */
export function resolveServeConfig(env: RawServeSettings, flags: RawServeSettings): Readonly<ServeConfig> {
  return toServeConfig(resolveSettings(SERVE_SETTINGS, { env, flags }));
}

export const SERVE_DEFAULTS: Readonly<ServeConfig> = resolveServeConfig({}, {});

/**
 * Parses `HOST:PORT`, `[v6]:PORT` or `:PORT` (all interfaces) as `--listen` does.
 * @throws ShroudError CONFIG_INVALID when it is none of them.
 */
export function parseListen(value: string): { host: string; port: number } {
  return resolveSettings({ listen: SETTINGS.listen }, { flags: { listen: value } }).values.listen;
}
