/**
 * The KMS v2 plugin on a Unix socket, through grpc-js: what kube-apiserver's
 * EncryptionConfiguration `endpoint: unix:///PATH` calls.
 *
 * The socket: a stale socket file (a plugin that died) is removed, a live one (a plugin that
 * still answers) is refused, and anything that is not a socket is never touched. The socket is
 * made mode 0600: kube-apiserver runs as root; nobody else on the node may ask for unwraps.
 * Messages are bounded (64 KiB: ciphertext and key_id 1 KiB each, annotations 32 KiB); one log
 * line per failed call with its method, uid and code, never a value.
 */
import { chmod, lstat, unlink } from 'node:fs/promises';
import {
  Client,
  credentials,
  type handleUnaryCall,
  Server,
  ServerCredentials,
  type ServerUnaryCall,
  type sendUnaryData,
  status as grpcStatus,
} from '@grpc/grpc-js';
import { isShroudError, ShroudError } from '../../errors.js';
import type { Logger } from '../../log/logger.js';
import { kmsServiceDefinition } from '../proto.js';
import type { KmsPluginService } from './plugin-service.js';

/** Largest request or answer: a ciphertext and a key_id (1 KiB each), annotations (32 KiB), framing. */
export const KMS_MAX_MESSAGE_BYTES = 64 * 1024;

/** Linux's sun_path holds 108 bytes with the terminating NUL. */
const MAX_SOCKET_PATH_BYTES = 107;

/** How long a live plugin on an existing socket has to answer before the file is taken as stale. */
const PROBE_MS = 500;

/** The gRPC status of a Shroud error. */
export function grpcCodeOf(err: unknown): grpcStatus {
  if (!isShroudError(err)) return grpcStatus.INTERNAL;
  switch (err.code) {
    case 'KMS_PLUGIN_CIPHERTEXT_INVALID':
    case 'KMS_PLUGIN_KEY_ID_MISMATCH':
    case 'KMS_PLUGIN_REQUEST_INVALID':
    case 'CRYPTO_MALFORMED':
    case 'CRYPTO_INTEGRITY':
      return grpcStatus.INVALID_ARGUMENT;
    case 'CRYPTO_UNKNOWN_KEY':
      return grpcStatus.NOT_FOUND;
    case 'CRYPTO_KEY_DESTROYED':
    case 'KMS_PLUGIN_KEY_ID_REUSED':
    case 'KMS_PLUGIN_KEY_TOO_LARGE':
      return grpcStatus.FAILED_PRECONDITION;
    case 'CRYPTO_PROVIDER_TIMEOUT':
      return grpcStatus.DEADLINE_EXCEEDED;
    case 'CRYPTO_PROVIDER_UNAVAILABLE':
      return grpcStatus.UNAVAILABLE;
    case 'KMS_PLUGIN_BUSY':
      return grpcStatus.RESOURCE_EXHAUSTED;
    default:
      return grpcStatus.INTERNAL;
  }
}

function socketError(path: string, message: string, cause?: unknown): ShroudError {
  return new ShroudError('KMS_PLUGIN_SOCKET_INVALID', `${path}: ${message}`, {
    details: { file: path },
    ...(cause === undefined ? {} : { cause }),
  });
}

/** True when something answers on the socket at `path` within PROBE_MS. */
function socketAnswers(path: string): Promise<boolean> {
  const client = new Client(`unix:${path}`, credentials.createInsecure());
  return new Promise((done) => {
    client.waitForReady(Date.now() + PROBE_MS, (err) => {
      client.close();
      done(err === undefined || err === null);
    });
  });
}

/**
 * Makes `path` free for a new socket: nothing there, or a stale socket (removed).
 * @throws KMS_PLUGIN_SOCKET_INVALID: not a socket, a live plugin, or a path too long
 */
async function clearSocketPath(path: string): Promise<void> {
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES) {
    throw socketError(path, `a Unix socket path is at most ${MAX_SOCKET_PATH_BYTES} bytes; choose a shorter --socket`);
  }
  let info: Awaited<ReturnType<typeof lstat>>;
  try {
    info = await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw socketError(path, 'cannot be inspected', err);
  }
  if (!info.isSocket()) {
    throw socketError(path, 'exists and is not a Unix socket; it is left alone: choose another --socket or remove it');
  }
  if (await socketAnswers(path)) {
    throw socketError(path, 'another process is serving on this socket; stop it first, or choose another --socket');
  }
  await unlink(path);
}

export interface KmsSocketServerOptions {
  socketPath: string;
  service: KmsPluginService;
  logger: Logger;
}

export interface RunningKmsSocketServer {
  socketPath: string;
  /** Stops accepting calls, lets those in flight finish (up to `graceMs`), removes the socket. */
  close(graceMs?: number): Promise<void>;
}

/** Bounded `uid` for log lines: kube-apiserver's are UUIDs. */
function logUid(uid: unknown): string {
  return typeof uid === 'string' ? uid.slice(0, 128) : '';
}

/**
 * Serves `service` on a Unix socket.
 * @throws KMS_PLUGIN_SOCKET_INVALID
 */
export async function startKmsSocketServer(options: KmsSocketServerOptions): Promise<RunningKmsSocketServer> {
  const { socketPath, service, logger } = options;
  await clearSocketPath(socketPath);
  const server = new Server({
    'grpc.max_receive_message_length': KMS_MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': KMS_MAX_MESSAGE_BYTES,
  });

  const unary =
    <Req, Res>(
      method: string,
      handle: (request: Req, signal: AbortSignal) => Promise<Res>,
    ): handleUnaryCall<Req, Res> =>
    (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
      const started = performance.now();
      const cancel = new AbortController();
      call.on('cancelled', () => cancel.abort(new DOMException('kube-apiserver cancelled the call', 'AbortError')));
      handle(call.request, cancel.signal).then(
        (answer) => callback(null, answer),
        (err: unknown) => {
          const code = grpcCodeOf(err);
          const shroudCode = isShroudError(err) ? err.code : 'SHROUD_INTERNAL';
          logger.warn(
            {
              method,
              uid: logUid((call.request as { uid?: unknown }).uid),
              code: shroudCode,
              grpcCode: grpcStatus[code],
              ms: Math.round(performance.now() - started),
              ...(isShroudError(err) ? {} : { err }),
            },
            'kms call failed',
          );
          const message = isShroudError(err)
            ? `${err.code}: ${err.message}`
            : 'SHROUD_INTERNAL: kms-plugin failed unexpectedly; see its log';
          callback({ code, details: message });
        },
      );
    };

  server.addService(kmsServiceDefinition(), {
    Status: unary('Status', (_request: unknown, signal) => service.status(signal)),
    Encrypt: unary('Encrypt', (request: Parameters<KmsPluginService['encrypt']>[0], signal) =>
      service.encrypt(request, signal),
    ),
    Decrypt: unary('Decrypt', (request: Parameters<KmsPluginService['decrypt']>[0], signal) =>
      service.decrypt(request, signal),
    ),
  });

  await new Promise<void>((done, fail) => {
    server.bindAsync(`unix:${socketPath}`, ServerCredentials.createInsecure(), (err) => {
      if (err) fail(socketError(socketPath, `cannot listen: ${err.message}`, err));
      else done();
    });
  });
  // Until this chmod the socket has the umask's mode; with the usual 022 nobody else can write to
  // it, which connecting needs, so the moment between bind and chmod opens nothing.
  const socketInfo = await lstat(socketPath);
  try {
    await chmod(socketPath, 0o600);
  } catch (err) {
    server.forceShutdown();
    throw socketError(socketPath, 'cannot be made mode 0600', err);
  }

  let closing: Promise<void> | undefined;
  return {
    socketPath,
    close(graceMs = 10_000) {
      closing ??= (async () => {
        await new Promise<void>((done) => {
          const force = setTimeout(() => {
            server.forceShutdown();
            done();
          }, graceMs);
          server.tryShutdown(() => {
            clearTimeout(force);
            done();
          });
        });
        // Remove the socket if it is still the one we made (grpc-js usually has already).
        try {
          const now = await lstat(socketPath);
          if (now.isSocket() && now.ino === socketInfo.ino) await unlink(socketPath);
        } catch {
          // already gone
        }
      })();
      return closing;
    },
  };
}
