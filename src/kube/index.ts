/** Adapters that talk to the Kubernetes API: the only home of @kubernetes/client-node. */
export {
  createTokenReviewClient,
  inClusterAvailable,
  unconfiguredReviewer,
  type TokenReviewClientOptions,
  type TokenReviewer,
  type TokenReviewResult,
} from './token-review.js';
export {
  createListClient,
  DEFAULT_LIST_CONCURRENCY,
  DEFAULT_PAGE_SIZE,
  listPath,
  SCAN_TARGETS,
  type Discovery,
  type ListClient,
  type ListClientOptions,
  type ListHandlers,
  type ListProgress,
  type ListResult,
  type ListTarget,
} from './list.js';
