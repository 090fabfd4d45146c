/**
 * The settings table: every setting that has an environment variable or that several commands
 * take, declared once. A command lists the ones it takes (and its own command-line-only options)
 * and `readCommandLine` (src/cli/command-line.ts) resolves them: defaults < environment < flags.
 * The README's "Settings" table is checked against this one (test/config/settings-docs.test.ts).
 */
import { readFileSync } from 'node:fs';
import { ENFORCEMENT_OVERRIDES, type EnforcementOverride } from '../policy/index.js';
import { parseFingerprint } from '../util/fingerprint.js';
import { choiceSetting, integerSetting, pathSetting, switchSetting, valueSetting } from './setting.js';

/** Log levels pino understands, quietest last. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Report formats; `keys status` takes text and json. */
export const OUTPUT_FORMATS = ['text', 'json', 'sarif'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** What `shroud serve` runs: the admission webhook, the unseal service, or both on one listener. */
export const SERVE_ROLES = ['webhook', 'unseal', 'all'] as const;
export type ServeRole = (typeof SERVE_ROLES)[number];

/** KEK providers `serve`, `encrypt`, `decrypt` and `keys` can use (`kms-plugin` takes local or pkcs11). */
export const KEK_PROVIDER_KINDS = ['local', 'pkcs11', 'kms'] as const;
export type KekProviderKind = (typeof KEK_PROVIDER_KINDS)[number];

/** Where to listen. */
export interface ListenAddress {
  host: string;
  port: number;
}

/** Parses `HOST:PORT`, `[v6]:PORT` or `:PORT` (all interfaces); undefined when it is none of them. */
export function parseListenAddress(value: string): ListenAddress | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(value.trim());
  const port = m ? Number(m[3]) : Number.NaN;
  if (!m || port > 65535) return undefined;
  const host = m[1] ?? m[2] ?? '';
  return { host: host === '' ? '0.0.0.0' : host, port };
}

/** This Shroud's version, from the package.json beside src/ (a checkout) or dist/ (the package). */
export const PACKAGE_VERSION: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** The image of the shroud-unseal init container by default: this version's. */
export const DEFAULT_INJECT_IMAGE = `ghcr.io/shroud-dev/shroud:${PACKAGE_VERSION}`;

/** An https URL without credentials, query or fragment (where the init container finds the unseal service). */
export function parseUnsealUrl(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' || url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    return undefined;
  }
  return url.href.replace(/\/$/, '');
}

/** A Kubernetes memory quantity for an emptyDir's sizeLimit: `1Mi`, `512Ki`, `2M`, `1048576`. */
export function parseSizeLimit(text: string): string | undefined {
  const value = text.trim();
  return /^[1-9]\d{0,12}(Ki|Mi|Gi|k|M|G)?$/.test(value) ? value : undefined;
}

function milliseconds(text: string): number | undefined {
  const n = /^\d+$/.test(text.trim()) ? Number(text) : Number.NaN;
  return Number.isSafeInteger(n) ? n : undefined;
}

export const SETTINGS = {
  listen: valueSetting<ListenAddress>({
    flag: 'listen',
    arg: 'HOST:PORT',
    env: 'SHROUD_LISTEN',
    default: { host: '127.0.0.1', port: 8443 },
    show: (a) => `${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`,
    accepts: 'HOST:PORT, for example 127.0.0.1:8443, :8443 (all interfaces) or [::1]:8443',
    parse: parseListenAddress,
    help: 'where to listen; port 0 picks a free one',
  }),
  metricsListen: valueSetting<ListenAddress | 'off'>({
    flag: 'metrics-listen',
    arg: 'HOST:PORT',
    env: 'SHROUD_METRICS_LISTEN',
    default: { host: '127.0.0.1', port: 9090 },
    show: (a) => (a === 'off' ? 'off' : `${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`),
    accepts: 'HOST:PORT, for example 127.0.0.1:9090 or :9090 (all interfaces), or off',
    parse: (text) => (text.trim() === 'off' ? 'off' : parseListenAddress(text)),
    help: 'plain-HTTP GET /metrics (Prometheus), never on the TLS port; off: none',
  }),
  policiesDir: pathSetting({
    flag: 'policies',
    arg: 'DIR',
    env: 'SHROUD_POLICIES',
    help: "a team's policy and exception files, read recursively, added to the built-in ones",
  }),
  builtinPolicies: switchSetting({
    flag: 'builtin-policies',
    env: 'SHROUD_BUILTIN_POLICIES',
    default: true,
    help: 'load the built-in policies that ship with Shroud (--no-builtin-policies: only --policies)',
  }),
  certDir: pathSetting({
    flag: 'cert-dir',
    arg: 'DIR',
    env: 'SHROUD_CERT_DIR',
    default: 'certs',
    help: 'tls.crt, tls.key and ca.crt (the keys of a kubernetes.io/tls Secret)',
  }),
  devCerts: switchSetting({
    flag: 'dev-certs',
    env: 'SHROUD_DEV_CERTS',
    default: true,
    help: 'make a dev CA and serving pair when the default cert folder has none',
  }),
  keyringPath: pathSetting({
    flag: 'keyring',
    arg: 'FILE',
    env: 'SHROUD_KEYRING',
    default: '.shroud/keyring.json',
    help: 'the keyring file',
  }),
  devKeyring: switchSetting({
    flag: 'dev-keyring',
    env: 'SHROUD_DEV_KEYRING',
    default: true,
    help: 'make a dev keyring when there is none at the default path',
  }),
  kekProvider: choiceSetting({
    flag: 'kek-provider',
    arg: 'KIND',
    env: 'SHROUD_KEK_PROVIDER',
    choices: KEK_PROVIDER_KINDS,
    default: 'local',
    help: 'the root of trust: local (the keyring file), pkcs11 (a key in an HSM or SoftHSM token) or kms (a Kubernetes KMS v2 plugin)',
  }),
  kmsSocket: pathSetting({
    flag: 'kms-socket',
    arg: 'PATH',
    env: 'SHROUD_KMS_SOCKET',
    help: "kms: the KMS v2 plugin's Unix socket (the path of its unix:// endpoint)",
  }),
  kmsTimeoutMs: integerSetting({
    flag: 'kms-timeout-ms',
    arg: 'N',
    env: 'SHROUD_KMS_TIMEOUT_MS',
    default: 3000,
    min: 1,
    max: 60_000,
    accepts: 'a whole number of milliseconds from 1 to 60000',
    help: 'kms: how long each call to the plugin (Status, Encrypt, Decrypt) may take',
  }),
  pkcs11Module: pathSetting({
    flag: 'pkcs11-module',
    arg: 'FILE',
    env: 'SHROUD_PKCS11_MODULE',
    help: "pkcs11: the vendor's PKCS#11 library (SoftHSM2: /usr/lib/softhsm/libsofthsm2.so)",
  }),
  pkcs11Token: valueSetting<string | undefined>({
    flag: 'pkcs11-token',
    arg: 'LABEL',
    env: 'SHROUD_PKCS11_TOKEN',
    default: undefined,
    accepts: 'a token label, or slot:N for the slot with id N',
    parse: (text) => (text.trim() === '' || !/^[\x20-\x7e]{1,32}$/.test(text) ? undefined : text),
    help: 'pkcs11: the label of the token that holds the key (or slot:N, a slot id)',
  }),
  pkcs11PinFile: pathSetting({
    flag: 'pkcs11-pin-file',
    arg: 'FILE',
    env: 'SHROUD_PKCS11_PIN_FILE',
    help: "pkcs11: a file holding the token's user PIN (else the PIN itself in SHROUD_PKCS11_PIN; never a flag)",
  }),
  pkcs11KeyLabel: valueSetting<string>({
    flag: 'pkcs11-key-label',
    arg: 'LABEL',
    env: 'SHROUD_PKCS11_KEY_LABEL',
    default: 'shroud-kek',
    accepts: 'letters, digits and . _ : / - (1 to 101, starting with a letter or digit)',
    parse: (text) => (/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,100}$/.test(text) ? text : undefined),
    help: 'pkcs11: base label of the key objects; version N is LABEL.vN',
  }),
  publicKeyFingerprint: valueSetting<string | undefined>({
    flag: 'fingerprint',
    arg: 'sha256:HEX',
    env: 'SHROUD_PUBLIC_KEY_FINGERPRINT',
    default: undefined,
    accepts: 'sha256: and 32 hex digits, as "shroud keys status" shows a public key fingerprint',
    parse: parseFingerprint,
    help: 'seal only to a public key with this fingerprint (a pin: the known-keys file is then not used)',
  }),
  knownKeys: pathSetting({
    flag: 'known-keys',
    arg: 'FILE',
    env: 'SHROUD_KNOWN_KEYS',
    help: 'fingerprints trusted on first use (default $XDG_CONFIG_HOME/shroud/known-keys, else ~/.config/shroud/known-keys)',
  }),
  role: choiceSetting({
    flag: 'role',
    arg: 'ROLE',
    env: 'SHROUD_ROLE',
    choices: SERVE_ROLES,
    default: 'all',
    help: 'webhook (/validate, /mutate), unseal (POST /v1/unseal) or all (both on one listener: dev)',
  }),
  kubeconfig: pathSetting({
    flag: 'kubeconfig',
    arg: 'FILE',
    env: 'SHROUD_KUBECONFIG',
    help: "the unseal service's Kubernetes API access for TokenReviews (its current context); default in-cluster",
  }),
  tokenReviewTimeoutMs: valueSetting({
    flag: 'token-review-timeout-ms',
    arg: 'N',
    env: 'SHROUD_TOKEN_REVIEW_TIMEOUT_MS',
    default: 5_000,
    accepts: 'a whole number of milliseconds',
    parse: milliseconds,
    help: 'a TokenReview must answer within this, or the unseal call gets 503',
  }),
  tokenReviewCacheMs: valueSetting({
    flag: 'token-review-cache-ms',
    arg: 'N',
    env: 'SHROUD_TOKEN_REVIEW_CACHE_MS',
    default: 10_000,
    accepts: 'a whole number of milliseconds',
    parse: milliseconds,
    help: "how long an authenticated TokenReview is reused (by the token's SHA-256; never past its expiry); 0: never",
  }),
  logLevel: choiceSetting({
    flag: 'log-level',
    arg: 'LEVEL',
    env: 'SHROUD_LOG_LEVEL',
    choices: LOG_LEVELS,
    default: 'info',
    help: LOG_LEVELS.join('|'),
  }),
  drainTimeoutMs: valueSetting({
    flag: 'drain-timeout-ms',
    arg: 'N',
    env: 'SHROUD_DRAIN_TIMEOUT_MS',
    default: 10_000,
    accepts: 'a whole number of milliseconds',
    parse: milliseconds,
    help: 'how long SIGTERM waits for reviews in flight',
  }),
  pollIntervalMs: valueSetting({
    flag: 'poll-interval-ms',
    arg: 'N',
    env: 'SHROUD_POLL_INTERVAL_MS',
    default: 10_000,
    accepts: 'a whole number of milliseconds',
    parse: milliseconds,
    help: 'how often the certificate and policy folders are re-checked besides file events',
  }),
  shutdownDelayMs: valueSetting({
    flag: 'shutdown-delay-ms',
    arg: 'N',
    env: 'SHROUD_SHUTDOWN_DELAY_MS',
    default: 5_000,
    accepts: 'a whole number of milliseconds',
    parse: milliseconds,
    help: 'after SIGTERM, how long to keep accepting (readyz 503) while endpoints move; SIGINT skips it',
  }),
  maxConnections: integerSetting({
    flag: 'max-connections',
    arg: 'N',
    env: 'SHROUD_MAX_CONNECTIONS',
    default: 1000,
    min: 1,
    max: 1_000_000,
    accepts: 'a whole number from 1',
    help: 'open connections at most (per worker); more are closed as they arrive',
  }),
  handshakeTimeoutMs: valueSetting({
    flag: 'handshake-timeout-ms',
    arg: 'N',
    env: 'SHROUD_HANDSHAKE_TIMEOUT_MS',
    default: 5_000,
    accepts: 'a whole number of milliseconds',
    parse: milliseconds,
    help: 'a TLS handshake must finish within this',
  }),
  headersTimeoutMs: valueSetting({
    flag: 'headers-timeout-ms',
    arg: 'N',
    env: 'SHROUD_HEADERS_TIMEOUT_MS',
    default: 10_000,
    accepts: 'a whole number of milliseconds',
    parse: milliseconds,
    help: "a request's headers must arrive within this",
  }),
  requestTimeoutMs: valueSetting({
    flag: 'request-timeout-ms',
    arg: 'N',
    env: 'SHROUD_REQUEST_TIMEOUT_MS',
    default: 30_000,
    accepts: 'a whole number of milliseconds',
    parse: milliseconds,
    help: 'a whole request must arrive within this',
  }),
  keepAliveTimeoutMs: valueSetting({
    flag: 'keep-alive-timeout-ms',
    arg: 'N',
    env: 'SHROUD_KEEP_ALIVE_TIMEOUT_MS',
    default: 60_000,
    accepts: 'a whole number of milliseconds',
    parse: milliseconds,
    help: 'an idle kept-alive connection is closed after this',
  }),
  clientCa: pathSetting({
    flag: 'client-ca',
    arg: 'FILE',
    env: 'SHROUD_CLIENT_CA',
    help: 'CA bundle (PEM): /validate and /mutate then answer only clients with a certificate it signed',
  }),
  workers: integerSetting({
    flag: 'workers',
    arg: 'N',
    env: 'SHROUD_WORKERS',
    default: 1,
    min: 1,
    max: 64,
    accepts: 'a whole number from 1 to 64',
    help: 'processes sharing the listener (node:cluster); a worker that dies is replaced',
  }),
  maxViolations: integerSetting({
    flag: 'max-violations',
    arg: 'N',
    env: 'SHROUD_MAX_VIOLATIONS',
    default: 100,
    min: 1,
    max: 100_000,
    accepts: 'a whole number from 1',
    help: 'violations of each enforcement listed per review; the rest are counted',
  }),
  maxMessageBytes: integerSetting({
    flag: 'max-message-bytes',
    arg: 'N',
    env: 'SHROUD_MAX_MESSAGE_BYTES',
    default: 16_384,
    min: 1024,
    max: 1_048_576,
    accepts: 'a whole number of bytes from 1024',
    help: 'largest deny message, in bytes',
  }),
  maxAuditAnnotationBytes: integerSetting({
    flag: 'max-audit-annotation-bytes',
    arg: 'N',
    env: 'SHROUD_MAX_AUDIT_ANNOTATION_BYTES',
    default: 10_240,
    min: 1024,
    max: 1_048_576,
    accepts: 'a whole number of bytes from 1024',
    help: 'largest audit annotation value, in bytes',
  }),
  enforcementOverride: valueSetting<EnforcementOverride | undefined>({
    flag: 'enforcement-override',
    arg: 'MODE',
    env: 'SHROUD_ENFORCEMENT_OVERRIDE',
    default: undefined,
    accepts: `one of ${ENFORCEMENT_OVERRIDES.join(', ')}`,
    parse: (text) => ENFORCEMENT_OVERRIDES.find((mode) => mode === text),
    help: 'run every policy as audit or warn, whatever its file says: nothing a policy finds denies',
  }),
  maxPolicyFileBytes: integerSetting({
    flag: 'max-policy-file-bytes',
    arg: 'N',
    env: 'SHROUD_MAX_POLICY_FILE_BYTES',
    default: 1_048_576,
    min: 1024,
    max: 67_108_864,
    accepts: 'a whole number of bytes from 1024',
    help: 'largest policy file, in bytes',
  }),
  maxPolicyDirBytes: integerSetting({
    flag: 'max-policy-dir-bytes',
    arg: 'N',
    env: 'SHROUD_MAX_POLICY_DIR_BYTES',
    default: 2_097_152,
    min: 1024,
    max: 268_435_456,
    accepts: 'a whole number of bytes from 1024',
    help: 'all policy files together, in bytes',
  }),
  maxPolicyNodes: integerSetting({
    flag: 'max-policy-nodes',
    arg: 'N',
    env: 'SHROUD_MAX_POLICY_NODES',
    default: 5000,
    min: 100,
    max: 1_000_000,
    accepts: 'a whole number from 100',
    help: 'YAML nodes per policy document, aliases expanded',
  }),
  injectImage: valueSetting({
    flag: 'inject-image',
    arg: 'IMAGE',
    env: 'SHROUD_INJECT_IMAGE',
    default: DEFAULT_INJECT_IMAGE,
    accepts: 'an image reference without spaces',
    parse: (text) => (/^[^\s]+$/.test(text.trim()) ? text.trim() : undefined),
    help: 'the image of the shroud-unseal init container that /mutate adds (it runs shroud unseal-init)',
  }),
  unsealUrl: valueSetting({
    flag: 'unseal-url',
    arg: 'URL',
    env: 'SHROUD_UNSEAL_URL',
    default: 'https://shroud-unseal.shroud.svc:8443',
    accepts: 'an https URL without credentials, query or fragment',
    parse: parseUnsealUrl,
    help: "the unseal service's base URL, where shroud-unseal init containers reach it (/v1/unseal is appended)",
  }),
  unsealCa: pathSetting({
    flag: 'unseal-ca',
    arg: 'FILE',
    env: 'SHROUD_UNSEAL_CA',
    help: "PEM certificates that sign the unseal service's certificate; init containers trust only these (dev: the dev CA)",
  }),
  injectSizeLimit: valueSetting({
    flag: 'inject-size-limit',
    arg: 'SIZE',
    env: 'SHROUD_INJECT_SIZE_LIMIT',
    default: '1Mi',
    accepts: 'a Kubernetes quantity such as 1Mi, 512Ki or 2M',
    parse: parseSizeLimit,
    help: 'sizeLimit of the in-memory volume that holds the injected files',
  }),
  output: choiceSetting({
    flag: 'output',
    short: 'o',
    arg: 'FORMAT',
    choices: OUTPUT_FORMATS,
    default: 'text',
    help: 'text, json or sarif',
  }),
  // `shroud unseal-init`: the pod's init container; `/mutate` sets each variable (docs/injection.md).
  // It shares `unsealUrl` with serve (the URL /mutate gives init containers).
  unsealCaPem: valueSetting<string | undefined>({
    flag: 'unseal-ca-pem',
    arg: 'PEM',
    env: 'SHROUD_UNSEAL_CA_PEM',
    default: undefined,
    accepts: 'a PEM certificate bundle',
    parse: (text) => (text.includes('-----BEGIN CERTIFICATE-----') ? text : undefined),
    help: "the CA bundle (PEM text) that signs the unseal service's certificate; the only CAs trusted",
  }),
  tokenFile: pathSetting({
    flag: 'token-file',
    arg: 'FILE',
    env: 'SHROUD_TOKEN_FILE',
    default: '/var/run/shroud/token/token',
    help: "the pod's projected service-account token (audience shroud)",
  }),
  sealedDir: pathSetting({
    flag: 'sealed-dir',
    arg: 'DIR',
    env: 'SHROUD_SEALED_DIR',
    default: '/var/run/shroud/sealed',
    help: 'one sub-folder per sealed ConfigMap, named as it (a configMap volume)',
  }),
  outputDir: pathSetting({
    flag: 'output-dir',
    arg: 'DIR',
    env: 'SHROUD_OUTPUT_DIR',
    default: '/run/secrets/shroud',
    help: 'where the files go: DIR/<configMap>/<key> (the in-memory volume)',
  }),
  fileMode: choiceSetting({
    flag: 'file-mode',
    arg: 'MODE',
    env: 'SHROUD_FILE_MODE',
    choices: ['0400', '0440'],
    default: '0400',
    help: '0400, or 0440 when the pod sets fsGroup',
  }),
  deadlineSeconds: integerSetting({
    flag: 'deadline-seconds',
    arg: 'N',
    env: 'SHROUD_DEADLINE_SECONDS',
    default: 120,
    min: 1,
    max: 3600,
    accepts: 'a whole number from 1 to 3600',
    help: 'retry 503s, timeouts and connection errors until this many seconds have passed',
  }),
};
