/**
 * How an UPDATE is judged: on what it changes. The new object and the old one are evaluated by
 * the same engine; a deny violation the old object already had (same policy, rule and element,
 * the element found by name rather than by array position) comes back as a warning, and only
 * violations the update introduces deny. Updates that only move an object towards deletion, or
 * change only metadata, status or the scale, are allowed without evaluation.
 */
import type { AdmissionRequest } from '../admission/types.js';
import { isRecord } from '../util/is-record.js';
import type { PathSegment } from './selector.js';
import type { Evaluation, OmittedViolations, Violation } from './types.js';

/** Evaluates one object (the new or the old one) of the request with the reviewer's engine settings. */
export type EvaluateFn = (object: unknown) => Evaluation;

/**
 * Metadata fields an update may change without being judged: they carry no pod spec, no
 * RBAC rule and no ConfigMap data. `deletionTimestamp` and `deletionGracePeriodSeconds` move an
 * object towards deletion.
 */
const IGNORED_METADATA = [
  'labels',
  'annotations',
  'ownerReferences',
  'managedFields',
  'finalizers',
  'resourceVersion',
  'generation',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
] as const;

/** The prefix of the warning that replaces a deny violation the old object already had. */
export const EXISTING_PREFIX = 'already there before this update, so allowed; denied once this part changes: ';

/** `value` without `keys` (a shallow copy), or `value` itself when it is not a record. */
function without(value: unknown, keys: readonly string[]): unknown {
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = { ...value };
  for (const k of keys) delete out[k];
  return out;
}

/** The parts of an object an update is judged on: everything but IGNORED_METADATA, status and spec.replicas. */
function judgedPart(object: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...object };
  delete out.status;
  if ('metadata' in out) out.metadata = without(out.metadata, IGNORED_METADATA);
  if ('spec' in out) out.spec = without(out.spec, ['replicas']);
  return out;
}

/** Nesting depth compared by recursion; deeper subtrees go to an explicit stack (no stack overflow). */
const RECURSION_DEPTH = 64;

/**
 * Structural equality of two JSON values. Each value is visited once: linear in their size.
 * Recursion (fast) down to RECURSION_DEPTH, then an explicit stack, so a deeply nested body
 * cannot overflow the call stack.
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  return equalAt(a, b, 0);
}

function equalAt(x: unknown, y: unknown, depth: number): boolean {
  if (x === y) return true;
  if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null) return false;
  if (depth === RECURSION_DEPTH) return equalByStack(x, y);
  if (Array.isArray(x)) {
    if (!Array.isArray(y) || x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!equalAt(x[i], y[i], depth + 1)) return false;
    return true;
  }
  if (Array.isArray(y)) return false;
  const xr = x as Record<string, unknown>;
  const yr = y as Record<string, unknown>;
  let n = 0;
  for (const k in xr) {
    if (!Object.hasOwn(xr, k)) continue;
    if (!Object.hasOwn(yr, k) || !equalAt(xr[k], yr[k], depth + 1)) return false;
    n++;
  }
  for (const k in yr) if (Object.hasOwn(yr, k) && --n < 0) return false;
  return n === 0;
}

function equalByStack(a: object, b: object): boolean {
  const xs: unknown[] = [a];
  const ys: unknown[] = [b];
  while (xs.length > 0) {
    const x = xs.pop();
    const y = ys.pop();
    if (x === y) continue;
    if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null) return false;
    if (Array.isArray(x)) {
      if (!Array.isArray(y) || x.length !== y.length) return false;
      for (let i = 0; i < x.length; i++) {
        xs.push(x[i]);
        ys.push(y[i]);
      }
      continue;
    }
    if (Array.isArray(y)) return false;
    const xr = x as Record<string, unknown>;
    const yr = y as Record<string, unknown>;
    const keys = Object.keys(xr);
    if (keys.length !== Object.keys(yr).length) return false;
    for (const k of keys) {
      if (!Object.hasOwn(yr, k)) return false;
      xs.push(xr[k]);
      ys.push(yr[k]);
    }
  }
  return true;
}

/**
 * Why the update needs no evaluation, or undefined when it does: the new object is being
 * deleted (`metadata.deletionTimestamp` set: the update sets it or removes finalizers), or old
 * and new are equal once metadata (IGNORED_METADATA), `status` and `spec.replicas` are set aside.
 */
export function unjudgedUpdate(object: unknown, oldObject: unknown): string | undefined {
  if (!isRecord(object) || !isRecord(oldObject)) return undefined;
  if (beingDeleted(object)) return 'object is being deleted';
  if (jsonEqual(judgedPart(object), judgedPart(oldObject))) return 'only metadata, status or scale changed';
  return undefined;
}

function beingDeleted(object: unknown): boolean {
  const meta = isRecord(object) ? object.metadata : undefined;
  return isRecord(meta) && meta.deletionTimestamp !== undefined && meta.deletionTimestamp !== null;
}

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

function showName(name: string): string {
  return PLAIN_KEY.test(name) ? name : JSON.stringify(name);
}

/**
 * The path of `location` in `object` with each array position replaced by the element's name
 * where the element has a string `name` (containers, init and ephemeral containers, volumes,
 * env vars, volume mounts): `spec.containers[2].env[0]` → `spec.containers[name=app].env[name=DB_PASSWORD]`.
 * Elements without a name keep their position: RBAC `rules[i]` have none, so a rule is the
 * same rule only at the same index. Map keys (ConfigMap `data` keys) are names already.
 */
export function identityPath(object: unknown, location: readonly PathSegment[]): string {
  let out = '';
  let cur: unknown = object;
  for (const seg of location) {
    if (typeof seg === 'number') {
      const element = Array.isArray(cur) ? cur[seg] : undefined;
      const name = isRecord(element) ? element.name : undefined;
      out += typeof name === 'string' ? `[name=${showName(name)}]` : `[${seg}]`;
      cur = element;
    } else {
      out += PLAIN_KEY.test(seg) ? `${out === '' ? '' : '.'}${seg}` : `[${JSON.stringify(seg)}]`;
      cur = isRecord(cur) ? cur[seg] : undefined;
    }
  }
  return out;
}

function identity(v: Violation, object: unknown): string {
  return `${v.policy}\u0000${v.rule}\u0000${identityPath(object, v.location)}`;
}

function hasDeny(e: Evaluation): boolean {
  return e.violations.some((v) => v.enforcement === 'deny') || e.omitted.some((o) => o.enforcement === 'deny');
}

/** A deny violation the old object already had, as the warning that replaces it. */
function asExisting(v: Violation): Violation {
  return { ...v, enforcement: 'warn', message: `${EXISTING_PREFIX}${v.message}` };
}

/**
 * The evaluation with each deny violation for which `existing(v)` holds turned into a warning,
 * and each rule's deny violations past the engine's cap turned into counted warnings when
 * `existingOmitted(o)` holds.
 */
function relax(
  evaluation: Evaluation,
  existing: (v: Violation) => boolean,
  existingOmitted: (o: OmittedViolations) => boolean,
): Evaluation {
  return {
    ...evaluation,
    violations: evaluation.violations.map((v) => (v.enforcement === 'deny' && existing(v) ? asExisting(v) : v)),
    omitted: evaluation.omitted.map((o) =>
      o.enforcement === 'deny' && existingOmitted(o) ? { ...o, enforcement: 'warn' } : o,
    ),
  };
}

function ephemeralNames(object: unknown): Set<string> {
  const names = new Set<string>();
  const spec = isRecord(object) ? object.spec : undefined;
  const list = isRecord(spec) ? spec.ephemeralContainers : undefined;
  if (Array.isArray(list)) for (const c of list) if (isRecord(c) && typeof c.name === 'string') names.add(c.name);
  return names;
}

/**
 * Judges an UPDATE (or a `pods/ephemeralcontainers` request) on what it changes. Returns
 * undefined when the request is allowed without evaluation (see unjudgedUpdate), otherwise the
 * Evaluation to build the verdict from, in which deny violations the update did not introduce
 * are warnings whose message starts with EXISTING_PREFIX.
 *
 * - Without an `oldObject` the request is judged as a CREATE.
 * - The new object is evaluated first: without a deny violation, that is the verdict, so a
 *   clean update costs one evaluation. The old object is evaluated only when the new one has a
 *   deny violation; deny violations it already had become warnings (on any update, metadata-only
 *   ones included: they say what will be denied once that part changes). The comparison of old
 *   and new (unjudgedUpdate) runs only when a deny remains, or the deadline passed: an update
 *   that changes nothing judged is then allowed as if never evaluated.
 * - `pods/ephemeralcontainers`: a deny violation under `spec.ephemeralContainers[i]` of a
 *   container whose name the old pod did not have denies; every other one is existing.
 * - Deny violations past the engine's cap have no path: a rule's are existing when the old
 *   object had at least as many past the cap for the same rule, and deny otherwise.
 */
export function judgeUpdate(request: AdmissionRequest, evaluate: EvaluateFn): Evaluation | undefined {
  const object = request.object ?? undefined;
  const oldObject = request.oldObject ?? undefined;
  if (!isRecord(oldObject)) return evaluate(object);
  if (beingDeleted(object)) return undefined;
  const evaluation = evaluate(object);
  if (evaluation.timedOut === true) return unjudgedUpdate(object, oldObject) !== undefined ? undefined : evaluation;
  // Nothing to deny: the verdict stands as it is (warnings included), with no comparison.
  if (!hasDeny(evaluation)) return evaluation;

  if (request.subResource === 'ephemeralcontainers') {
    if (unjudgedUpdate(object, oldObject) !== undefined) return undefined;
    const before = ephemeralNames(oldObject);
    const added = (v: Violation): boolean => {
      const [spec, list, index] = v.location;
      if (spec !== 'spec' || list !== 'ephemeralContainers' || typeof index !== 'number') return false;
      const c = readEphemeral(object, index);
      return !(isRecord(c) && typeof c.name === 'string' && before.has(c.name));
    };
    return relax(
      evaluation,
      (v) => !added(v),
      () => false,
    );
  }

  const old = evaluate(oldObject);
  if (old.timedOut === true) {
    if (unjudgedUpdate(object, oldObject) !== undefined) return undefined;
    return { ...old, notices: [...evaluation.notices, ...old.notices] };
  }
  const had = new Set<string>();
  for (const v of old.violations) if (v.enforcement === 'deny') had.add(identity(v, oldObject));
  const hadPastCap = new Map<string, number>();
  for (const o of old.omitted) if (o.enforcement === 'deny') hadPastCap.set(`${o.policy}\u0000${o.rule}`, o.count);
  // The old object's notices repeat the new one's (expired exceptions) or concern what it was.
  const relaxed = relax(
    evaluation,
    (v) => had.has(identity(v, object)),
    (o) => o.count <= (hadPastCap.get(`${o.policy}\u0000${o.rule}`) ?? 0),
  );
  // Only a deny the update seems to introduce needs the comparison (about as costly as an
  // evaluation): an update of metadata, status or scale alone (a label that brings the object
  // under a policy's objectSelector) is never denied.
  if (hasDeny(relaxed) && unjudgedUpdate(object, oldObject) !== undefined) return undefined;
  return relaxed;
}

function readEphemeral(object: unknown, index: number): unknown {
  const spec = isRecord(object) ? object.spec : undefined;
  const list = isRecord(spec) ? spec.ephemeralContainers : undefined;
  return Array.isArray(list) ? list[index] : undefined;
}
