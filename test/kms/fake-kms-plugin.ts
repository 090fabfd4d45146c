/**
 * A programmable KMS v2 plugin for the client's tests and bench: grpc-js on a real Unix socket.
 * Honest by default (AES-256-GCM under one random key per key_id, annotations naming the key),
 * and each method can be told to hang, fail with a gRPC code, or answer with something else.
 * `garbage` makes every answer bytes that do not parse as the response message.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import {
  type sendUnaryData,
  Server,
  ServerCredentials,
  type ServerUnaryCall,
  type ServiceDefinition,
  status as GrpcStatus,
} from '@grpc/grpc-js';
import {
  type DecryptRequest,
  type DecryptResponse,
  type EncryptRequest,
  type EncryptResponse,
  kmsServiceDefinition,
  type StatusResponse,
} from '../../src/kms/index.js';

/** What one method does instead of its honest answer. */
export type Override<Req, Res> = (request: Req) => Res | 'hang' | { code: GrpcStatus; details?: string } | undefined;

export class FakeKmsPlugin {
  readonly socket: string;
  version = 'v2';
  healthz = 'ok';
  keyId = 'key-1';
  /** Encrypt answers with this key_id instead of the current one (a plugin breaking the contract). */
  encryptKeyId: string | undefined;
  garbage = false;
  status?: Override<object, StatusResponse>;
  encrypt?: Override<EncryptRequest, EncryptResponse>;
  decrypt?: Override<DecryptRequest, DecryptResponse>;
  readonly calls = { Status: 0, Encrypt: 0, Decrypt: 0 };
  /** Calls the client cancelled (or whose deadline passed) before an answer. */
  cancelled = 0;
  /** uids received, in order (bounded by the tests' loops). */
  readonly uids: string[] = [];
  private readonly keys = new Map<string, Buffer>([['key-1', randomBytes(32)]]);
  private server: Server | undefined;
  private rotations = 1;

  /** `dir`: a fresh directory for the socket (a short path: Unix socket paths are at most 107 bytes). */
  constructor(dir: string) {
    this.socket = join(dir, 'plugin.sock');
  }

  /** Starts listening (again, after stop). */
  async start(): Promise<void> {
    const server = new Server();
    server.addService(this.definition(), {
      Status: (call: ServerUnaryCall<object, StatusResponse>, cb: sendUnaryData<StatusResponse>) =>
        this.answer('Status', call, cb, this.status, () => ({
          version: this.version,
          healthz: this.healthz,
          key_id: this.keyId,
        })),
      Encrypt: (call: ServerUnaryCall<EncryptRequest, EncryptResponse>, cb: sendUnaryData<EncryptResponse>) =>
        this.answer('Encrypt', call, cb, this.encrypt, (r) => this.honestEncrypt(r)),
      Decrypt: (call: ServerUnaryCall<DecryptRequest, DecryptResponse>, cb: sendUnaryData<DecryptResponse>) =>
        this.answer('Decrypt', call, cb, this.decrypt, (r) => this.honestDecrypt(r)),
    });
    await new Promise<void>((resolve, reject) =>
      server.bindAsync(`unix:${this.socket}`, ServerCredentials.createInsecure(), (err) =>
        err ? reject(err) : resolve(),
      ),
    );
    this.server = server;
  }

  /** Kills the server at once (open calls fail, the socket goes away). */
  stop(): void {
    this.server?.forceShutdown();
    this.server = undefined;
  }

  /** A new key_id and key; the old keys still decrypt (as a real KMS keeps old versions). */
  rotate(): string {
    this.keyId = `key-${++this.rotations}`;
    this.keys.set(this.keyId, randomBytes(32));
    return this.keyId;
  }

  private answer<Req, Res>(
    method: keyof FakeKmsPlugin['calls'],
    call: ServerUnaryCall<Req, Res>,
    cb: sendUnaryData<Res>,
    override: Override<Req, Res> | undefined,
    honest: (r: Req) => Res | { code: GrpcStatus },
  ): void {
    this.calls[method]++;
    const request = call.request;
    let answered = false;
    call.on('cancelled', () => {
      if (!answered) this.cancelled++;
    });
    const uid = (request as { uid?: string }).uid;
    if (uid !== undefined && this.uids.length < 10_000) this.uids.push(uid);
    const out = override?.(request) ?? honest(request);
    if (out === 'hang') return;
    answered = true;
    if (typeof out === 'object' && out !== null && 'code' in out) {
      cb({ code: out.code, details: (out as { details?: string }).details ?? 'refused' });
      return;
    }
    cb(null, out as Res);
  }

  private honestEncrypt(r: EncryptRequest): EncryptResponse {
    const keyId = this.keyId;
    const nonce = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.keys.get(keyId)!, nonce);
    const ct = Buffer.concat([nonce, c.update(r.plaintext), c.final(), c.getAuthTag()]);
    return {
      ciphertext: ct,
      key_id: this.encryptKeyId ?? keyId,
      annotations: { 'key.fake-kms.example': Buffer.from(keyId) },
    };
  }

  private honestDecrypt(r: DecryptRequest): DecryptResponse | { code: GrpcStatus } {
    const key = this.keys.get(r.key_id);
    if (key === undefined) return { code: GrpcStatus.NOT_FOUND };
    if (r.annotations['key.fake-kms.example']?.toString() !== r.key_id) return { code: GrpcStatus.INVALID_ARGUMENT };
    try {
      const d = createDecipheriv('aes-256-gcm', key, r.ciphertext.subarray(0, 12));
      d.setAuthTag(r.ciphertext.subarray(r.ciphertext.length - 16));
      return { plaintext: Buffer.concat([d.update(r.ciphertext.subarray(12, r.ciphertext.length - 16)), d.final()]) };
    } catch {
      return { code: GrpcStatus.INVALID_ARGUMENT };
    }
  }

  /** The service definition with answers replaced by unparseable bytes while `garbage` is set. */
  private definition(): ServiceDefinition {
    const out: Record<string, unknown> = {};
    for (const [name, method] of Object.entries(kmsServiceDefinition())) {
      out[name] = {
        ...method,
        responseSerialize: (value: unknown) =>
          this.garbage ? Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]) : method.responseSerialize(value),
      };
    }
    return out as ServiceDefinition;
  }
}
