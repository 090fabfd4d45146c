/**
 * The one place a KEK provider is chosen and opened: `serve --role unseal` (and `all`), `encrypt`,
 * `decrypt` and `keys` all come here with a choice made from the same settings
 * (`--kek-provider` and its `--pkcs11-*` / `--keyring` settings).
 *
 * - `local`: the keyring file. For `serve`, reloaded when its folder changes (a mounted Secret is
 *   rewritten in place): a reload takes effect at the next call and its old keys leave the DEK caches.
 * - `pkcs11`: a key in a PKCS#11 token (src/hsm). The PIN comes from a file or an environment
 *   variable, never a flag (flags show in `ps`).
 * - `kms`: a Kubernetes KMS v2 plugin on a Unix socket (src/kms/client). `serve` polls its Status
 *   on a timer (kube-apiserver's cadence) for /readyz and the current key_id; one-shot commands ask
 *   Status when they need it (`poll: false`). The KMS manages its own keys: `keys` only reads its
 *   status and rewraps.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import {
  type DekCache,
  exportPublicKey,
  type KekProvider,
  type Keyring,
  LocalKeyringProvider,
  loadKeyring,
  primaryVersion,
} from '../crypto/index.js';
import { isShroudError, ShroudError } from '../errors.js';
import type { ReadinessCheck } from '../health/index.js';
import { openPkcs11Provider, type Pkcs11Provider, type TokenSelector } from '../hsm/index.js';
import { formatKmsStatusReport, KmsV2Provider, type KmsStatusReport, kmsStatusReport } from '../kms/index.js';
import type { Logger } from '../log/logger.js';
import { openReloadingStore } from '../watch/index.js';

/** The settings every command that opens a provider takes (besides `--keyring`): config's table. */
export { KEK_SETTINGS } from '../config/index.js';

/** The environment variable that may hold the PKCS#11 user PIN itself (when no PIN file is given). */
export const PKCS11_PIN_ENV = 'SHROUD_PKCS11_PIN';

/** Which KEK provider, and where it is. */
export type KekProviderChoice =
  | { kind: 'local'; keyringPath: string }
  | {
      kind: 'pkcs11';
      /** Path of the vendor's PKCS#11 library. */
      module: string;
      /** The token's label, or `slot:N` for the slot with id N. */
      token: string;
      /** Where the user PIN is: a file (its first line), or an environment variable. */
      pin: { file: string } | { env: string };
      /** Base label of the key objects (version N: `<keyLabel>.vN`); the key id in envelopes. */
      keyLabel: string;
    }
  | {
      kind: 'kms';
      /** The KMS v2 plugin's Unix socket (absolute path). */
      socket: string;
      /** Bound of each call to the plugin (ms); the client's default (3000) when absent. */
      timeoutMs?: number;
    };

/** A provider ready for use, and how to check and release it. */
export interface OpenedKekProvider {
  choice: KekProviderChoice;
  provider: KekProvider;
  /** The name of its /readyz check (`keyring` for the local keyring, `kek` otherwise) and the check. */
  readinessName: string;
  readiness(): ReadinessCheck;
  /** The local keyring's public sealing key document, for `GET /v1/public-key`; absent for a token. */
  publicKey?: (validForDays: number) => string;
  /** The local keyring in force (keys commands); absent for a token. */
  keyring?: () => Keyring;
  /** The pkcs11 provider (keys commands); absent otherwise. */
  pkcs11?: Pkcs11Provider;
  /** The KMS plugin's status report and its text (keys status); absent otherwise. */
  kmsStatus?: () => Promise<{ report: KmsStatusReport; text: string }>;
  close(): Promise<void>;
}

export interface OpenKekProviderOptions {
  cwd: string;
  /** The environment, for a PIN given in SHROUD_PKCS11_PIN. */
  env: Readonly<Record<string, string | undefined>>;
  /** DEK caches to evict from when keys change (reload, retire, shred). */
  caches?: readonly DekCache[];
  /** Local keyring: reload it when its folder changes (`serve`). */
  watch?: { logger: Logger; pollMs: number; onReload?: (ok: boolean) => void };
  /** pkcs11: ask the token for its key versions this often, so /readyz sees a token that went away while idle. */
  probeIntervalMs?: number;
  /** Bound of each provider operation (default 5000 ms; kms: the choice's timeoutMs, else 3000). */
  timeoutMs?: number;
  /** kms: poll the plugin's Status on a timer (`serve`); one-shot commands ask it when needed. */
  pollKms?: boolean;
}

/**
 * The choice the settings make.
 * @throws CONFIG_INVALID when `pkcs11` lacks its module, token or PIN, or `kms` its socket
 */
export function kekChoiceFrom(
  values: {
    kekProvider: string;
    keyringPath: string;
    pkcs11Module: string | undefined;
    pkcs11Token: string | undefined;
    pkcs11PinFile: string | undefined;
    pkcs11KeyLabel: string;
    kmsSocket?: string | undefined;
    kmsTimeoutMs?: number | undefined;
  },
  cwd: string,
  env: Readonly<Record<string, string | undefined>>,
): KekProviderChoice {
  if (values.kekProvider === 'local') return { kind: 'local', keyringPath: resolve(cwd, values.keyringPath) };
  if (values.kekProvider === 'kms') {
    if (values.kmsSocket === undefined) {
      throw new ShroudError(
        'CONFIG_INVALID',
        '--kek-provider kms also needs --kms-socket PATH (SHROUD_KMS_SOCKET): the Unix socket of the KMS v2 plugin',
      );
    }
    return {
      kind: 'kms',
      socket: resolve(cwd, values.kmsSocket),
      ...(values.kmsTimeoutMs === undefined ? {} : { timeoutMs: values.kmsTimeoutMs }),
    };
  }
  if (values.kekProvider !== 'pkcs11') {
    throw new ShroudError(
      'CONFIG_INVALID',
      `--kek-provider ${values.kekProvider} is not known: use local, pkcs11 or kms`,
    );
  }
  const missing = [
    values.pkcs11Module === undefined ? '--pkcs11-module FILE (SHROUD_PKCS11_MODULE)' : undefined,
    values.pkcs11Token === undefined ? '--pkcs11-token LABEL (SHROUD_PKCS11_TOKEN)' : undefined,
    values.pkcs11PinFile === undefined && !env[PKCS11_PIN_ENV]
      ? `--pkcs11-pin-file FILE (SHROUD_PKCS11_PIN_FILE) or the PIN in ${PKCS11_PIN_ENV}`
      : undefined,
  ].filter((m): m is string => m !== undefined);
  if (missing.length > 0) {
    throw new ShroudError('CONFIG_INVALID', `--kek-provider pkcs11 also needs ${missing.join(', ')}`);
  }
  return {
    kind: 'pkcs11',
    module: resolve(cwd, values.pkcs11Module!),
    token: values.pkcs11Token!,
    pin: values.pkcs11PinFile !== undefined ? { file: resolve(cwd, values.pkcs11PinFile) } : { env: PKCS11_PIN_ENV },
    keyLabel: values.pkcs11KeyLabel,
  };
}

/** `slot:N` (decimal or 0x hex) is a slot id; anything else a token label. */
export function tokenSelectorOf(token: string): TokenSelector {
  const m = /^slot:(0x[0-9a-fA-F]{1,16}|[0-9]{1,20})$/.exec(token);
  return m ? { slotId: BigInt(m[1]!) } : { label: token };
}

/**
 * Reads the PIN: the first line of the file, or the variable. Its value never reaches a message.
 * @throws CONFIG_INVALID when the file cannot be read or the PIN is empty
 */
async function readPin(pin: { file: string } | { env: string }, env: Readonly<Record<string, string | undefined>>) {
  let text: string;
  if ('file' in pin) {
    try {
      text = await readFile(pin.file, 'utf8');
    } catch (err) {
      throw new ShroudError(
        'CONFIG_INVALID',
        `cannot read the PKCS#11 PIN file ${pin.file} (${(err as NodeJS.ErrnoException).code ?? 'error'}): check --pkcs11-pin-file (SHROUD_PKCS11_PIN_FILE)`,
        { details: { file: pin.file } },
      );
    }
  } else {
    text = env[pin.env] ?? '';
  }
  const value = text.split(/\r?\n/, 1)[0] ?? '';
  if (value === '') {
    throw new ShroudError(
      'CONFIG_INVALID',
      `the PKCS#11 PIN ${'file' in pin ? `file ${pin.file}` : `variable ${pin.env}`} is empty: put the token's user PIN on its first line`,
    );
  }
  return value;
}

/**
 * Opens the chosen provider. For `pkcs11` this logs in to the token, so a wrong module, token or
 * PIN fails here with its own code.
 * @throws CRYPTO_KEYRING_* (local), HSM_* / CONFIG_INVALID / CRYPTO_PROVIDER_* (pkcs11)
 */
export async function openKekProvider(
  choice: KekProviderChoice,
  options: OpenKekProviderOptions,
): Promise<OpenedKekProvider> {
  switch (choice.kind) {
    case 'local':
      return openLocal(choice, options);
    case 'pkcs11':
      return openPkcs11(choice, options);
    case 'kms':
      return openKms(choice, options);
    default: {
      const never: never = choice;
      throw new ShroudError('SHROUD_INTERNAL', `unknown KEK provider choice ${JSON.stringify(never)}`);
    }
  }
}

async function openLocal(
  choice: Extract<KekProviderChoice, { kind: 'local' }>,
  options: OpenKekProviderOptions,
): Promise<OpenedKekProvider> {
  const path = choice.keyringPath;
  const caches = options.caches ?? [];
  if (options.watch === undefined) {
    const local = new LocalKeyringProvider(await loadKeyring(path), { caches });
    return {
      choice,
      provider: local,
      readinessName: 'keyring',
      readiness: () => localReadiness(path, local.keyring, { ok: true }),
      publicKey: (days) => exportPublicKey(local.keyring, { validForDays: days }),
      keyring: () => local.keyring,
      close: async () => undefined,
    };
  }
  const { watch } = options;
  const keyrings = await openReloadingStore<Keyring | undefined>({
    dir: dirname(path),
    load: async () => {
      try {
        return { value: await loadKeyring(path), issues: [] };
      } catch (err) {
        if (!isShroudError(err)) throw err;
        return { value: undefined, issues: [{ code: err.code, message: err.message, file: path }] };
      }
    },
    logger: watch.logger,
    what: 'keyring',
    pollMs: watch.pollMs,
    ...(watch.onReload === undefined ? {} : { onReload: watch.onReload }),
  });
  const first = keyrings.current();
  if (first === undefined) {
    keyrings.close();
    // The store keeps the last good load; with none, load again for the typed error.
    await loadKeyring(path);
    throw new ShroudError('CRYPTO_KEYRING_CORRUPT', `the keyring ${path} could not be loaded`);
  }
  const local = new LocalKeyringProvider(first, { caches });
  let inForce = keyrings.generation();
  // A reloaded keyring takes effect at the next call; its old keys leave the DEK caches.
  const sync = (): LocalKeyringProvider => {
    if (keyrings.generation() !== inForce) {
      inForce = keyrings.generation();
      local.reload(keyrings.current()!);
    }
    return local;
  };
  const provider: KekProvider = {
    id: local.id,
    wrap: (request) => sync().wrap(request),
    unwrap: (request) => sync().unwrap(request),
    status: () => sync().status(),
    keyGeneration: (ref) => sync().keyGeneration(ref),
  };
  return {
    choice,
    provider,
    readinessName: 'keyring',
    readiness: () => localReadiness(path, keyrings.current()!, keyrings.readiness()),
    publicKey: (days) => exportPublicKey(keyrings.current()!, { validForDays: days }),
    keyring: () => sync().keyring,
    close: async () => keyrings.close(),
  };
}

function localReadiness(path: string, keyring: Keyring, base: ReadinessCheck): ReadinessCheck {
  return {
    ...base,
    provider: 'local',
    path,
    keyringId: keyring.keyringId,
    primaryVersion: primaryVersion(keyring).version,
    versions: keyring.versions.map((v) => ({ version: v.version, state: v.state })),
  };
}

async function openPkcs11(
  choice: Extract<KekProviderChoice, { kind: 'pkcs11' }>,
  options: OpenKekProviderOptions,
): Promise<OpenedKekProvider> {
  const pin = await readPin(choice.pin, options.env);
  const provider = await openPkcs11Provider({
    module: choice.module,
    token: tokenSelectorOf(choice.token),
    pin,
    keyLabel: choice.keyLabel,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
  const caches = options.caches ?? [];
  let lastGeneration: string | undefined;
  let versions: { version: number; state: string }[] = [];
  let primary: number | undefined;
  const probe = async () => {
    const status = await provider.status();
    if (status.healthy) {
      versions = status.versions.map((v) => ({ version: v.ref.version, state: v.state }));
      primary = status.primary?.version;
    }
    // Versions changed in the token (another process retired or shredded one): cached keys go.
    const generation = status.versions.map((v) => `${v.ref.version}:${v.ref.keyTag}:${v.state}`).join(',');
    // An unhealthy answer lists nothing: the cache then carries the reads (values already opened).
    if (!status.healthy) return;
    if (lastGeneration !== undefined && generation !== lastGeneration) for (const c of caches) c.clear();
    lastGeneration = generation;
  };
  await probe();
  let timer: NodeJS.Timeout | undefined;
  if (options.probeIntervalMs !== undefined && options.probeIntervalMs > 0) {
    let running = false;
    timer = setInterval(() => {
      if (running) return;
      running = true;
      probe()
        .catch(() => undefined)
        .finally(() => {
          running = false;
        });
    }, options.probeIntervalMs);
    timer.unref();
  }
  return {
    choice,
    provider,
    readinessName: 'kek',
    readiness: () => {
      const health = provider.health();
      return {
        ok: health.ok && primary !== undefined,
        provider: 'pkcs11',
        module: choice.module,
        token: choice.token,
        keyLabel: choice.keyLabel,
        sessions: provider.sessions,
        ...(primary === undefined
          ? { message: `no live key ${choice.keyLabel}.vN in the token` }
          : { primaryVersion: primary }),
        ...(health.message === undefined ? {} : { message: health.message }),
        ...(health.checkedAt === undefined ? {} : { checkedAt: health.checkedAt }),
        versions,
      };
    },
    pkcs11: provider,
    close: async () => {
      if (timer !== undefined) clearInterval(timer);
      await provider.close();
    },
  };
}

async function openKms(
  choice: Extract<KekProviderChoice, { kind: 'kms' }>,
  options: OpenKekProviderOptions,
): Promise<OpenedKekProvider> {
  const polling = options.pollKms === true;
  const logger = options.watch?.logger;
  const provider = new KmsV2Provider({
    socket: choice.socket,
    ...(choice.timeoutMs === undefined ? {} : { timeoutMs: choice.timeoutMs }),
    poll: polling,
    ...(options.caches === undefined ? {} : { caches: options.caches }),
    ...(logger === undefined ? {} : { log: logger }),
  });
  if (polling) {
    // Start-up waits for the first Status (bounded by the call's timeout; poll() never rejects) so
    // /readyz is right from the first probe. A plugin that is down does not stop `serve`: the KMS
    // plugin is a sidecar or a node service that may start after us or restart under us, and the
    // client reconnects by itself. Failing here would only crash-loop the pod and delay it further;
    // /readyz saying "not ready" keeps traffic away until the plugin answers, which is the same
    // protection without the restart.
    const first = await provider.poll();
    if (!first.healthy) {
      logger?.warn(
        { provider: 'kms', socket: choice.socket, message: first.message },
        'KMS v2 plugin not healthy yet: /readyz says not ready until it is',
      );
    }
  }
  return {
    choice,
    provider,
    readinessName: 'kek',
    readiness: () => {
      const status = provider.lastStatus();
      const keyId = provider.staleness().currentKeyId;
      const ok = status.healthy && keyId !== undefined;
      return {
        ok,
        provider: 'kms',
        socket: choice.socket,
        ...(keyId === undefined ? {} : { keyId }),
        ...(status.message === undefined
          ? keyId === undefined
            ? { message: 'the plugin has not reported a key_id yet' }
            : {}
          : { message: status.message }),
      };
    },
    kmsStatus: async () => {
      const report = await kmsStatusReport(provider);
      return { report, text: formatKmsStatusReport(report) };
    },
    close: async () => provider.close(),
  };
}
