/**
 * ShroudError and the registry of error codes.
 *
 * Every error Shroud raises on purpose carries a stable `code` (UPPER_SNAKE with a domain
 * prefix). Callers branch on `code`, never on `message`. A released code is never renamed or
 * reused; every code has a row in docs/errors.md (a test checks it).
 */

/** The registry: code -> one-line meaning. Add new codes in the section of their domain. */
export const ERROR_CODES = {
  // any domain: a failure Shroud did not expect
  SHROUD_INTERNAL: 'Shroud failed in a way it did not expect: a bug. The message says what failed; please report it.',

  // admission: decoding AdmissionReview requests and answering them
  ADMISSION_CONTENT_TYPE: 'The request body is not declared as JSON (Content-Type must be application/json).',
  ADMISSION_BODY_TOO_LARGE: 'The request body is larger than the webhook accepts.',
  ADMISSION_BODY_INVALID_JSON: 'The request body is not valid JSON.',
  ADMISSION_REVIEW_INVALID: 'The body is JSON but not an AdmissionReview the webhook can answer.',
  ADMISSION_CLIENT_UNAUTHORIZED: 'The caller did not present a client certificate signed by the configured client CA.',
  ADMISSION_INTERNAL: 'The webhook failed while handling a review; the request id is in the log.',

  // config: command-line flags, environment variables, files
  CONFIG_INVALID: 'A configuration value (flag, environment variable or file) is not valid.',
  CLI_USAGE: 'The command line could not be understood.',

  // export: `shroud export` (in-tree admission objects compiled from the policies)
  EXPORT_WRITE_FAILED: 'shroud export could not write a file into the --out folder.',

  // detect: secret-value detectors
  DETECT_UNKNOWN_DETECTOR: 'A policy or caller named a secret detector that does not exist.',

  // policy: policy files, exceptions, evaluation, `shroud check` and `shroud policy test`
  POLICY_DIR_UNREADABLE: 'The policy directory (or a file in it) could not be read.',
  POLICY_PARSE_FAILED: 'A policy file is not valid YAML.',
  POLICY_TOO_LARGE: 'A policy file, the policy directory or a YAML document in it is over a size limit.',
  POLICY_SCHEMA_INVALID: 'A policy or exception document does not match the policy file format.',
  POLICY_SELECTOR_INVALID: 'A JSONPath selector in a policy cannot be parsed.',
  POLICY_REGEX_INVALID: 'A regular expression in a `matches` condition cannot be compiled.',
  POLICY_TEMPLATE_INVALID: 'A message template uses an unknown variable or one that could reveal a secret value.',
  POLICY_DETECTOR_UNKNOWN: 'A `detector` condition names a detector that does not exist.',
  POLICY_DUPLICATE_NAME: 'Two policies, two exceptions or two rules of one policy share a name.',
  POLICY_REFERENCE_UNKNOWN: 'An exception names a policy or rule that is not loaded.',
  POLICY_RULE_ERROR: 'A rule could not be evaluated against an object; it did not decide the verdict.',
  POLICY_DEADLINE_PASSED:
    "A review's deadline passed before every rule was evaluated; the webhook answers with its timeout denial.",
  POLICY_INPUT_INVALID: 'A file given to `shroud check` or `shroud policy test` cannot be read or parsed.',
  POLICY_INPUT_DUPLICATE_KEY:
    'A manifest repeats a key in one map; it was checked with the last value, as last-wins YAML readers read it.',
  POLICY_TEST_INVALID: 'A `shroud policy test` case folder is incomplete or unreadable, or expected.yaml is malformed.',

  // tls: certificates and keys
  TLS_FILES_MISSING: 'A certificate or key file the server needs does not exist.',
  TLS_PAIR_INVALID: 'A certificate and key could not be loaded as a matching pair.',
  TLS_KEY_EXISTS: 'Key material already exists and would be overwritten without --force.',
  TLS_CLIENT_CA_INVALID: 'The client CA bundle for client-certificate verification is not a PEM certificate.',

  // metrics: the plain-HTTP /metrics listener
  METRICS_LISTEN_FAILED: 'The metrics listener (--metrics-listen) could not bind its address.',

  // inject: secret injection on /mutate
  INJECT_UNSEAL_CA_INVALID:
    'The unseal CA file (--unseal-ca) cannot be read, holds no PEM certificate, or holds a private key.',

  // crypto: sealed values (envelopes), keyrings and KEK providers
  CRYPTO_MALFORMED: 'A sealed value is not a well-formed shroud:v1 envelope (bad text, truncated or corrupted header).',
  CRYPTO_UNSUPPORTED_VERSION: 'A sealed value uses an envelope version or algorithm this build does not know.',
  CRYPTO_UNKNOWN_KEY: 'A sealed value names a key (provider, key id or version) the KEK provider does not have.',
  CRYPTO_KEY_DESTROYED: 'A sealed value names a key version that was shredded; it can never be opened again.',
  CRYPTO_SCOPE_MISMATCH: 'A sealed value was sealed for another namespace, service account, ConfigMap or key.',
  CRYPTO_SCOPE_INVALID: 'A scope given for sealing or opening is incomplete or not valid.',
  CRYPTO_INTEGRITY: 'A sealed value failed authentication: it was altered, or it was sealed under another key.',
  CRYPTO_PUBLIC_KEY_INVALID: 'A public sealing key file is not valid.',
  CRYPTO_PUBLIC_KEY_UNTRUSTED:
    'A public sealing key does not have the fingerprint that was pinned or that was trusted when its version was first used; nothing was sealed.',
  CRYPTO_PUBLIC_KEY_EXPIRED: 'A public sealing key file is past its `expires` date; it seals nothing more.',
  CRYPTO_KNOWN_KEYS_INVALID:
    'The known-keys file (fingerprints trusted on first use) has a malformed or duplicate line, or cannot be used safely.',
  CRYPTO_PUBLIC_KEY_FETCH_FAILED:
    'The public key could not be fetched from the unseal service (unreachable, TLS not verified, not 200, too large, too slow).',
  CRYPTO_KNOWN_KEYS_BUSY: 'Another shroud command holds the known-keys file lock for longer than the wait.',
  CRYPTO_KEYRING_NOT_FOUND: 'The keyring file does not exist.',
  CRYPTO_KEYRING_EXISTS: 'A keyring file already exists and would be overwritten.',
  CRYPTO_KEYRING_PERMISSIONS: 'The keyring file is readable or writable by group or others, so it is refused.',
  CRYPTO_KEYRING_CORRUPT: 'The keyring file is damaged: not valid JSON, wrong structure, or checksum mismatch.',
  CRYPTO_KEYRING_STATE: "A key operation is not allowed in the key version's current state.",
  CRYPTO_KEYRING_BUSY:
    'Another command holds the keyring lock or changed the keyring file meanwhile; nothing was written.',
  CRYPTO_PROVIDER_TIMEOUT: 'The KEK provider did not answer in time.',
  CRYPTO_PROVIDER_UNAVAILABLE: 'The KEK provider failed or is unreachable.',

  // kms-plugin: the KMS v2 plugin server (`shroud kms-plugin`)
  KMS_PLUGIN_SOCKET_INVALID:
    'The kms-plugin --socket path cannot be served: not a socket, another plugin answers on it, too long, or not writable.',
  KMS_PLUGIN_CIPHERTEXT_INVALID:
    'A Decrypt ciphertext is not a kms-plugin frame: bad magic or version, wrong lengths, trailing bytes, or over 1 KiB.',
  KMS_PLUGIN_KEY_ID_MISMATCH: "A Decrypt request's key_id is not the key its ciphertext was made with.",
  KMS_PLUGIN_REQUEST_INVALID:
    'An Encrypt plaintext is not 32 bytes, or Decrypt annotations are not the ones Encrypt returned.',
  KMS_PLUGIN_KEY_ID_REUSED:
    "The KEK provider's primary key went back to a key the plugin already reported and moved away from.",
  KMS_PLUGIN_KEY_TOO_LARGE:
    "The KEK provider's key reference, annotations or wrapped DEK do not fit KMS v2's 1 KiB key_id and ciphertext limits.",
  KMS_PLUGIN_BUSY: 'kms-plugin has its maximum of calls in flight and waiting; the call can be retried.',
  // hsm: PKCS#11 tokens (HSMs, cloud HSMs, SoftHSM) as the `pkcs11` KEK provider
  HSM_BINDING_MISSING:
    'The pkcs11 KEK provider needs the optional native package pkcs11js, which is not installed or not built.',
  HSM_MODULE_FAILED: 'The PKCS#11 module (the vendor library) could not be loaded or initialised.',
  HSM_TOKEN_NOT_FOUND: 'No token with the configured label (or slot id) is present in the PKCS#11 module.',
  HSM_LOGIN_FAILED: 'The token refused the user PIN (wrong, expired or locked).',
  HSM_KEY_EXISTS:
    'The token already holds a key object with that label (keys init), or two objects share one version label.',

  // kube: talking to the Kubernetes API (TokenReview)
  KUBE_CONFIG_INVALID: 'The kubeconfig file (or the in-cluster config) could not be loaded.',
  KUBE_UNAVAILABLE: 'The Kubernetes API did not answer, timed out, or answered with a server error.',
  KUBE_REQUEST_REFUSED: "The Kubernetes API refused Shroud's own request (its RBAC or credentials).",

  // unseal: the unseal service, POST /v1/unseal
  UNSEAL_REQUEST_INVALID:
    'An unseal request is not JSON of the expected shape, names are not Kubernetes names, or items repeat.',
  UNSEAL_REQUEST_TOO_LARGE: 'An unseal request is over 1 MiB or over 256 items.',
  UNSEAL_UNAUTHENTICATED:
    'The caller of /v1/unseal has no token, or its token is not an authenticated, pod-bound service-account token for audience shroud.',
  UNSEAL_FORBIDDEN:
    'A sealed value does not open for the calling pod: scope mismatch, altered, or unknown or destroyed key.',
  UNSEAL_UNAVAILABLE:
    'The unseal service cannot answer now (TokenReview API, KEK provider, or busy); retry after Retry-After.',
  UNSEAL_INTERNAL: 'The unseal service failed unexpectedly; the log has the details.',
  // unseal-init: the init container that fills the secrets volume through the unseal service
  UNSEAL_INIT_INPUT: 'unseal-init could not read the token file or the mounted sealed ConfigMaps.',
  UNSEAL_INIT_TLS:
    "The unseal service's certificate is not signed by SHROUD_UNSEAL_CA_PEM or not for its name; nothing was sent.",
  UNSEAL_INIT_REFUSED: 'The unseal service refused the request (4xx); nothing was written.',
  UNSEAL_INIT_SERVICE_FAILED:
    'The unseal service answered with a status retrying does not cure (a 5xx other than 503, or a redirect).',
  UNSEAL_INIT_DEADLINE:
    'The unseal service did not open the values before SHROUD_DEADLINE_SECONDS passed (503s, timeouts, connection errors).',
  UNSEAL_INIT_ANSWER_INVALID:
    "The unseal service's answer does not match the request (names not asked for, missing items, not base64, too large).",
  UNSEAL_INIT_WRITE_FAILED: 'unseal-init could not write a file into the secrets volume.',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface ShroudErrorOptions {
  /** The lower-level error, kept for logs; never shown to API clients. */
  cause?: unknown;
  /** Structured facts (file, line, path, policy...). Never secret values. */
  details?: Record<string, unknown>;
}

/** An expected failure with a stable code and a message written for people. */
export class ShroudError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: ShroudErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ShroudError';
    this.code = code;
    this.details = options.details;
  }
}

/** True when `err` is a ShroudError, optionally with the given code. */
export function isShroudError(err: unknown, code?: ErrorCode): err is ShroudError {
  return err instanceof ShroudError && (code === undefined || err.code === code);
}
