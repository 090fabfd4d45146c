/**
 * The AdmissionReview shapes Shroud reads and writes (admission.k8s.io/v1, also v1beta1),
 * and the two interfaces the webhook calls: Reviewer (validate) and Mutator (mutate).
 */

/** API versions of AdmissionReview the webhook understands; the answer uses the one asked. */
export type AdmissionApiVersion = 'admission.k8s.io/v1' | 'admission.k8s.io/v1beta1';

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

export interface GroupVersionResource {
  group: string;
  version: string;
  resource: string;
}

export interface UserInfo {
  username?: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

/** A Kubernetes object as JSON: plain data, never a class instance. */
export type KubeObject = Record<string, unknown>;

/** `request` of an AdmissionReview after decoding; fields keep the API's spelling. */
export interface AdmissionRequest {
  uid: string;
  kind: GroupVersionKind;
  resource: GroupVersionResource;
  subResource?: string;
  requestKind?: GroupVersionKind;
  requestResource?: GroupVersionResource;
  requestSubResource?: string;
  name?: string;
  namespace?: string;
  operation: Operation;
  userInfo: UserInfo;
  object?: KubeObject | null;
  oldObject?: KubeObject | null;
  dryRun?: boolean;
  options?: KubeObject | null;
}

/** The decoded review plus the version it came in, so the answer can use the same. */
export interface DecodedReview {
  apiVersion: AdmissionApiVersion;
  request: AdmissionRequest;
}

/** One RFC 6902 JSON Patch operation. */
export type JsonPatchOp =
  | { op: 'add' | 'replace' | 'test'; path: string; value: unknown }
  | { op: 'remove'; path: string }
  | { op: 'move' | 'copy'; from: string; path: string };

/** What a Reviewer decides about one request. */
export interface ReviewVerdict {
  allowed: boolean;
  /** Shown to the user when denied (kubectl prints it). Never a secret value. */
  message?: string;
  /** kubectl prints each; kube-apiserver truncates each past 256 characters and all past 4 KiB. */
  warnings?: string[];
  /** Written to the audit log by kube-apiserver; keys are prefixed with the webhook name there. */
  auditAnnotations?: Record<string, string>;
  /** Names of the policies that had something to say (for the decision log line only). */
  policiesHit?: string[];
  /**
   * The policy exceptions that exempted rules on this object, per policy, with the rules they
   * exempted (the decision log line names them). Absent when none applied.
   */
  exceptions?: { name: string; policy: string; rules: string[] }[];
  /**
   * Things the operator should hear about that are not the verdict (an exception that has
   * expired, a rule that could not be evaluated). The server logs each at its `level` (default
   * info) with `fields` merged into the line. Never secret values.
   */
  notices?: ReviewNotice[];
  /**
   * True when the review's deadline passed before it finished: the verdict is then a denial
   * that decided nothing, and the webhook answers with its documented timeout denial instead.
   */
  timedOut?: boolean;
}

/** Per-request limits the webhook passes to a Reviewer. */
export interface ReviewOptions {
  /**
   * The instant after which the review stops and answers `timedOut`, in milliseconds on the
   * reviewer's monotonic clock (`performance.now()` unless the reviewer was built with another).
   * Default: no deadline.
   */
  deadline?: number;
}

/** A log-worthy fact produced by domain code, which itself never logs. */
export interface ReviewNotice {
  /** A fixed message string, e.g. 'exception expired'. */
  message: string;
  /** Names, paths, dates: never values taken from the object. */
  fields?: Record<string, string | number | boolean>;
  /** Log level of the notice; default info. Routine facts (an excluded request) are debug. */
  level?: 'debug' | 'info';
}

/** What a Mutator decides about one request: a verdict plus an optional patch. */
export interface MutationResult extends ReviewVerdict {
  /** Applied to the object when allowed; empty or absent means "no change". */
  patch?: JsonPatchOp[];
}

/** Decides /validate requests. The policy engine implements it. */
export interface Reviewer {
  review(request: AdmissionRequest, options?: ReviewOptions): ReviewVerdict | Promise<ReviewVerdict>;
}

/** Decides /mutate requests. The injection planner implements it. */
export interface Mutator {
  mutate(request: AdmissionRequest, options?: ReviewOptions): MutationResult | Promise<MutationResult>;
}
