/**
 * The policy engine: a pure function from (policy set, object, clock) to per-rule results,
 * violations and notices. The webhook and `shroud check` both call it.
 */
import type { ReviewNotice } from '../admission/types.js';
import { DetectionMemo } from '../detect/index.js';
import { isRecord } from '../util/is-record.js';
import { matchesAny } from './glob.js';
import { groupOfApiVersion, qualifiedKind, readAt } from './pod-templates.js';
import { formatPath, type PathSegment } from './selector.js';
import { type Owner, ownersOf } from './ownership.js';
import type {
  AppliedException,
  CompiledException,
  CompiledExclusion,
  CompiledPolicy,
  CompiledRule,
  Enforcement,
  Evaluation,
  EvaluationInput,
  ItemScope,
  OmittedViolations,
  PolicySet,
  RuleResult,
  RuleStatus,
  Violation,
} from './types.js';

/**
 * Violations of each enforcement (deny, warn, audit) the engine lists per object by default. A
 * 1 MiB ConfigMap can break a rule 40,000 times; past the cap violations are only counted: no
 * message is rendered and no Violation kept for them (a rule with several selectors still keys
 * each match by its path, to count an item two selectors match once).
 */
export const DEFAULT_MAX_VIOLATIONS = 100;

/** Options for evaluateObject. */
export interface EvaluateOptions {
  /** The instant exceptions are compared with (expiry). */
  now: Date;
  /** When set, evaluation stops once the budget's deadline has passed (default: no deadline). */
  budget?: EvaluationBudget;
  /**
   * Most violations of each enforcement listed in `violations`; the rest are counted, per rule,
   * in `omitted`, and still decide rule statuses. Default DEFAULT_MAX_VIOLATIONS (100);
   * `Infinity` lists all.
   */
  maxViolations?: number;
}

/**
 * A deadline for one evaluation. It is checked before each rule and before every
 * {@link ITEMS_PER_CLOCK_READ}th item a rule selects, so evaluation overruns it by at most that
 * many items' conditions, each linear in the item's size (regular expressions are RE2,
 * detectors are linear scans).
 */
export interface EvaluationBudget {
  /** The instant, on `clock`, after which no more work starts. */
  deadline: number;
  /** A monotonic clock in milliseconds, e.g. `performance.now`. */
  clock: () => number;
}

/**
 * Selected items evaluated between two readings of the clock. A reading costs ~50 ns on this
 * machine class and an item of the 200-key ConfigMap ~1 µs, so reading at every item added
 * ~10% there; every 16th adds under 1%, and 16 items' work is still bounded by their size.
 */
export const ITEMS_PER_CLOCK_READ = 16;

/** Thrown from inside a rule's selector walk when the deadline has passed; never escapes. */
const DEADLINE_PASSED = Symbol('deadline passed');

const NOT_EVALUATED = 'not evaluated: the review deadline passed';

function notEvaluatedResult(policy: CompiledPolicy, rule: CompiledRule): RuleResult {
  return {
    policy: policy.name,
    rule: rule.name,
    enforcement: rule.enforcement,
    status: 'error',
    reason: NOT_EVALUATED,
  };
}

function isPast(budget: EvaluationBudget | undefined): boolean {
  return budget !== undefined && budget.clock() > budget.deadline;
}

/** Room left in `violations` per enforcement for one object. */
type Room = Record<Enforcement, number>;

const RANK: Record<RuleStatus, number> = { skip: 0, pass: 1, error: 2, warn: 3, fail: 4 };

function stringMap(v: unknown): Record<string, string> {
  if (!isRecord(v)) return {};
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) if (typeof val === 'string') out[k] = val;
  return out;
}

interface Subject {
  kind: string;
  name: string;
  namespace: string;
  labels: Record<string, string>;
}

/** Why a policy does not apply to this request, or undefined when it does. */
function matchSkipReason(policy: CompiledPolicy, input: EvaluationInput, subject: Subject): string | undefined {
  const m = policy.match;
  if (!m.operations.has(input.operation)) return `operation ${input.operation} is not matched`;
  // Namespace filters apply to namespaced objects; cluster-scoped ones have no namespace.
  if (subject.namespace !== '') {
    if (m.namespacesInclude !== undefined && !matchesAny(m.namespacesInclude, subject.namespace))
      return 'namespace is not included';
    if (matchesAny(m.namespacesExclude, subject.namespace)) return 'namespace is excluded';
  }
  if (m.objectSelector !== undefined && !m.objectSelector(subject.labels)) return 'labels do not match objectSelector';
  const user = input.userInfo;
  if (user?.username !== undefined && matchesAny(m.excludeUsers, user.username)) return 'user is excluded';
  if (user?.groups?.some((g) => matchesAny(m.excludeGroups, g))) return 'group is excluded';
  return undefined;
}

/** The first exclusion the request matches, or undefined. */
function matchingExclusion(set: PolicySet, subject: Subject): CompiledExclusion | undefined {
  for (const x of set.exclusions) {
    if (x.namespaces !== undefined && (subject.namespace === '' || !matchesAny(x.namespaces, subject.namespace)))
      continue;
    if (x.kinds !== undefined && !matchesAny(x.kinds, subject.kind)) continue;
    if (x.names !== undefined && !matchesAny(x.names, subject.name)) continue;
    if (x.labels !== undefined && [...x.labels].some(([k, v]) => subject.labels[k] !== v)) continue;
    return x;
  }
  return undefined;
}

/** The policies for this request's kind: a custom workload kind by `group/Kind`, others by kind name. */
function targetsFor(set: PolicySet, input: EvaluationInput) {
  if (set.workloadKinds.length > 0) {
    const group = input.group ?? groupOfApiVersion(isRecord(input.object) ? input.object.apiVersion : undefined);
    const custom = group === undefined ? undefined : set.byKind.get(qualifiedKind(group, input.kind));
    if (custom !== undefined) return custom;
  }
  return set.byKind.get(input.kind) ?? set.anyKind;
}

/** An exception warns (a response Warning) from this many days before it expires. */
export const EXPIRY_WARNING_DAYS = 7;

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * What the exception matches on this object: the object itself or one of its derived owners
 * (see ownership.ts), as `Kind name`; undefined when neither. `kinds` and `names` must match
 * the same one: a Pod named `web` of another Deployment does not match `kinds: [Deployment],
 * names: [web]`. Namespaces are the object's own (owners live in their objects' namespace).
 */
function exceptionMatches(e: CompiledException, subject: Subject, owners: () => readonly Owner[]): string | undefined {
  if (e.namespaces !== undefined && !matchesAny(e.namespaces, subject.namespace)) return undefined;
  const fits = (kind: string, name: string): boolean =>
    (e.kinds === undefined || matchesAny(e.kinds, kind)) && (e.names === undefined || matchesAny(e.names, name));
  if (fits(subject.kind, subject.name)) return `${subject.kind} ${subject.name}`;
  for (const o of owners()) if (fits(o.kind, o.name)) return `${o.kind} ${o.name}`;
  return undefined;
}

/**
 * Rule name -> exception name for rules exempted on this object ('*' = every rule). Each
 * exception that exempts at least one rule of the policy is recorded in `applied`.
 */
function exemptions(
  set: PolicySet,
  policy: CompiledPolicy,
  subject: Subject,
  owners: () => readonly Owner[],
  now: Date,
  notices: ReviewNotice[],
  noticed: Set<string>,
  applied: Map<string, AppliedException>,
): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of set.exceptionsByPolicy.get(policy.name) ?? []) {
    const matched = exceptionMatches(e, subject, owners);
    if (matched === undefined) continue;
    if (e.expiresAt !== undefined && now.getTime() >= e.expiresAt.getTime()) {
      if (!noticed.has(e.name)) {
        noticed.add(e.name);
        notices.push({
          message: 'exception expired',
          fields: { exception: e.name, file: e.file, expires: e.expires ?? '', policy: policy.name },
        });
      }
      continue;
    }
    const rules = e.policies.get(policy.name);
    const taken: string[] = [];
    for (const rule of policy.rules) {
      if (out.has('*') || out.has(rule.name) || (rules !== undefined && !rules.has(rule.name))) continue;
      taken.push(rule.name);
    }
    if (rules === undefined) {
      if (!out.has('*')) out.set('*', e.name);
    } else for (const r of rules) if (!out.has(r)) out.set(r, e.name);
    const key = `${e.name}\u0000${policy.name}`;
    if (taken.length === 0 || applied.has(key)) continue;
    const record: AppliedException = { name: e.name, file: e.file, policy: policy.name, rules: taken, matched };
    if (e.expires !== undefined) record.expires = e.expires;
    if (e.expiresAt !== undefined && e.expiresAt.getTime() - now.getTime() <= EXPIRY_WARNING_DAYS * DAY_MS)
      record.expiresSoon = true;
    applied.set(key, record);
  }
  return out;
}

function runRule(
  rule: CompiledRule,
  policy: CompiledPolicy,
  root: unknown,
  base: PathSegment[],
  input: EvaluationInput,
  subject: Subject,
  violations: Violation[],
  budget: EvaluationBudget | undefined,
  room: Room,
  omitted: OmittedViolations[],
  formats: PolicySet['formats'],
  memo: DetectionMemo,
): number {
  const scope: ItemScope = { root, findings: [], formats, memo };
  const seen = rule.select.length > 1 ? new Set<string>() : undefined;
  let count = 0;
  let sinceClockRead = 0;
  let unlisted = 0;
  for (const selector of rule.select) {
    selector.visit(root, base, (item, path) => {
      if (budget !== undefined && ++sinceClockRead === ITEMS_PER_CLOCK_READ) {
        sinceClockRead = 0;
        if (isPast(budget)) throw DEADLINE_PASSED;
      }
      scope.findings = [];
      for (const c of rule.when) if (!c.test(item, path, scope)) return;
      let where: string | undefined;
      if (seen !== undefined) {
        where = formatPath(path);
        if (seen.has(where)) return;
        seen.add(where);
      }
      count++;
      if (room[rule.enforcement] <= 0) {
        unlisted++;
        return;
      }
      room[rule.enforcement]--;
      where ??= formatPath(path);
      violations.push({
        policy: policy.name,
        rule: rule.name,
        enforcement: rule.enforcement,
        path: where === '' ? '(object)' : where,
        location: path.slice(),
        ...(scope.findings.length > 0 ? { findings: Object.freeze(scope.findings.slice()) } : {}),
        message: rule.message.render({
          policy: policy.name,
          rule: rule.name,
          kind: subject.kind,
          name: subject.name,
          namespace: subject.namespace,
          operation: input.operation,
          object: input.object,
          item,
          itemPath: path,
          findings: scope.findings,
        }),
      });
    });
  }
  if (unlisted > 0)
    omitted.push({ policy: policy.name, rule: rule.name, enforcement: rule.enforcement, count: unlisted });
  return count;
}

/**
 * Evaluates every policy that matches the object's kind (directly, or through its pod
 * template). Returns a result for each rule of those policies, the violations (every one up to
 * `options.maxViolations` per enforcement, the count of the rest in `omitted`) and notices for
 * the log. Pure: no I/O, and the clocks come from `options`.
 *
 * With `options.budget`, evaluation stops once the deadline has passed: the result has
 * `timedOut: true`, every rule not evaluated (including the one running then, whose violations
 * are dropped) has status `error`, and a `review deadline passed` notice says how many.
 */
export function evaluateObject(set: PolicySet, input: EvaluationInput, options: EvaluateOptions): Evaluation {
  const results: RuleResult[] = [];
  const violations: Violation[] = [];
  const notices: ReviewNotice[] = [];
  const { budget } = options;
  let timedOut = false;
  const omitted: OmittedViolations[] = [];
  const targets = targetsFor(set, input);
  if (targets.length === 0) return { results, violations, omitted, notices };
  const max = options.maxViolations ?? DEFAULT_MAX_VIOLATIONS;
  const room: Room = { deny: max, warn: max, audit: max };
  const meta = isRecord(input.object) ? input.object.metadata : undefined;
  const subject: Subject = {
    kind: input.kind,
    name: input.name ?? (isRecord(meta) && typeof meta.name === 'string' ? meta.name : ''),
    namespace: input.namespace ?? (isRecord(meta) && typeof meta.namespace === 'string' ? meta.namespace : ''),
    labels: stringMap(isRecord(meta) ? meta.labels : undefined),
  };
  const index = new Map<string, number>();
  // Each detector runs once per entry of this object, however many rules ask (dropped with the evaluation).
  const detections = new DetectionMemo();
  const noticed = new Set<string>();
  const applied = new Map<string, AppliedException>();
  let owners: Owner[] | undefined;
  const ownersOnce = (): Owner[] => {
    owners ??= ownersOf(input.object);
    return owners;
  };
  // An excluded request is allowed without evaluation: every rule is skipped, naming the exclusion.
  const exclusion = matchingExclusion(set, subject);
  if (exclusion !== undefined)
    notices.push({
      message: 'request excluded',
      level: 'debug',
      fields: { exclusion: exclusion.name, file: exclusion.file, reason: exclusion.reason },
    });
  for (const target of targets) {
    const { policy } = target;
    let skip = exclusion === undefined ? matchSkipReason(policy, input, subject) : `excluded by ${exclusion.name}`;
    const root = target.templatePath === undefined ? input.object : readAt(input.object, target.templatePath);
    if (skip === undefined && !isRecord(root))
      skip = target.templatePath === undefined ? 'no object' : 'no pod template';
    const exempt =
      skip === undefined
        ? exemptions(set, policy, subject, ownersOnce, options.now, notices, noticed, applied)
        : new Map<string, string>();
    const base: PathSegment[] = target.templatePath === undefined ? [] : [...target.templatePath];
    const targetKind = target.templatePath === undefined ? input.kind : 'Pod';
    for (const rule of policy.rules) {
      let result: RuleResult;
      const exception = exempt.get('*') ?? exempt.get(rule.name);
      timedOut ||= isPast(budget);
      if (timedOut) {
        result = notEvaluatedResult(policy, rule);
      } else if (skip !== undefined)
        result = { policy: policy.name, rule: rule.name, enforcement: rule.enforcement, status: 'skip', reason: skip };
      else if (exception !== undefined)
        result = {
          policy: policy.name,
          rule: rule.name,
          enforcement: rule.enforcement,
          status: 'skip',
          reason: `exception ${exception}`,
        };
      else if (rule.kinds !== undefined && !rule.kinds.has(targetKind))
        result = {
          policy: policy.name,
          rule: rule.name,
          enforcement: rule.enforcement,
          status: 'skip',
          reason: `rule does not apply to ${targetKind}`,
        };
      else {
        const before = violations.length;
        try {
          const n = runRule(
            rule,
            policy,
            root,
            base,
            input,
            subject,
            violations,
            budget,
            room,
            omitted,
            set.formats,
            detections,
          );
          const status: RuleStatus = n === 0 ? 'pass' : rule.enforcement === 'warn' ? 'warn' : 'fail';
          result = { policy: policy.name, rule: rule.name, enforcement: rule.enforcement, status };
        } catch (err) {
          if (err === DEADLINE_PASSED) {
            // Half a rule is no verdict: its violations so far go, and it counts as not evaluated.
            violations.length = before;
            timedOut = true;
            result = notEvaluatedResult(policy, rule);
          } else {
            const reason = err instanceof Error ? err.message : String(err);
            result = { policy: policy.name, rule: rule.name, enforcement: rule.enforcement, status: 'error', reason };
            notices.push({
              message: 'rule error',
              fields: { code: 'POLICY_RULE_ERROR', policy: policy.name, rule: rule.name, reason },
            });
          }
        }
      }
      const key = `${policy.name}\u0000${rule.name}`;
      const at = index.get(key);
      if (at === undefined) {
        index.set(key, results.length);
        results.push(result);
      } else if (RANK[result.status] > RANK[results[at]!.status]) {
        results[at] = result;
      }
    }
  }
  const exceptions = applied.size > 0 ? { exceptions: [...applied.values()] } : {};
  if (!timedOut) return { results, violations, omitted, notices, ...exceptions };
  // Counted on the merged results: a rule evaluated for one target and not for another counts
  // by its merged status, as the verdict will.
  const notEvaluated = results.filter((r) => r.reason === NOT_EVALUATED).length;
  notices.push({
    message: 'review deadline passed',
    fields: {
      code: 'POLICY_DEADLINE_PASSED',
      rulesNotEvaluated: notEvaluated,
      rulesEvaluated: results.length - notEvaluated,
    },
  });
  return { results, violations, omitted, notices, ...exceptions, timedOut: true };
}
