/** Composition roots: one per process role, where a resolved config becomes running objects. */
export { checkKeyring, ensureCertificates, type Notify } from './dev-material.js';
export { isClusterWorker, leaveCluster, superviseWorkers } from './cluster.js';
export { type ClusterPart, type MetricsEndpoint, openMetricsEndpoint } from './metrics-endpoint.js';
export {
  type KmsPluginConfig,
  openPluginProvider,
  type PluginProvider,
  type RunningKmsPlugin,
  startKmsPluginRole,
} from './kms-plugin-role.js';
export { prepareServeMaterial, type RunningWebhookRole, startWebhookRole } from './webhook-role.js';
export { prepareUnsealParts, type RunningUnsealRole, startUnsealRole, type UnsealParts } from './unseal-role.js';
export { readUnsealCa } from './unseal-ca.js';
/** What startWebhookRole throws when the first policy load has issues. */
export { InitialLoadError } from '../watch/index.js';
export {
  KEK_SETTINGS,
  kekChoiceFrom,
  type KekProviderChoice,
  type OpenedKekProvider,
  type OpenKekProviderOptions,
  openKekProvider,
  PKCS11_PIN_ENV,
} from './kek-provider.js';
