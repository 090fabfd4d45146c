export * from './proto.js';
export {
  KMS_CLIENT_DEFAULTS,
  KMS_PROVIDER_ID,
  KmsV2Provider,
  socketTarget,
  type KmsKeyIdChange,
  type KmsKeyIdSeen,
  type KmsStaleness,
  type KmsTimers,
  type KmsV2ProviderOptions,
} from './client/provider.js';
export { KMS_CLIENT_LIMITS, KMS_KEY_VERSION, kmsKeyRef, kmsKeyTag } from './client/responses.js';
export {
  formatKmsStatusReport,
  type KmsKeyIdRow,
  kmsStatusReport,
  type KmsStatusReport,
} from './client/status-report.js';
