/**
 * The KMS v2 gRPC service definition, loaded from `proto/kms/v2/api.proto` (shipped with the
 * package), and the message shapes as grpc-js hands them to us: bytes as Buffer, fields in
 * snake_case as the .proto spells them, absent fields as their proto3 defaults.
 */
import { fileURLToPath } from 'node:url';
import type { ServiceDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

/** The .proto file, found beside src/ and dist/ alike (both sit one level under the package root). */
export const KMS_PROTO_PATH = fileURLToPath(new URL('../../proto/kms/v2/api.proto', import.meta.url));

/** The fully qualified service name kube-apiserver calls. */
export const KMS_SERVICE_NAME = 'v2.KeyManagementService';

/** The API version a KMS v2 plugin reports in Status. */
export const KMS_API_VERSION = 'v2';

/** What a healthy plugin reports in StatusResponse.healthz. */
export const KMS_HEALTHZ_OK = 'ok';

export interface StatusResponse {
  version: string;
  healthz: string;
  key_id: string;
}

export interface EncryptRequest {
  plaintext: Buffer;
  uid: string;
}

export interface EncryptResponse {
  ciphertext: Buffer;
  key_id: string;
  annotations: Record<string, Buffer>;
}

export interface DecryptRequest {
  ciphertext: Buffer;
  uid: string;
  key_id: string;
  annotations: Record<string, Buffer>;
}

export interface DecryptResponse {
  plaintext: Buffer;
}

let definition: ServiceDefinition | undefined;

/** The service definition, for `Server.addService` and `makeGenericClientConstructor`; parsed once. */
export function kmsServiceDefinition(): ServiceDefinition {
  if (definition === undefined) {
    const pkg = loadSync(KMS_PROTO_PATH, { keepCase: true, longs: String, enums: String, defaults: true });
    const service = pkg[KMS_SERVICE_NAME];
    if (service === undefined || !('Status' in service)) {
      throw new Error(`${KMS_PROTO_PATH} does not define ${KMS_SERVICE_NAME}`);
    }
    definition = service as unknown as ServiceDefinition;
  }
  return definition;
}
