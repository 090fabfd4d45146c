/**
 * The `kms` KEK provider: Shroud's DEKs wrapped by a Kubernetes KMS v2 plugin over its Unix
 * socket, so the root of trust is whatever KMS (cloud KMS, Vault, HSM) the cluster already trusts.
 *
 * - wrap is Encrypt(DEK, uid); the slot's key reference is {provider, key_id, version 1, keyTag
 *   derived from key_id} (see kmsKeyRef) and its annotations are the plugin's.
 * - unwrap is Decrypt(wrapped, uid, key_id, annotations), checked to give back a 32-byte DEK.
 * - Status is polled like kube-apiserver does (every 60 s while healthy, 10 s while not) to learn
 *   health and the current key_id; a key_id change is reported (onKeyIdChange, keyIdChanges) and
 *   values under an older key_id are counted as stale, for `shroud keys rewrap`.
 * - keyGeneration does not change when the plugin is down or rotates, so the DEK cache keeps
 *   opening values it has opened before through a plugin outage (up to the cache's TTL).
 */
import { randomUUID } from 'node:crypto';
import { Client, credentials } from '@grpc/grpc-js';
import type {
  DekCache,
  KekProvider,
  KeyRef,
  KeyVersionStatus,
  ProviderStatus,
  UnwrapRequest,
  WrapRequest,
  WrapResult,
} from '../../crypto/index.js';
import { ShroudError } from '../../errors.js';
import type { Logger } from '../../log/logger.js';
import { KMS_API_VERSION, KMS_HEALTHZ_OK, type StatusResponse } from '../proto.js';
import { type KmsCallTarget, unaryCall } from './grpc-call.js';
import {
  checkDecrypt,
  checkEncrypt,
  checkStatus,
  KMS_KEY_VERSION,
  keyIdProblem,
  kmsKeyRef,
  kmsKeyTag,
  printable,
} from './responses.js';

/** The provider id written into envelopes by default. */
export const KMS_PROVIDER_ID = 'kms';

/** Defaults of KmsV2ProviderOptions (kube-apiserver's cadence for the polls). */
export const KMS_CLIENT_DEFAULTS = Object.freeze({
  timeoutMs: 3000,
  healthyPollMs: 60_000,
  unhealthyPollMs: 10_000,
  /** Distinct key_ids remembered for status and staleness (the oldest is forgotten first). */
  maxKeyIds: 64,
});

/** Timer functions, injectable so tests drive polling without waiting. */
export interface KmsTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: KmsTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** A change of the plugin's current key_id, seen by a Status poll (or an Encrypt confirmed by one). */
export interface KmsKeyIdChange {
  provider: string;
  previous: string | undefined;
  current: string;
  at: string;
}

/** KmsV2Provider options. */
export interface KmsV2ProviderOptions {
  /** The plugin's Unix socket: an absolute path, `unix:/path` or `unix:///path`. */
  socket: string;
  /** Provider id written into envelopes (default `kms`): 1..32 of `[a-z0-9.-]`, starting with a letter or digit. Changing it orphans sealed values. */
  id?: string;
  /** Milliseconds each gRPC call may take before CRYPTO_PROVIDER_TIMEOUT (default 3000). */
  timeoutMs?: number;
  /** Milliseconds between Status polls while healthy (default 60000). */
  healthyPollMs?: number;
  /** Milliseconds between Status polls while unhealthy (default 10000). */
  unhealthyPollMs?: number;
  /** Poll Status on a timer, starting at once (default true). Without it, poll() is called by hand. */
  poll?: boolean;
  /** Timer functions (default: Node's, unref'd). */
  timers?: KmsTimers;
  /** Clock for "first seen" times (default Date.now). */
  now?: () => number;
  /** The uid sent with Encrypt and Decrypt, for the plugin's logs (default crypto.randomUUID). */
  uid?: () => string;
  /** Called when the current key_id changes (not for the first one learnt). */
  onKeyIdChange?: (change: KmsKeyIdChange) => void;
  /** Health changes and key_id changes are logged here (never a DEK or a ciphertext). */
  log?: Logger;
  /** DEK caches to clear when the provider is closed. */
  caches?: readonly DekCache[];
}

/** What one key_id has been seen doing in this process. */
export interface KmsKeyIdSeen {
  keyId: string;
  /** When this process first saw it (ISO 8601). */
  firstSeen: string;
  /** Unwraps (opens that reached the plugin) of values under this key_id while it was not current. */
  staleUnwraps: number;
}

/** Staleness of the values this process opened: run `shroud keys rewrap` when staleUnwraps grows. */
export interface KmsStaleness {
  /** The plugin's current key_id, from the last Status that had one. */
  currentKeyId: string | undefined;
  /** Unwraps since start of values whose key_id was not the current one. */
  staleUnwraps: number;
  /** key_id changes seen since start (the first key_id learnt is not a change). */
  keyIdChanges: number;
  /** Every key_id seen (at most 64, oldest first). */
  keyIds: KmsKeyIdSeen[];
}

interface PollState {
  healthy: boolean;
  message: string | undefined;
  polledAt: number;
}

let instances = 0;

/** KekProvider over a Kubernetes KMS v2 plugin. */
export class KmsV2Provider implements KekProvider {
  readonly id: string;
  /** The socket, as given to grpc-js (`unix:/path`). */
  readonly target: string;
  readonly timeoutMs: number;
  readonly healthyPollMs: number;
  readonly unhealthyPollMs: number;
  private readonly client: Client;
  private readonly call: KmsCallTarget;
  private readonly timers: KmsTimers;
  private readonly now: () => number;
  private readonly uid: () => string;
  private readonly onKeyIdChange: ((change: KmsKeyIdChange) => void) | undefined;
  private readonly log: Logger | undefined;
  private readonly caches: readonly DekCache[];
  /** Constant for this object: neither an outage nor a rotation stops cached DEKs from serving. */
  private readonly generation: string;
  private readonly polling: boolean;
  private currentKeyId: string | undefined;
  private state: PollState | undefined;
  private inFlight: Promise<PollState> | undefined;
  private timer: unknown;
  private closed = false;
  private staleCount = 0;
  private changeCount = 0;
  private readonly seen = new Map<string, KmsKeyIdSeen>();

  /** Connects lazily (grpc-js dials on the first call); starts polling Status unless `poll: false`. @throws CONFIG_INVALID */
  constructor(options: KmsV2ProviderOptions) {
    this.id = options.id ?? KMS_PROVIDER_ID;
    if (!/^[a-z0-9][a-z0-9.-]{0,31}$/.test(this.id)) {
      throw new ShroudError(
        'CONFIG_INVALID',
        `KMS provider id "${printable(this.id, 40)}" is not valid: use 1..32 of a-z, 0-9, "." and "-", starting with a letter or digit`,
      );
    }
    this.target = socketTarget(options.socket);
    this.timeoutMs = positive('timeoutMs', options.timeoutMs ?? KMS_CLIENT_DEFAULTS.timeoutMs);
    this.healthyPollMs = positive('healthyPollMs', options.healthyPollMs ?? KMS_CLIENT_DEFAULTS.healthyPollMs);
    this.unhealthyPollMs = positive('unhealthyPollMs', options.unhealthyPollMs ?? KMS_CLIENT_DEFAULTS.unhealthyPollMs);
    this.timers = options.timers ?? realTimers;
    this.now = options.now ?? Date.now;
    this.uid = options.uid ?? randomUUID;
    this.onKeyIdChange = options.onKeyIdChange;
    this.log = options.log;
    this.caches = options.caches ?? [];
    this.generation = `${this.id}#${++instances}`;
    this.client = new Client(this.target, credentials.createInsecure(), {
      // Come back quickly after a plugin restart (grpc-js's default backoff grows to 120 s).
      'grpc.initial_reconnect_backoff_ms': 200,
      'grpc.max_reconnect_backoff_ms': 5000,
    });
    this.call = {
      client: this.client,
      provider: this.id,
      socket: this.target.slice('unix:'.length),
      timeoutMs: this.timeoutMs,
    };
    this.polling = options.poll ?? true;
    if (this.polling) this.schedule(0);
  }

  /**
   * Asks Status now (joining a poll already in flight) and schedules the next poll: in
   * healthyPollMs when healthy, unhealthyPollMs when not. Never rejects: a failed call makes the
   * provider unhealthy and keeps the last key_id learnt.
   */
  poll(): Promise<ProviderStatus> {
    if (this.closed) return Promise.resolve(this.snapshot());
    if (this.inFlight === undefined) {
      this.inFlight = this.fetchStatus().finally(() => {
        this.inFlight = undefined;
      });
    }
    return this.inFlight.then(() => this.snapshot());
  }

  /** Health and keys from the last poll (polls first if there was none). */
  async status(options: { signal?: AbortSignal } = {}): Promise<ProviderStatus> {
    if (this.state === undefined && !this.closed) {
      options.signal?.throwIfAborted();
      await this.poll();
    }
    return this.snapshot();
  }

  /** Wraps a DEK with the plugin's current key (Encrypt); `context` is not sent (KMS v2 has no associated data). */
  async wrap(request: WrapRequest): Promise<WrapResult> {
    this.assertOpen();
    if (this.currentKeyId === undefined) await this.poll();
    const res = await unaryCall(
      this.call,
      'Encrypt',
      { plaintext: Buffer.from(request.dek.buffer, request.dek.byteOffset, request.dek.byteLength), uid: this.uid() },
      request.signal,
    );
    const answer = checkEncrypt(this.call, res);
    if (answer.keyId !== this.currentKeyId) {
      // The plugin may have rotated since the last poll: ask Status once more.
      await this.fetchStatus(request.signal, true);
      if (answer.keyId !== this.currentKeyId) {
        throw new ShroudError(
          'CRYPTO_PROVIDER_UNAVAILABLE',
          `KMS v2 plugin at ${this.call.socket}: Encrypt answered with key_id "${short(answer.keyId)}" but Status reports "${short(this.currentKeyId ?? '')}"; kube-apiserver refuses such a plugin too (check the plugin's rotation)`,
          { details: { provider: this.id, method: 'Encrypt', field: 'key_id' } },
        );
      }
    }
    this.remember(answer.keyId);
    const result: WrapResult = { method: 'kek', ref: kmsKeyRef(this.id, answer.keyId), wrapped: answer.ciphertext };
    if (answer.annotations !== undefined) result.annotations = answer.annotations;
    return result;
  }

  /**
   * Unwraps a DEK (Decrypt) under any key_id the plugin still has.
   * @throws CRYPTO_UNKNOWN_KEY (another provider, a public-key slot, a key reference this provider never writes),
   *   CRYPTO_INTEGRITY, CRYPTO_PROVIDER_UNAVAILABLE, CRYPTO_PROVIDER_TIMEOUT
   */
  async unwrap(request: UnwrapRequest): Promise<Uint8Array> {
    const { slot } = request;
    this.checkRef(slot.ref);
    if (slot.method !== 'kek') {
      throw new ShroudError(
        'CRYPTO_UNKNOWN_KEY',
        `the value was sealed to a public key (${slot.method}); the KMS provider "${this.id}" only opens values it wrapped`,
        { details: { provider: this.id } },
      );
    }
    this.assertOpen();
    const annotations: Record<string, Buffer> = {};
    for (const [name, value] of Object.entries(slot.annotations ?? {}))
      annotations[name] = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    const res = await unaryCall(
      this.call,
      'Decrypt',
      { ciphertext: slot.wrapped, uid: this.uid(), key_id: slot.ref.keyId, annotations },
      request.signal,
    );
    const dek = checkDecrypt(this.call, res);
    this.remember(slot.ref.keyId);
    if (this.currentKeyId !== undefined && slot.ref.keyId !== this.currentKeyId) {
      this.staleCount++;
      this.seen.get(slot.ref.keyId)!.staleUnwraps++;
    }
    return dek;
  }

  /**
   * Cheap, no I/O: whether `ref` is a reference this provider writes. The generation is fixed for
   * this object, so neither a plugin outage nor a rotation (old key_ids still decrypt) stops the
   * DEK cache from serving what it holds; the cache's TTL bounds how long. After close() the
   * provider vouches for nothing.
   * @throws CRYPTO_UNKNOWN_KEY, CRYPTO_PROVIDER_UNAVAILABLE (closed)
   */
  keyGeneration(ref: KeyRef): string {
    this.checkRef(ref);
    this.assertOpen();
    return this.generation;
  }

  /** Whether `ref` names the plugin's current key_id; undefined while no key_id is known. */
  isCurrent(ref: KeyRef): boolean | undefined {
    return this.currentKeyId === undefined ? undefined : ref.keyId === this.currentKeyId;
  }

  /** Staleness figures since start, for `shroud keys status` and metrics. */
  staleness(): KmsStaleness {
    return {
      currentKeyId: this.currentKeyId,
      staleUnwraps: this.staleCount,
      keyIdChanges: this.changeCount,
      keyIds: [...this.seen.values()].map((s) => ({ ...s })),
    };
  }

  /** Health and keys from the last poll, without I/O (undefined state reads "not polled yet"): for /readyz. */
  lastStatus(): ProviderStatus {
    return this.snapshot();
  }

  /** key_id changes seen since start. */
  get keyIdChanges(): number {
    return this.changeCount;
  }

  /** Stops polling, closes the channel and clears the caches given; calls after it fail with CRYPTO_PROVIDER_UNAVAILABLE. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    this.client.close();
    for (const cache of this.caches) cache.clear();
  }

  private snapshot(): ProviderStatus {
    const status: ProviderStatus = {
      provider: this.id,
      healthy: !this.closed && this.state?.healthy === true,
      versions: this.versions(),
    };
    const message = this.closed ? 'closed' : (this.state?.message ?? (this.state ? undefined : 'not polled yet'));
    if (message !== undefined) status.message = message;
    if (this.currentKeyId !== undefined) status.primary = kmsKeyRef(this.id, this.currentKeyId);
    return status;
  }

  /** The current key_id as primary; every other key_id seen as active (the plugin is expected to still decrypt them). */
  private versions(): KeyVersionStatus[] {
    return [...this.seen.values()].map((s) => ({
      ref: kmsKeyRef(this.id, s.keyId),
      state: s.keyId === this.currentKeyId ? 'primary' : 'active',
      createdAt: s.firstSeen,
    }));
  }

  private async fetchStatus(signal?: AbortSignal, throwOnError = false): Promise<PollState> {
    this.assertOpen();
    let next: PollState;
    try {
      const res = checkStatus(this.call, await unaryCall<StatusResponse>(this.call, 'Status', {}, signal));
      next = this.judge(res);
    } catch (err) {
      if (throwOnError) throw err;
      next = { healthy: false, message: (err as Error).message, polledAt: this.now() };
    }
    const wasHealthy = this.state?.healthy;
    this.state = next;
    if (wasHealthy !== next.healthy) {
      if (next.healthy) this.log?.info({ provider: this.id, socket: this.call.socket }, 'kms plugin healthy');
      else
        this.log?.warn({ provider: this.id, socket: this.call.socket, reason: next.message }, 'kms plugin unhealthy');
    }
    if (!this.closed && this.timer !== undefined) {
      this.timers.clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (!this.closed && this.polling) this.schedule(next.healthy ? this.healthyPollMs : this.unhealthyPollMs);
    return next;
  }

  private schedule(ms: number): void {
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      if (!this.closed) void this.poll();
    }, ms);
  }

  /** Health from a Status answer; learns its key_id when valid. */
  private judge(res: StatusResponse): PollState {
    const polledAt = this.now();
    const problem = keyIdProblem(res.key_id);
    if (problem === undefined) this.learnKeyId(res.key_id);
    if (res.version !== KMS_API_VERSION)
      return { healthy: false, message: `plugin speaks API version "${printable(res.version, 40)}", not v2`, polledAt };
    if (res.healthz !== KMS_HEALTHZ_OK)
      return { healthy: false, message: `plugin healthz: ${printable(res.healthz)}`, polledAt };
    if (problem !== undefined)
      return { healthy: false, message: `plugin Status key_id is not valid (${problem})`, polledAt };
    return { healthy: true, message: undefined, polledAt };
  }

  private learnKeyId(keyId: string): void {
    const previous = this.currentKeyId;
    if (previous === keyId) return;
    this.currentKeyId = keyId;
    this.remember(keyId);
    if (previous === undefined) return;
    this.changeCount++;
    const change: KmsKeyIdChange = {
      provider: this.id,
      previous,
      current: keyId,
      at: new Date(this.now()).toISOString(),
    };
    this.log?.info({ provider: this.id, previous: short(previous), current: short(keyId) }, 'kms key_id changed');
    try {
      this.onKeyIdChange?.(change);
    } catch (err) {
      this.log?.warn({ provider: this.id, err: (err as Error).message }, 'kms onKeyIdChange listener failed');
    }
  }

  private remember(keyId: string): void {
    if (this.seen.has(keyId)) return;
    this.seen.set(keyId, { keyId, firstSeen: new Date(this.now()).toISOString(), staleUnwraps: 0 });
    while (this.seen.size > KMS_CLIENT_DEFAULTS.maxKeyIds) {
      const oldest = this.seen.keys().next().value as string;
      if (oldest === this.currentKeyId) {
        // keep the current one: move it to the end
        const entry = this.seen.get(oldest)!;
        this.seen.delete(oldest);
        this.seen.set(oldest, entry);
        continue;
      }
      this.seen.delete(oldest);
    }
  }

  private checkRef(ref: KeyRef): void {
    if (
      ref.provider !== this.id ||
      ref.version !== KMS_KEY_VERSION ||
      keyIdProblem(ref.keyId) !== undefined ||
      ref.keyTag !== kmsKeyTag(ref.keyId)
    ) {
      throw new ShroudError(
        'CRYPTO_UNKNOWN_KEY',
        `sealed for ${ref.provider} key ${short(ref.keyId)} version ${ref.version}, which the KMS provider "${this.id}" did not write (its values are version ${KMS_KEY_VERSION} with a key tag derived from the key_id)`,
        { details: { provider: ref.provider, version: ref.version } },
      );
    }
  }

  private assertOpen(): void {
    if (this.closed)
      throw new ShroudError('CRYPTO_PROVIDER_UNAVAILABLE', `KMS provider "${this.id}" was closed`, {
        details: { provider: this.id },
      });
  }
}

/** The grpc-js target for a Unix socket path. @throws CONFIG_INVALID */
export function socketTarget(socket: string): string {
  let path = socket;
  if (path.startsWith('unix://')) path = path.slice('unix://'.length);
  else if (path.startsWith('unix:')) path = path.slice('unix:'.length);
  if (!path.startsWith('/') || path.includes('\0') || Buffer.byteLength(path) > 107) {
    throw new ShroudError(
      'CONFIG_INVALID',
      `KMS plugin socket "${printable(socket, 120)}" is not valid: give an absolute path of at most 107 bytes (or unix:/path), as in the EncryptionConfiguration's endpoint`,
    );
  }
  return `unix:${path}`;
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new ShroudError('CONFIG_INVALID', `KMS provider option ${name} must be a positive number of milliseconds`);
  }
  return value;
}

/** A key_id for a message: up to 1 KiB from a plugin. */
function short(keyId: string): string {
  return printable(keyId, 64);
}
