/**
 * An independent KMS v2 client, as kube-apiserver is one: built in the test from the .proto file
 * with grpc-js and proto-loader, not through any client or loader code in src/.
 */
import { join } from 'node:path';
import { credentials, type Client, loadPackageDefinition, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

const PROTO = join(import.meta.dirname, '..', '..', 'proto', 'kms', 'v2', 'api.proto');

export interface UpstreamStatus {
  version: string;
  healthz: string;
  key_id: string;
}
export interface UpstreamEncrypted {
  ciphertext: Buffer;
  key_id: string;
  annotations: Record<string, Buffer>;
}

type Unary = (
  request: unknown,
  options: { deadline: number },
  callback: (err: ServiceError | null, answer: unknown) => void,
) => void;

export interface UpstreamClient {
  status(): Promise<UpstreamStatus>;
  encrypt(plaintext: Buffer, uid?: string): Promise<UpstreamEncrypted>;
  decrypt(request: {
    ciphertext: Buffer;
    key_id: string;
    annotations: Record<string, Buffer>;
    uid?: string;
  }): Promise<Buffer>;
  close(): void;
}

/** A client of `v2.KeyManagementService` on `unix:PATH`; every call has a deadline (default 5 s). */
export function upstreamClient(socketPath: string, deadlineMs = 5000): UpstreamClient {
  const definition = loadSync(PROTO, { keepCase: true, longs: String, enums: String, defaults: true });
  const pkg = loadPackageDefinition(definition) as unknown as {
    v2: { KeyManagementService: new (address: string, creds: ReturnType<typeof credentials.createInsecure>) => Client };
  };
  const client = new pkg.v2.KeyManagementService(`unix:${socketPath}`, credentials.createInsecure()) as Client &
    Record<'Status' | 'Encrypt' | 'Decrypt', Unary>;
  const call = <T>(method: 'Status' | 'Encrypt' | 'Decrypt', request: unknown): Promise<T> =>
    new Promise((done, fail) => {
      client[method](request, { deadline: Date.now() + deadlineMs }, (err, answer) => {
        if (err) fail(err);
        else done(answer as T);
      });
    });
  return {
    status: () => call<UpstreamStatus>('Status', {}),
    encrypt: (plaintext, uid = 'test-uid') => call<UpstreamEncrypted>('Encrypt', { plaintext, uid }),
    decrypt: async (request) =>
      (await call<{ plaintext: Buffer }>('Decrypt', { uid: 'test-uid', ...request })).plaintext,
    close: () => client.close(),
  };
}
