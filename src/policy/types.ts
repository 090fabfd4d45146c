/**
 * The compiled, immutable shapes of policies and exceptions, and what evaluation returns.
 * A PolicySet is a frozen value: the server can swap one for another atomically.
 */
import type { ReviewNotice, UserInfo } from '../admission/types.js';
import type { DetectionMemo, Finding, FormatIndex } from '../detect/index.js';
import type { PathSegment, Selector } from './selector.js';

/** What a violated rule does: deny the request, warn (kubectl prints it), or audit (log only). */
export type Enforcement = 'deny' | 'warn' | 'audit';

/**
 * Outcome of one rule on one object: `fail` = broken with deny or audit enforcement, `warn` =
 * broken with warn enforcement, `error` = could not be evaluated, `skip` = did not apply.
 */
export type RuleStatus = 'pass' | 'fail' | 'warn' | 'error' | 'skip';

/** Per-item state the conditions of one rule share while it is checked. */
export interface ItemScope {
  /** The object (or pod template) the rule runs on. */
  readonly root: unknown;
  /** Detector findings of the item, collected by `detector` conditions for the message. */
  findings: Finding[];
  /** The provider format table detectors use (built-in plus the team's `SecretFormats`). */
  readonly formats?: FormatIndex;
  /** Detector findings per entry for the whole review, shared by its rules (see DetectionMemo). */
  readonly memo?: DetectionMemo;
}

/** A compiled `when` condition. */
export interface Condition {
  readonly operator: string;
  /** Relative to the selected item (`$` is the item). */
  readonly path: Selector;
  /** The operator's argument as written (a list, a string, `true`), for compilers such as `shroud export`. */
  readonly arg: unknown;
  test(item: unknown, itemPath: PathSegment[], scope: ItemScope): boolean;
}

/** Everything a message template can show about one violation. */
export interface MessageContext {
  policy: string;
  rule: string;
  kind: string;
  name: string;
  namespace: string;
  operation: string;
  /** The full object (to find the container name); never printed as a whole. */
  object: unknown;
  item: unknown;
  itemPath: readonly PathSegment[];
  findings: readonly Finding[];
}

/** A compiled `message`. */
export interface MessageTemplate {
  readonly source: string;
  render(context: MessageContext): string;
}

export interface CompiledRule {
  readonly name: string;
  /** The rule's own enforcement, or the policy's. */
  readonly enforcement: Enforcement;
  /** When set, the rule runs only on these kinds (`Pod` also covers pod templates). */
  readonly kinds: ReadonlySet<string> | undefined;
  readonly select: readonly Selector[];
  readonly when: readonly Condition[];
  readonly message: MessageTemplate;
}

/** A compiled glob (`*`, `?`), matched in time linear in the value for a given glob. */
export interface Glob {
  /** The glob as written. */
  readonly source: string;
  /** True when the whole value matches. */
  test(value: string): boolean;
}

/** Compiled globs; a value matches the list when it matches any of them. */
export type GlobList = readonly Glob[];

/** A label selector as a policy writes it (`match.objectSelector`). */
export interface LabelSelectorSource {
  readonly matchLabels?: Readonly<Record<string, string>>;
  readonly matchExpressions?: ReadonlyArray<{ key: string; operator: string; values?: readonly string[] }>;
}

export interface PolicyMatch {
  readonly kinds: ReadonlySet<string>;
  readonly operations: ReadonlySet<string>;
  readonly namespacesInclude: GlobList | undefined;
  readonly namespacesExclude: GlobList;
  readonly objectSelector: ((labels: Record<string, string>) => boolean) | undefined;
  /** The objectSelector as written, for compilers such as `shroud export`. */
  readonly objectSelectorSource: LabelSelectorSource | undefined;
  readonly excludeUsers: GlobList;
  readonly excludeGroups: GlobList;
}

export interface CompiledPolicy {
  readonly name: string;
  readonly file: string;
  readonly description: string | undefined;
  readonly enforcement: Enforcement;
  readonly match: PolicyMatch;
  readonly rules: readonly CompiledRule[];
}

export interface CompiledException {
  readonly name: string;
  readonly file: string;
  readonly reason: string;
  /** Policy name -> rule names (undefined = every rule of the policy). */
  readonly policies: ReadonlyMap<string, ReadonlySet<string> | undefined>;
  readonly namespaces: GlobList | undefined;
  readonly kinds: GlobList | undefined;
  readonly names: GlobList | undefined;
  /** The source text of `expires`, for messages. */
  readonly expires: string | undefined;
  /** The first instant at which the exception no longer applies. */
  readonly expiresAt: Date | undefined;
}

/**
 * One entry of a `kind: PolicyExclusions` document: a request that matches every field given
 * is allowed without evaluation (at least one field is given).
 */
export interface CompiledExclusion {
  /** `<document name>/<entry name>`, as notices and rule results show it. */
  readonly name: string;
  readonly file: string;
  readonly reason: string;
  /** Namespaced objects only: a cluster-scoped object never matches a namespaces entry. */
  readonly namespaces: GlobList | undefined;
  readonly kinds: GlobList | undefined;
  readonly names: GlobList | undefined;
  /** Every label given must be on the object with that value. */
  readonly labels: ReadonlyMap<string, string> | undefined;
}

/** A custom workload kind from a `kind: WorkloadKinds` document: where its pod template is. */
export interface WorkloadKind {
  /** API group, e.g. `argoproj.io`. */
  readonly group: string;
  readonly kind: string;
  /** Path of the pod template inside the object, e.g. ['spec', 'template']. */
  readonly templatePath: readonly string[];
  readonly file: string;
}

/** Where a policy applies on an object of some kind: the object itself, or its pod template. */
export interface PolicyTarget {
  readonly policy: CompiledPolicy;
  /** Path of the pod template inside the object, or undefined for the object itself. */
  readonly templatePath: readonly string[] | undefined;
}

/** An immutable set of compiled policies and exceptions, indexed by kind. */
export interface PolicySet {
  readonly policies: readonly CompiledPolicy[];
  readonly exceptions: readonly CompiledException[];
  /** Request exclusions, in load order; the first that matches is named. */
  readonly exclusions: readonly CompiledExclusion[];
  /** Custom workload kinds, in load order. */
  readonly workloadKinds: readonly WorkloadKind[];
  /**
   * Kind -> where each policy applies on that kind, in policy order. Built-in kinds are keyed
   * by kind name; custom workload kinds by `group/Kind` (e.g. `argoproj.io/Rollout`).
   */
  readonly byKind: ReadonlyMap<string, readonly PolicyTarget[]>;
  /** Policies matching every kind (`kinds: ["*"]`), for kinds not in byKind. */
  readonly anyKind: readonly PolicyTarget[];
  /** Policy name -> exceptions naming it. */
  readonly exceptionsByPolicy: ReadonlyMap<string, readonly CompiledException[]>;
  /** Provider token formats: the built-in table plus the team's `kind: SecretFormats` documents. */
  readonly formats: FormatIndex;
}

/** The request facts evaluation needs. */
export interface EvaluationInput {
  object: unknown;
  /** Accepted for symmetry with AdmissionRequest; rules judge `object` as it will be stored. */
  oldObject?: unknown;
  operation: string;
  kind: string;
  /**
   * API group of the kind ('' for the core group). When absent it is read from the object's
   * apiVersion; it selects custom workload kinds, which are keyed by group and kind.
   */
  group?: string;
  namespace?: string;
  name?: string;
  userInfo?: UserInfo;
}

export interface RuleResult {
  policy: string;
  rule: string;
  enforcement: Enforcement;
  status: RuleStatus;
  /** Why a rule was skipped or errored, in words (never a value from the object). */
  reason?: string;
}

export interface Violation {
  policy: string;
  rule: string;
  enforcement: Enforcement;
  /** Where on the real object, e.g. `spec.template.spec.containers[0].env[2]`. */
  path: string;
  /** The rendered message: what is wrong and how to fix it. Never a secret value. */
  message: string;
  /** `path` as segments (keys and indexes), to find the line in a manifest. */
  location: readonly PathSegment[];
  /**
   * The detector findings behind the violation (rules with a `detector` condition only): which
   * detector, its confidence and, for multi-line values, the 1-based line inside the value.
   * Findings never carry the value. Absent when there are none.
   */
  findings?: readonly Finding[];
}

/** How many violations of one rule were found past the engine's cap and not listed. */
export interface OmittedViolations {
  policy: string;
  rule: string;
  enforcement: Enforcement;
  count: number;
}

/** An exception that exempted rules on one object: `shroud check`, the log and the audit log name it. */
export interface AppliedException {
  /** The exception's name. */
  name: string;
  /** The file it was loaded from. */
  file: string;
  policy: string;
  /** The rules of `policy` it exempted here, in rule order. */
  rules: string[];
  /** What it matched: the object itself (`Pod web-1`) or a derived owner (`Deployment web`). */
  matched: string;
  /** The source text of `expires`, when set. */
  expires?: string;
  /** Set when the exception expires within EXPIRY_WARNING_DAYS of the evaluation's clock. */
  expiresSoon?: true;
}

export interface Evaluation {
  /** One result per rule of every policy that matched the kind, in policy and rule order. */
  results: RuleResult[];
  /** At most `maxViolations` of each enforcement, in policy, rule and document order. */
  violations: Violation[];
  /** Violations found past the cap, counted per rule (empty when none were left out). */
  omitted: OmittedViolations[];
  /** Log-worthy facts: expired exceptions, rule errors, a passed deadline. */
  notices: ReviewNotice[];
  /** The exceptions that exempted rules, one per exception and policy; absent when none did. */
  exceptions?: AppliedException[];
  /**
   * True when the evaluation's deadline passed before every rule was evaluated: the rules not
   * evaluated have status `error`, and the result is no verdict (the webhook answers with its
   * timeout denial). Absent otherwise.
   */
  timedOut?: true;
}
