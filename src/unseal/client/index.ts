/** The init-container client of the unseal service: what `shroud unseal-init` runs. */
export { backoffMs, BACKOFF } from './backoff.js';
export {
  batches,
  failureLine,
  MAX_ITEMS_PER_REQUEST,
  MAX_REQUEST_BYTES,
  REQUEST_TIMEOUT_MS,
  unsealInit,
  type UnsealInitDeps,
  type UnsealInitOptions,
  type UnsealInitReport,
} from './init-client.js';
export { readSealedDir, SEALED_PREFIX, type SealedDirContents, type SealedItem } from './sealed-dir.js';
export { type CallOutcome, callUnseal, checkCaBundle, parseUnsealUrl, unsealEndpoint } from './unseal-call.js';
export { FILE_MODES, type FileMode, folderModeFor, writePlaintexts } from './write-files.js';
export { dataLinks, type WatchDeps, type WatchOptions, watchSealed } from './watch.js';
export { fetchPublicKey, isPublicKeyUrl, publicKeyUrl } from './public-key-fetch.js';
