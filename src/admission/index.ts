export * from './types.js';
export { decodeReview, parseJsonBody, ReviewDecodeError, type PartialReview } from './decode.js';
export {
  allowedResponse,
  encodePatch,
  errorResponse,
  mutationResponse,
  reviewResponse,
  verdictResponse,
  type AdmissionResponse,
  type AdmissionReviewResponse,
  type ResponseStatus,
} from './respond.js';
export { allowAllReviewer, noChangeMutator } from './defaults.js';
export { parseGoDuration } from './timeout.js';
