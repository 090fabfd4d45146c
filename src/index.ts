/** Shroud's library API (policy, admission, crypto). Nothing from server/ or cli/. */
export * from './crypto/index.js';
export { ERROR_CODES, ShroudError, isShroudError, type ErrorCode } from './errors.js';
