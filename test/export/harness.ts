/**
 * Runs exported ValidatingAdmissionPolicies the way the apiserver does, with an independent CEL
 * implementation (@marcbachmann/cel-js), and the engine the way the webhook does (evaluateRequest:
 * the webhook reviewer's own path, judgeUpdate for UPDATE), so tests can compare the two per rule.
 *
 * The apiserver's order, emulated: matchConstraints (resource, operation), then every
 * matchCondition (a false one skips the policy), then the validation; variables are evaluated
 * lazily, once, when an expression reads them. An expression that errors is a test failure (the
 * exported objects set failurePolicy: Fail, which would deny).
 */
import { parse as parseCel } from '@marcbachmann/cel-js';
import type { AdmissionRequest } from '../../src/admission/types.js';
import { BUILTIN_RESOURCES, type ExportedRule } from '../../src/export/index.js';
import { BUILTIN_POLICY_DIR, evaluateRequest, parsePolicyFiles, type PolicySet } from '../../src/policy/index.js';
import { readPolicyFiles } from '../../src/policy/load-dir.js';
import type { PolicyFile } from '../../src/policy/parse-files.js';

type Json = Record<string, unknown>;

const programs = new Map<string, ReturnType<typeof parseCel>>();

/** Evaluates one CEL expression with cel-js (parsed once per text). */
export function celEval(expression: string, context: Json): unknown {
  let program = programs.get(expression);
  if (program === undefined) {
    program = parseCel(expression);
    programs.set(expression, program);
  }
  return program(context);
}

/** The built-in policy files (edited by `edit` when given), plus `extra` (a case's own policy documents). */
export async function loadSet(extra: PolicyFile[] = [], edit?: (text: string) => string): Promise<PolicySet> {
  const base = await readPolicyFiles(BUILTIN_POLICY_DIR);
  const files = edit === undefined ? base.value : base.value.map((f) => ({ ...f, text: edit(f.text) }));
  const loaded = parsePolicyFiles([...files, ...extra]);
  if (loaded.issues.length > 0) throw new Error(`policies do not load: ${JSON.stringify(loaded.issues)}`);
  return loaded.value;
}

function groupVersion(apiVersion: unknown): { group: string; version: string } {
  const text = typeof apiVersion === 'string' ? apiVersion : 'v1';
  const slash = text.lastIndexOf('/');
  return slash < 0 ? { group: '', version: text } : { group: text.slice(0, slash), version: text.slice(slash + 1) };
}

/** An admission request for `object` (and `oldObject` for UPDATE), as the apiserver would send it. */
export function requestFor(
  object: Json,
  options: {
    operation?: 'CREATE' | 'UPDATE';
    oldObject?: Json;
    username?: string;
    groups?: string[];
    subResource?: string;
  } = {},
): AdmissionRequest {
  const { group, version } = groupVersion(object.apiVersion);
  const kind = String(object.kind);
  const meta = (object.metadata ?? {}) as Json;
  const builtin = BUILTIN_RESOURCES[kind];
  const resource = builtin !== undefined && builtin.group === group ? builtin.resource : `${kind.toLowerCase()}s`;
  return {
    uid: 'test',
    kind: { group, version, kind },
    resource: { group, version, resource },
    ...(options.subResource === undefined ? {} : { subResource: options.subResource }),
    name: typeof meta.name === 'string' ? meta.name : '',
    namespace: typeof meta.namespace === 'string' ? meta.namespace : '',
    operation: options.operation ?? 'CREATE',
    userInfo: { username: options.username ?? 'alice', groups: options.groups ?? ['system:authenticated'] },
    object,
    oldObject: options.operation === 'UPDATE' ? (options.oldObject ?? null) : null,
  } as AdmissionRequest;
}

/** What one exported policy decides: skipped (not matched), passed, or failed with a message. */
export type VapOutcome = { status: 'skip' } | { status: 'pass' } | { status: 'fail'; message: string; audit: unknown };

type PolicyObject = {
  spec: {
    matchConstraints: { resourceRules: Array<{ apiGroups: string[]; resources: string[]; operations: string[] }> };
    matchConditions?: Array<{ name: string; expression: string }>;
    variables: Array<{ name: string; expression: string }>;
    validations: Array<{ expression: string; messageExpression: string }>;
    auditAnnotations: Array<{ key: string; valueExpression: string }>;
  };
};

/**
 * How an evaluator runs a policy: `apiserver` as the apiserver (matchConstraints, matchConditions,
 * lazy variables, the validation); `eager` evaluates every variable first, in order; `validation`
 * skips matchConstraints and matchConditions and reads only the variables and the validation.
 * The exported objects give the same verdict under all three.
 */
export type Mode = 'apiserver' | 'eager' | 'validation';

export const MODES: readonly Mode[] = ['apiserver', 'eager', 'validation'];

/** Runs one exported policy on one request (in the apiserver's order unless `mode` says otherwise). */
export function runVap(exported: ExportedRule, request: AdmissionRequest, mode: Mode = 'apiserver'): VapOutcome {
  const spec = (exported.objects[0] as unknown as PolicyObject).spec;
  const eager = mode === 'eager';
  const checkMatch = mode !== 'validation';
  const resource = request.subResource
    ? `${request.resource.resource}/${request.subResource}`
    : request.resource.resource;
  const matched = spec.matchConstraints.resourceRules.some(
    (r) =>
      r.apiGroups.includes(request.resource.group) &&
      r.operations.includes(request.operation) &&
      (r.resources.includes(resource) || (request.subResource === undefined && r.resources.includes('*'))),
  );
  if (checkMatch && !matched) return { status: 'skip' };
  const celRequest = {
    kind: request.kind,
    resource: request.resource,
    ...(request.name === undefined ? {} : { name: request.name }),
    ...(request.namespace === undefined ? {} : { namespace: request.namespace }),
    operation: request.operation,
    userInfo: request.userInfo,
    ...(request.subResource === undefined ? {} : { subResource: request.subResource }),
  };
  const base: Json = { object: request.object ?? null, oldObject: request.oldObject ?? null, request: celRequest };
  for (const c of checkMatch ? (spec.matchConditions ?? []) : []) {
    const r = celEval(c.expression, base);
    if (typeof r !== 'boolean') throw new Error(`matchCondition ${c.name} gave ${String(r)}`);
    if (!r) return { status: 'skip' };
  }
  // Lazy variables: each evaluated once, when first read.
  const variables: Json = {};
  const context: Json = { ...base, variables };
  for (const v of spec.variables) {
    let done = false;
    let value: unknown;
    Object.defineProperty(variables, v.name, {
      enumerable: true,
      get() {
        if (!done) {
          value = celEval(v.expression, context);
          done = true;
        }
        return value;
      },
    });
  }
  if (eager) for (const v of spec.variables) void variables[v.name];
  const validation = spec.validations[0]!;
  const ok = celEval(validation.expression, context);
  if (typeof ok !== 'boolean') throw new Error(`validation gave ${String(ok)}`);
  if (ok) return { status: 'pass' };
  const message = celEval(validation.messageExpression, context);
  if (typeof message !== 'string') throw new Error(`messageExpression gave ${String(message)}`);
  const audit = celEval(spec.auditAnnotations[0]!.valueExpression, context);
  return { status: 'fail', message, audit };
}

/**
 * Per rule (`policy/rule`), whether the engine reports a violation with the rule's enforcement,
 * as the webhook judges the request (judgeUpdate for UPDATE). `undefined` result: the update
 * was allowed without evaluation (see update.ts).
 */
export function engineViolations(
  set: PolicySet,
  request: AdmissionRequest,
  now: Date,
): { violated: Set<string>; unjudged: boolean } {
  const evaluation = evaluateRequest(set, request, { now, maxViolations: Number.POSITIVE_INFINITY });
  const violated = new Set<string>();
  if (evaluation === undefined) return { violated, unjudged: true };
  const enforcement = new Map<string, string>();
  for (const p of set.policies) for (const r of p.rules) enforcement.set(`${p.name}/${r.name}`, r.enforcement);
  for (const v of [...evaluation.violations, ...evaluation.omitted]) {
    const key = `${v.policy}/${v.rule}`;
    if (enforcement.get(key) === v.enforcement) violated.add(key);
  }
  return { violated, unjudged: false };
}

/** One disagreement between the exported policy and the engine. */
export interface Disagreement {
  rule: string;
  engine: boolean;
  vap: boolean;
}

/**
 * Compares every exported rule with the engine on one request. Warn and audit rules are not
 * compared on an UPDATE the engine allowed without evaluation because another rule would have
 * denied a change of metadata only (the webhook then says nothing at all; a VAP stands alone):
 * see the README.
 */
export function compare(
  set: PolicySet,
  rules: readonly ExportedRule[],
  request: AdmissionRequest,
  now: Date,
  mode: Mode = 'apiserver',
): Disagreement[] {
  const engine = engineViolations(set, request, now);
  const out: Disagreement[] = [];
  for (const r of rules) {
    const key = `${r.policy}/${r.rule}`;
    const outcome = runVap(r, request, mode);
    const vap = outcome.status === 'fail';
    if (engine.unjudged && r.enforcement !== 'deny') continue;
    const expected = engine.violated.has(key);
    if (vap !== expected) out.push({ rule: key, engine: expected, vap });
  }
  return out;
}
