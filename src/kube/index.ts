/** Adapters that talk to the Kubernetes API: the only home of @kubernetes/client-node. */
export {
  createTokenReviewClient,
  inClusterAvailable,
  unconfiguredReviewer,
  type TokenReviewClientOptions,
  type TokenReviewer,
  type TokenReviewResult,
} from './token-review.js';
