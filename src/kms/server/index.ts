/** `shroud kms-plugin`: a Kubernetes KMS v2 plugin server over any KekProvider, on a Unix socket. */
export {
  decodeFrame,
  encodeFrame,
  encodeFrameHeader,
  type Frame,
  frameContext,
  KMS_LIMITS,
  kmsKeyId,
} from './frame.js';
export {
  createKmsPluginService,
  DEFAULT_KMS_CALL_TIMEOUT_MS,
  FRAME_ANNOTATION,
  KMS_PLAINTEXT_LEN,
  type KmsPluginService,
  type KmsPluginServiceOptions,
} from './plugin-service.js';
export {
  grpcCodeOf,
  KMS_MAX_MESSAGE_BYTES,
  type KmsSocketServerOptions,
  type RunningKmsSocketServer,
  startKmsSocketServer,
} from './socket-server.js';
