/** The unseal service: `POST /v1/unseal` for init containers (docs/injection.md). */
export { checkIdentity, type PodIdentity, POD_CLAIMS, UNSEAL_AUDIENCE } from './identity.js';
export { UNSEAL_BODY_LIMIT, UNSEAL_MAX_ITEMS } from './request.js';
export { CachingTokenReviewer, type TokenReviewCacheOptions, tokenExpiry, tokenHash } from './token-cache.js';
export {
  createUnsealService,
  DEFAULT_UNSEAL_LIMITS,
  type UnsealLimits,
  type UnsealRouterOptions,
  type UnsealService,
} from './unseal-router.js';
export { createUnsealApp, type RunningUnsealServer, startUnsealServer } from './unseal-server.js';
