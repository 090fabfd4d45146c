/**
 * The kms-plugin role's composition root (`shroud kms-plugin`): a Kubernetes KMS v2 plugin on a
 * Unix socket, backed by a KEK provider, so kube-apiserver's EncryptionConfiguration can encrypt
 * Secrets (and ConfigMaps) in etcd under Shroud's keys.
 */
import { resolve } from 'node:path';
import type { KekProvider } from '../crypto/index.js';
import { ShroudError } from '../errors.js';
import { createKmsPluginService, type KmsPluginService, startKmsSocketServer } from '../kms/server/index.js';
import type { Logger } from '../log/logger.js';
import { type KekProviderChoice, openKekProvider } from './kek-provider.js';

/** What `shroud kms-plugin` is started with. */
export interface KmsPluginConfig {
  /** The Unix socket to serve on (kube-apiserver's `endpoint: unix://PATH`). */
  socketPath: string;
  /** Where the KEK is: the local keyring file or a PKCS#11 token (never `kms`: that is a loop). */
  kek: KekProviderChoice;
  /** Milliseconds per call, queue wait and provider together. */
  timeoutMs: number;
  /** How often the keyring's folder is re-checked besides file events (pkcs11: the token's versions). */
  pollIntervalMs: number;
  /** How long SIGTERM waits for calls in flight. */
  drainTimeoutMs: number;
}

/** A KEK provider for the plugin, kept current, and how to let it go. */
export interface PluginProvider {
  /** The provider for the next call. */
  current(): KekProvider;
  /** Where the keys are, for the start-up line (never key material). */
  describe(): string;
  close(): Promise<void>;
}

/**
 * The plugin's KEK provider, opened through openKekProvider with the same settings as `serve`:
 * - local: the keyring file, reloaded when its folder changes (a `shroud keys rotate` is seen by
 *   the next Status without a restart; a reload that fails keeps the last good keyring and is logged);
 * - pkcs11: a key in a token (its versions re-read every pollIntervalMs, so a `keys rotate` on the
 *   token shows as a new key_id).
 * @throws CONFIG_INVALID (kms: a plugin backed by a plugin), CRYPTO_KEYRING_*, HSM_*
 */
export async function openPluginProvider(
  config: Pick<KmsPluginConfig, 'kek' | 'pollIntervalMs'>,
  env: { cwd: string; logger: Logger; environment: Readonly<Record<string, string | undefined>> },
): Promise<PluginProvider> {
  const choice = config.kek;
  if (choice.kind === 'kms') {
    throw new ShroudError(
      'CONFIG_INVALID',
      `shroud kms-plugin cannot use --kek-provider kms (the plugin at ${choice.socket} would wrap its keys with a KMS plugin: a loop): use local or pkcs11`,
    );
  }
  const kek = await openKekProvider(choice, {
    cwd: env.cwd,
    env: env.environment,
    watch: { logger: env.logger, pollMs: config.pollIntervalMs },
    probeIntervalMs: config.pollIntervalMs,
  });
  const where =
    choice.kind === 'local'
      ? `the local keyring ${choice.keyringPath}`
      : `the pkcs11 key ${choice.keyLabel} in token ${choice.token} (${choice.module})`;
  return {
    current: () => kek.provider,
    describe: () => where,
    close: () => kek.close(),
  };
}

/** A running kms-plugin. */
export interface RunningKmsPlugin {
  socketPath: string;
  service: KmsPluginService;
  /** Stops accepting, finishes calls in flight (up to drainTimeoutMs), removes the socket. */
  stop(): Promise<void>;
}

/**
 * Starts the plugin: the provider, the service, the socket.
 * @throws KMS_PLUGIN_SOCKET_INVALID / CONFIG_INVALID / CRYPTO_KEYRING_* / HSM_*
 */
export async function startKmsPluginRole(
  config: Readonly<KmsPluginConfig>,
  env: { cwd: string; logger: Logger; environment?: Readonly<Record<string, string | undefined>> },
): Promise<RunningKmsPlugin> {
  const socketPath = resolve(env.cwd, config.socketPath);
  const provider = await openPluginProvider(config, { ...env, environment: env.environment ?? process.env });
  try {
    const service = createKmsPluginService({ provider: provider.current, timeoutMs: config.timeoutMs });
    const server = await startKmsSocketServer({ socketPath, service, logger: env.logger });
    env.logger.info({ socket: socketPath, keys: provider.describe(), role: 'kms-plugin' }, 'listening');
    return {
      socketPath,
      service,
      stop: async () => {
        await server.close(config.drainTimeoutMs);
        await provider.close();
      },
    };
  } catch (err) {
    await provider.close();
    throw err;
  }
}
