/**
 * The KMS v2 plugin's three calls over any KekProvider, without gRPC: Status, Encrypt, Decrypt.
 * socket-server.ts puts them on a Unix socket.
 *
 * kube-apiserver's contract, and how it is kept:
 * - Encrypt's key_id equals what Status reports: both are the primary KeyRef of one provider
 *   status snapshot, and Encrypt checks that the provider wrapped under that very ref (if the
 *   primary moved in between, it takes a new snapshot and wraps again).
 * - key_ids never repeat or flip back: the key tag names the key material, and KeyIdHistory
 *   reports a provider whose primary goes back as unhealthy.
 * - ciphertext and key_id at most 1 KiB, annotation keys domain names (frame.ts).
 * The plaintext kube-apiserver sends is a 32-byte DEK or seed; nothing else is wrapped.
 *
 * Associated data: KMS v2 gives none. The wrap context is a fixed label and the frame's header
 * (magic, version, method, key reference), so a frame relabelled with another key reference, or
 * the wrapped bytes of another kind of envelope, fail to unwrap.
 */
import { callProvider, type KekProvider, type KeyRef, type ProviderStatus } from '../../crypto/index.js';
import { isShroudError, ShroudError } from '../../errors.js';
import {
  KMS_API_VERSION,
  KMS_HEALTHZ_OK,
  type DecryptRequest,
  type DecryptResponse,
  type EncryptRequest,
  type EncryptResponse,
  type StatusResponse,
} from '../proto.js';
import { decodeFrame, encodeFrame, encodeFrameHeader, frameContext, KMS_LIMITS, kmsKeyId } from './frame.js';
import { KeyIdHistory } from './key-id-history.js';
import { CallLimiter } from './call-limiter.js';

/** The length of what kube-apiserver asks to wrap: a DEK (AES-GCM) or a seed (KDF mode). */
export const KMS_PLAINTEXT_LEN = 32;

/** The one annotation Encrypt returns and Decrypt expects back unchanged. */
export const FRAME_ANNOTATION = 'version.kms.shroud.dev';
const FRAME_ANNOTATION_VALUE = Buffer.from('1', 'ascii');

/** Default time for one call, queue wait and provider together: under kube-apiserver's 3 s default `timeout`. */
export const DEFAULT_KMS_CALL_TIMEOUT_MS = 2500;

export interface KmsPluginServiceOptions {
  /** The provider to use for the next call (a role swaps or reloads it between calls). */
  provider: () => KekProvider;
  /** Milliseconds per call before DEADLINE_EXCEEDED (default 2500). */
  timeoutMs?: number;
  /** Calls at the provider at once (default 64). */
  maxInFlight?: number;
  /** Calls waiting for one of those (default 4096); more are refused at once with KMS_PLUGIN_BUSY. */
  maxQueued?: number;
}

export interface KmsPluginService {
  status(signal?: AbortSignal): Promise<StatusResponse>;
  encrypt(request: EncryptRequest, signal?: AbortSignal): Promise<EncryptResponse>;
  decrypt(request: DecryptRequest, signal?: AbortSignal): Promise<DecryptResponse>;
  /** Calls at the provider now, and calls waiting for a turn. */
  load(): { inFlight: number; queued: number };
}

function sameRef(a: KeyRef, b: KeyRef): boolean {
  return a.provider === b.provider && a.keyId === b.keyId && a.version === b.version && a.keyTag === b.keyTag;
}

/** The reason Status gives when the provider is not healthy: short, never secret. */
function healthReason(err: unknown): string {
  if (isShroudError(err)) return `${err.code}: ${err.message}`.slice(0, 512);
  return 'the KEK provider failed';
}

function requestInvalid(message: string): ShroudError {
  return new ShroudError('KMS_PLUGIN_REQUEST_INVALID', message);
}

/** Decrypt's annotations must be exactly the ones Encrypt returned. */
function checkAnnotations(annotations: Record<string, Buffer> | undefined): void {
  const names = Object.keys(annotations ?? {});
  const value = annotations?.[FRAME_ANNOTATION];
  if (names.length !== 1 || value === undefined || !FRAME_ANNOTATION_VALUE.equals(value)) {
    throw requestInvalid(
      `Decrypt's annotations are not the ones Encrypt returned (${FRAME_ANNOTATION}: 1 and nothing else): they were altered or the ciphertext was not made by shroud kms-plugin`,
    );
  }
}

/** The three calls of a KMS v2 plugin over `options.provider()`. */
export function createKmsPluginService(options: KmsPluginServiceOptions): KmsPluginService {
  const timeoutMs = options.timeoutMs ?? DEFAULT_KMS_CALL_TIMEOUT_MS;
  const limiter = new CallLimiter(options.maxInFlight ?? 64, options.maxQueued ?? 4096);
  const history = new KeyIdHistory();
  let seq = 0;

  /**
   * Runs `work` under the call's deadline (and the client's cancellation), in a limiter slot
   * unless `queue` is false: Status does not wait behind a burst of Decrypts, or kube-apiserver
   * would take a busy plugin for a broken one.
   */
  const bounded = async <T>(
    signal: AbortSignal | undefined,
    work: (signal: AbortSignal) => Promise<T>,
    queue = true,
  ): Promise<T> => {
    const deadline = new AbortController();
    const timer = setTimeout(
      () => deadline.abort(new DOMException('KMS plugin call timed out', 'TimeoutError')),
      timeoutMs,
    );
    const combined = signal ? AbortSignal.any([signal, deadline.signal]) : deadline.signal;
    try {
      const release = queue ? await limiter.acquire(combined) : undefined;
      try {
        return await work(combined);
      } finally {
        release?.();
      }
    } finally {
      clearTimeout(timer);
    }
  };

  const snapshot = async (provider: KekProvider, signal: AbortSignal): Promise<ProviderStatus> =>
    callProvider(provider.id, (s) => provider.status({ signal: s }), { timeoutMs, signal });

  /** The primary's key_id from a snapshot, recorded in the history. */
  const primaryKeyId = (status: ProviderStatus, callSeq: number): { ref: KeyRef; keyId: string } => {
    if (!status.healthy || status.primary === undefined) {
      throw new ShroudError(
        'CRYPTO_PROVIDER_UNAVAILABLE',
        status.healthy
          ? `KEK provider "${status.provider}" has no primary key version`
          : `KEK provider "${status.provider}" is unhealthy: ${status.message ?? 'no reason given'}`,
      );
    }
    const keyId = kmsKeyId(status.primary);
    history.observe(keyId, callSeq);
    return { ref: status.primary, keyId };
  };

  return {
    load: () => limiter.load(),

    async status(signal) {
      const callSeq = ++seq;
      try {
        const provider = options.provider();
        const status = await bounded(signal, (s) => snapshot(provider, s), false);
        const { keyId } = primaryKeyId(status, callSeq);
        return { version: KMS_API_VERSION, healthz: KMS_HEALTHZ_OK, key_id: keyId };
      } catch (err) {
        return { version: KMS_API_VERSION, healthz: healthReason(err), key_id: history.latest ?? '' };
      }
    },

    async encrypt(request, signal) {
      const plaintext = request.plaintext ?? Buffer.alloc(0);
      if (plaintext.length !== KMS_PLAINTEXT_LEN) {
        throw requestInvalid(
          `Encrypt takes a ${KMS_PLAINTEXT_LEN}-byte DEK or seed (what kube-apiserver sends), not ${plaintext.length} bytes`,
        );
      }
      return bounded(signal, async (s) => {
        const provider = options.provider();
        // Two tries: the primary may move (a rotation) between the snapshot and the wrap.
        for (let attempt = 0; attempt < 2; attempt++) {
          const callSeq = ++seq;
          const { ref, keyId } = primaryKeyId(await snapshot(provider, s), callSeq);
          const header = encodeFrameHeader('kek', ref);
          const result = await callProvider(
            provider.id,
            (ps) => provider.wrap({ dek: plaintext, context: frameContext(header), signal: ps }),
            { timeoutMs, signal: s },
          );
          if (result.method !== 'kek' || !sameRef(result.ref, ref)) continue;
          return {
            ciphertext: encodeFrame(header, result.annotations, result.wrapped),
            key_id: keyId,
            annotations: { [FRAME_ANNOTATION]: FRAME_ANNOTATION_VALUE },
          };
        }
        throw new ShroudError(
          'CRYPTO_PROVIDER_UNAVAILABLE',
          `KEK provider "${provider.id}" changed its primary key during Encrypt, twice; the call can be retried`,
        );
      });
    },

    async decrypt(request, signal) {
      const ciphertext = request.ciphertext ?? Buffer.alloc(0);
      if (ciphertext.length > KMS_LIMITS.ciphertext) {
        throw new ShroudError(
          'KMS_PLUGIN_CIPHERTEXT_INVALID',
          `ciphertext is ${ciphertext.length} bytes, over KMS v2's ${KMS_LIMITS.ciphertext}`,
        );
      }
      const frame = decodeFrame(ciphertext);
      const expected = kmsKeyId(frame.ref);
      if (request.key_id !== expected) {
        throw new ShroudError(
          'KMS_PLUGIN_KEY_ID_MISMATCH',
          `Decrypt's key_id is not the key the ciphertext was made with (${expected.length <= 200 ? expected : `${expected.slice(0, 197)}...`})`,
        );
      }
      checkAnnotations(request.annotations);
      return bounded(signal, async (s) => {
        const provider = options.provider();
        const dek = await callProvider(
          provider.id,
          (ps) =>
            provider.unwrap({
              slot: {
                method: frame.method,
                ref: frame.ref,
                ...(Object.keys(frame.annotations).length > 0 ? { annotations: frame.annotations } : {}),
                wrapped: frame.wrapped,
              },
              context: frameContext(frame.header),
              signal: ps,
            }),
          { timeoutMs, signal: s },
        );
        if (dek.length !== KMS_PLAINTEXT_LEN) {
          throw new ShroudError('CRYPTO_INTEGRITY', 'the unwrapped DEK has the wrong length');
        }
        return { plaintext: Buffer.from(dek.buffer, dek.byteOffset, dek.byteLength) };
      });
    },
  };
}
