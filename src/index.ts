/** Shroud's library API (policy, admission, detectors, crypto). Nothing from the servers (webhook/, https/, roles/) or cli/. */
export * from './admission/index.js';
export * from './crypto/index.js';
export * from './detect/index.js';
export * from './policy/index.js';
export { ERROR_CODES, ShroudError, isShroudError, type ErrorCode } from './errors.js';
export { formatIssue, IssueError, issueError, valueOrThrow, type FileIssue, type Issue } from './issues.js';
