/** The webhook's validating Reviewer, backed by whatever PolicySet is current. */
import type { AdmissionRequest, Reviewer, ReviewOptions, ReviewVerdict } from '../admission/types.js';
import { ShroudError } from '../errors.js';
import { DEFAULT_MAX_VIOLATIONS, type EvaluateOptions, evaluateObject } from './engine.js';
import { applyEnforcementOverride, type EnforcementOverride } from './enforcement-override.js';
import type { Evaluation, PolicySet } from './types.js';
import { judgeUpdate } from './update.js';
import { DEFAULT_MAX_AUDIT_ANNOTATION_BYTES, DEFAULT_MAX_MESSAGE_BYTES, toVerdict } from './verdict.js';

/**
 * The engine's evaluation of one admission request, as the webhook judges it: the object against
 * the set, an UPDATE on what it changes (judgeUpdate in update.ts). Undefined when the update is
 * allowed without evaluation.
 */
export function evaluateRequest(
  set: PolicySet,
  request: AdmissionRequest,
  options: EvaluateOptions,
): Evaluation | undefined {
  const evaluate = (object: unknown) =>
    evaluateObject(
      set,
      {
        object,
        oldObject: request.oldObject ?? undefined,
        operation: request.operation,
        kind: request.kind.kind,
        namespace: request.namespace,
        name: request.name,
        userInfo: request.userInfo,
      },
      options,
    );
  return request.operation === 'UPDATE' ? judgeUpdate(request, evaluate) : evaluate(request.object ?? undefined);
}

/** Options for createPolicyReviewer. */
export interface PolicyReviewerOptions {
  /** The clock for exception expiry; default: the system clock. */
  now?: () => Date;
  /**
   * The monotonic clock, in milliseconds, that a review's `deadline` is read on; default:
   * `performance.now`.
   */
  clock?: () => number;
  /**
   * Most violations of each enforcement (deny, warn, audit) evaluated into messages per
   * request; the rest are counted ("… and N more"). Default DEFAULT_MAX_VIOLATIONS (100).
   */
  maxViolations?: number;
  /** Most UTF-8 bytes of a deny message; default DEFAULT_MAX_MESSAGE_BYTES (16 KiB), at least 1 KiB. */
  maxMessageBytes?: number;
  /** Most UTF-8 bytes of each audit annotation value; default DEFAULT_MAX_AUDIT_ANNOTATION_BYTES (10 KiB), at least 1 KiB. */
  maxAuditAnnotationBytes?: number;
  /**
   * Run every policy as at most `audit` or `warn` (enforcement-override.ts): nothing a policy
   * finds denies. Default: each policy's own enforcement.
   */
  enforcementOverride?: EnforcementOverride | undefined;
  /**
   * Told every finished evaluation, after any enforcement override (the metrics layer counts
   * violations per policy and enforcement, and exceptions applied). Not called for requests
   * allowed without evaluation, nor for a review that ran out of time.
   */
  observe?: (evaluation: Evaluation) => void;
}

/** The smallest message bound accepted: room for a violation line and the count of the rest. */
const MIN_BYTES = 1024;

function wholeAtLeast(name: string, value: number | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min)
    throw new ShroudError('CONFIG_INVALID', `${name} must be a whole number of at least ${min} (got ${value})`);
  return value;
}

/** A Reviewer whose reviews honour `options.deadline`. */
export interface PolicyReviewer extends Reviewer {
  review(request: AdmissionRequest, options?: ReviewOptions): ReviewVerdict;
}

/**
 * Subresources whose object is the whole pod spec a policy should judge. Other subresources
 * (`pods/status`, `deployments/scale`, ...) change no field the policies look at; denying
 * them would, for example, stop the kubelet from reporting the status of an existing pod.
 */
const EVALUATED_SUBRESOURCES = new Set(['', 'ephemeralcontainers']);

/**
 * The webhook never blocks deletion (a stuck finalizer or namespace would follow) and has
 * nothing to say about CONNECT (exec, port-forward): whatever a policy's `match` lists, these
 * are allowed without evaluation.
 */
const ALWAYS_ALLOWED_OPERATIONS = new Set(['DELETE', 'CONNECT']);

/**
 * Creates a Reviewer that evaluates each request against `current()`, read once per request,
 * so a set swapped during a review never mixes with the old one. DELETE and CONNECT, and
 * requests for subresources other than `pods/ephemeralcontainers`, are allowed without evaluation.
 * UPDATE is judged on what it changes (see judgeUpdate in update.ts): a deny violation the old
 * object already had becomes a warning.
 *
 * With `review(request, { deadline })`, evaluation stops once `clock()` passes the deadline and
 * the verdict is `{ allowed: false, timedOut: true }` with a message and the engine's notices
 * (`review deadline passed`): a review that did not finish never allows.
 * @throws CONFIG_INVALID when a bound in `options` is not a whole number or is below its minimum.
 */
export function createPolicyReviewer(current: () => PolicySet, options: PolicyReviewerOptions = {}): PolicyReviewer {
  const now = options.now ?? (() => new Date());
  const clock = options.clock ?? (() => performance.now());
  const maxViolations = wholeAtLeast('maxViolations', options.maxViolations, DEFAULT_MAX_VIOLATIONS, 1);
  const limits = {
    maxMessageBytes: wholeAtLeast('maxMessageBytes', options.maxMessageBytes, DEFAULT_MAX_MESSAGE_BYTES, MIN_BYTES),
    maxAuditAnnotationBytes: wholeAtLeast(
      'maxAuditAnnotationBytes',
      options.maxAuditAnnotationBytes,
      DEFAULT_MAX_AUDIT_ANNOTATION_BYTES,
      MIN_BYTES,
    ),
  };
  return {
    review(request: AdmissionRequest, reviewOptions: ReviewOptions = {}): ReviewVerdict {
      if (ALWAYS_ALLOWED_OPERATIONS.has(request.operation)) return { allowed: true };
      if (!EVALUATED_SUBRESOURCES.has(request.subResource ?? '')) return { allowed: true };
      const set = current();
      const { deadline } = reviewOptions;
      const at = now();
      const evaluation = evaluateRequest(set, request, {
        now: at,
        maxViolations,
        budget: deadline === undefined ? undefined : { deadline, clock },
      });
      if (evaluation === undefined) return { allowed: true };
      if (evaluation.timedOut === true) {
        return {
          allowed: false,
          timedOut: true,
          message:
            'Shroud could not finish reviewing this request before its deadline; nothing was changed. Retry; if it persists, an operator can find "review deadline passed" in the webhook log.',
          notices: evaluation.notices,
        };
      }
      const { enforcementOverride } = options;
      const final =
        enforcementOverride === undefined ? evaluation : applyEnforcementOverride(evaluation, enforcementOverride);
      options.observe?.(final);
      return toVerdict(final, limits);
    },
  };
}
