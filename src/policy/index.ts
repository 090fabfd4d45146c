/**
 * The policy engine's public API: load policy files, evaluate objects, review admission
 * requests. Everything here is pure except loadPolicyDir and readPolicyFiles, which read the
 * file system.
 */
export {
  loadPolicyDir,
  loadPolicySources,
  readPolicyFiles,
  readPolicySources,
  DEFAULT_SLICE_MS,
  type LoadPolicyDirOptions,
  type PolicySource,
} from './load-dir.js';
export { BUILTIN_POLICY_DIR } from './builtin.js';
export { parsePolicyFiles, type PolicyFile, type LoadResult } from './parse-files.js';
export { DEFAULT_POLICY_LIMITS, type PolicyLimits } from './limits.js';
export {
  evaluateObject,
  DEFAULT_MAX_VIOLATIONS,
  EXPIRY_WARNING_DAYS,
  type EvaluateOptions,
  type EvaluationBudget,
} from './engine.js';
export { ownersOf, POD_TEMPLATE_HASH_LABEL, type Owner } from './ownership.js';
export { createPolicyReviewer, evaluateRequest, type PolicyReviewer, type PolicyReviewerOptions } from './reviewer.js';
export {
  toVerdict,
  formatViolation,
  fitWarnings,
  MAX_WARNING_BYTES,
  MAX_WARNINGS_TOTAL_BYTES,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_MAX_AUDIT_ANNOTATION_BYTES,
  EXCEPTIONS_ANNOTATION,
  type VerdictLimits,
} from './verdict.js';
export {
  applyEnforcementOverride,
  ENFORCEMENT_OVERRIDES,
  WOULD_DENY_PREFIX,
  type EnforcementOverride,
} from './enforcement-override.js';
export { emptyPolicySet } from './policy-set.js';
/** Issues are shared by every loader (src/issues.ts); re-exported here for policy callers. */
export { formatIssue, valueOrThrow, type Issue } from '../issues.js';
export { selectorReport, policiesForKind, type SelectorReportRow } from './inspect.js';
export { POD_TEMPLATE_PATHS } from './pod-templates.js';
export { sourceDocument, type SourceDocument, type Position } from './source-map.js';
export {
  findYamlProblems,
  DEFAULT_MAX_EXPANDED_NODES,
  type YamlProblem,
  type YamlCheckOptions,
} from './yaml-checks.js';
export { formatPath, type PathSegment } from './selector.js';
export type {
  AppliedException,
  Enforcement,
  Evaluation,
  EvaluationInput,
  OmittedViolations,
  PolicySet,
  RuleResult,
  RuleStatus,
  Violation,
  CompiledPolicy,
  CompiledRule,
  CompiledException,
  CompiledExclusion,
  WorkloadKind,
  PolicyTarget,
} from './types.js';
