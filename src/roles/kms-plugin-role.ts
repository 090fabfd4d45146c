/**
 * The kms-plugin role's composition root (`shroud kms-plugin`): a Kubernetes KMS v2 plugin on a
 * Unix socket, backed by a KEK provider, so kube-apiserver's EncryptionConfiguration can encrypt
 * Secrets (and ConfigMaps) in etcd under Shroud's keys.
 */
import { dirname, resolve } from 'node:path';
import { type KekProvider, type Keyring, LocalKeyringProvider, loadKeyring } from '../crypto/index.js';
import { isShroudError } from '../errors.js';
import { createKmsPluginService, type KmsPluginService, startKmsSocketServer } from '../kms/server/index.js';
import type { Logger } from '../log/logger.js';
import { openReloadingStore } from '../watch/index.js';

/** What `shroud kms-plugin` is started with. */
export interface KmsPluginConfig {
  /** The Unix socket to serve on (kube-apiserver's `endpoint: unix://PATH`). */
  socketPath: string;
  /** The local keyring file. */
  keyringPath: string;
  /** Milliseconds per call, queue wait and provider together. */
  timeoutMs: number;
  /** How often the keyring's folder is re-checked besides file events. */
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
  close(): void;
}

/**
 * The plugin's KEK provider: the local keyring file, reloaded when its folder changes (a
 * `shroud keys rotate` is seen by the next Status without a restart; a reload that fails keeps
 * the last good keyring and is logged). The one place a provider is chosen for this role.
 * @throws CRYPTO_KEYRING_NOT_FOUND / CRYPTO_KEYRING_PERMISSIONS / CRYPTO_KEYRING_CORRUPT
 */
export async function openPluginProvider(
  config: Pick<KmsPluginConfig, 'keyringPath' | 'pollIntervalMs'>,
  logger: Logger,
): Promise<PluginProvider> {
  const path = config.keyringPath;
  // Load once first, so a missing or loose keyring stops the start with its own code and message.
  await loadKeyring(path);
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
    logger,
    what: 'keyring',
    pollMs: config.pollIntervalMs,
  });
  const local = new LocalKeyringProvider(keyrings.current()!);
  let inForce = keyrings.generation();
  return {
    current: () => {
      if (keyrings.generation() !== inForce) {
        inForce = keyrings.generation();
        local.reload(keyrings.current()!);
      }
      return local;
    },
    describe: () => `the local keyring ${path}`,
    close: () => keyrings.close(),
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
 * @throws KMS_PLUGIN_SOCKET_INVALID / CRYPTO_KEYRING_*
 */
export async function startKmsPluginRole(
  config: Readonly<KmsPluginConfig>,
  env: { cwd: string; logger: Logger },
): Promise<RunningKmsPlugin> {
  const socketPath = resolve(env.cwd, config.socketPath);
  const provider = await openPluginProvider(
    { ...config, keyringPath: resolve(env.cwd, config.keyringPath) },
    env.logger,
  );
  try {
    const service = createKmsPluginService({ provider: provider.current, timeoutMs: config.timeoutMs });
    const server = await startKmsSocketServer({ socketPath, service, logger: env.logger });
    env.logger.info({ socket: socketPath, keys: provider.describe(), role: 'kms-plugin' }, 'listening');
    return {
      socketPath,
      service,
      stop: async () => {
        await server.close(config.drainTimeoutMs);
        provider.close();
      },
    };
  } catch (err) {
    provider.close();
    throw err;
  }
}
