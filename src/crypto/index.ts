/**
 * The envelope-crypto library: seal values for git, open them where their scope allows, manage
 * the local keyring, and plug in other KEK providers. See README "Keys and sealed secrets".
 */
export { sealValue, type SealOptions } from './seal.js';
export { openValue, type OpenOptions, type OpenedValue } from './open.js';
export { rewrapValue, type RewrapOptions, type RewrapResult } from './rewrap.js';
export { parseEnvelope, type EnvelopeInfo } from './inspect.js';
export {
  encodeKeyRef,
  isSealedValue,
  isValidKeyIdBytes,
  isValidProviderIdBytes,
  KEY_TAG_LEN,
  TEXT_PREFIX,
  type KeyRef,
  type WrapMethod,
} from './envelope.js';
export { SCOPE_KINDS, isScopeKind, type ScopeContext, type ScopeKind } from './scope.js';
export {
  callProvider,
  DEFAULT_PROVIDER_TIMEOUT_MS,
  type KekProvider,
  type KeyState,
  type KeyVersionStatus,
  type ProviderCallOptions,
  type ProviderStatus,
  type UnwrapRequest,
  type WrapRequest,
  type WrapResult,
} from './provider.js';
export {
  createKeyring,
  describeKeyring,
  findVersion,
  keyRefOf,
  LOCAL_PROVIDER_ID,
  primaryVersion,
  retireKeyVersion,
  rotateKeyring,
  shredKeyVersion,
  type KeyMaterial,
  type Keyring,
  type KeyringOptions,
  type KeyVersion,
} from './keyring.js';
export { parseKeyring, serializeKeyring } from './keyring-codec.js';
export {
  ensureKeyring,
  keyringLockPath,
  type KeyringLockOptions,
  loadKeyring,
  saveKeyring,
  type SaveKeyringOptions,
  type SaveKeyringResult,
  updateKeyring,
  withKeyringLock,
} from './keyring-file.js';
export {
  checkPublicKeyExpiry,
  DEFAULT_PUBLIC_KEY_VALID_DAYS,
  exportPublicKey,
  type ExportPublicKeyOptions,
  MAX_PUBLIC_KEY_VALID_DAYS,
  parseFingerprint,
  parsePublicKey,
  PUBLIC_KEY_EXPIRY_WARNING_DAYS,
  publicKeyFingerprint,
  publicKeyOf,
  type PublicKeyExpiry,
  type PublicSealingKey,
} from './public-key.js';
export {
  appendKnownKey,
  decideTrust,
  describeKeyRef,
  firstUseNotice,
  formatKnownKey,
  KNOWN_KEYS_HEADER,
  type KnownKey,
  type KnownKeyEntry,
  MAX_KNOWN_KEY_ID_BYTES,
  parseKnownKeys,
  type PinSource,
  type TrustDecision,
  type TrustInput,
} from './known-keys.js';
export { LocalKeyringProvider, type LocalKeyringProviderOptions } from './local-provider.js';
export { type KekObserver, observeProvider } from './observed-provider.js';
export { DekCache, type CachedKeys, type DekCacheOptions } from './dek-cache.js';
export type { DerivedKeys } from './key-schedule.js';
export { isConfigMapKey, isDnsLabel, isDnsSubdomain } from './k8s-names.js';
export {
  ANNOTATION_LIMITS,
  checkAnnotations,
  encodeAnnotations,
  isAnnotationName,
  readAnnotations,
  type SlotAnnotations,
} from './slot-annotations.js';
