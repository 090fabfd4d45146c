/**
 * Evaluates an exported MutatingAdmissionPolicy the way kube-apiserver would, with an
 * independent CEL implementation (@marcbachmann/cel-js), and applies its JSON Patch with
 * fast-json-patch. What differs from the API server, and why the result is the same:
 *
 * - cel-js has no message construction (`JSONPatch{op: ..., path: ..., value: ...}`), so the
 *   mutation is read as the map literal `{"op": ..., "path": ..., "value": ...}`: a JSONPatch
 *   value is exactly its four fields, which kube-apiserver turns into the JSON operation
 *   `{op, from, path, value}`. The exporter writes every JSONPatch in one spelling
 *   (src/export/map-cel.ts), and `asMapLiteral` checks it rewrote every one and nothing else.
 * - The Kubernetes list library's `indexOf` and `lastIndexOf` (first and last index of an equal
 *   element, -1 when absent; in every Kubernetes version with MutatingAdmissionPolicy) are not in
 *   cel-js: registered here (the policy applies them to lists of strings only).
 * - kube-apiserver hands CEL the typed pod: integers are int64 and `null` fields are absent. The
 *   pod is given to cel-js the same way (`toCel`): integers as BigInt, null fields dropped.
 * - Variables are evaluated in order, each once (kube-apiserver evaluates them lazily; every
 *   exported variable is safe to evaluate on any pod, which evaluating them all checks).
 */
import { Environment } from '@marcbachmann/cel-js';
import jsonpatch from 'fast-json-patch';
import { mapExpressions } from '../../src/export/map.js';

type Obj = Record<string, unknown>;

const env = new Environment({ unlistedVariablesAreDyn: true, homogeneousAggregateLiterals: false })
  .registerFunction({
    name: 'indexOf',
    receiverType: 'list',
    returnType: 'int',
    params: [{ name: 'value', type: 'dyn' }],
    handler: (list: unknown[], value: unknown) => BigInt(list.indexOf(value)),
  })
  .registerFunction({
    name: 'lastIndexOf',
    receiverType: 'list',
    returnType: 'int',
    params: [{ name: 'value', type: 'dyn' }],
    handler: (list: unknown[], value: unknown) => BigInt(list.lastIndexOf(value)),
  });

/** A decoded pod as the API server's typed object: null fields absent, whole numbers int64 (BigInt). */
export function toCel(value: unknown): unknown {
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return value.map(toCel);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Obj)
        .filter(([, v]) => v !== null)
        .map(([k, v]) => [k, toCel(v)]),
    );
  }
  return value;
}

/** CEL results back to JSON (int64 to number). */
export function fromCel(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(fromCel);
  if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array)) {
    return Object.fromEntries(Object.entries(value as Obj).map(([k, v]) => [k, fromCel(v)]));
  }
  return value;
}

/** The pod as kube-apiserver's typed decoding leaves it, in JSON: null fields dropped. */
export function withoutNulls(value: unknown): unknown {
  return fromCel(toCel(value));
}

const FIELDS = ['from', 'path', 'value'] as const;

/**
 * The mutation with each `JSONPatch{op: A, path: B, value: C}` (or `{op: A, from: B, path: C}`)
 * read as the map literal `{"op": A, "path": B, "value": C}`. Throws unless the rewrite touched
 * exactly the JSONPatch constructors: every field name once per constructor, nowhere else.
 */
export function asMapLiteral(expression: string): string {
  const count = (text: string, part: string) => text.split(part).length - 1;
  const patches = count(expression, 'JSONPatch{op: ');
  const moves = count(expression, 'from: ');
  if (patches === 0 || count(expression, 'JSONPatch') !== patches) throw new Error('no JSONPatch to rewrite');
  if (count(expression, ', path: ') !== patches || count(expression, ', value: ') !== patches - moves)
    throw new Error('a JSONPatch is not spelled JSONPatch{op: _, [from: _, ]path: _[, value: _]}');
  for (const segment of expression.split('JSONPatch{op: ').slice(1)) {
    const [from, path, value] = FIELDS.map((f) => segment.indexOf(`, ${f}: `));
    const ordered = from! < 0 ? path! >= 0 && value! > path! : path! > from! && value! < 0;
    if (!ordered) throw new Error('a JSONPatch has its fields in another order');
  }
  let out = expression.replaceAll('JSONPatch{op: ', '{"op": ');
  for (const field of FIELDS) out = out.replaceAll(`, ${field}: `, `, "${field}": `);
  return out;
}

export interface MapOutcome {
  /** Whether every matchCondition held. */
  matched: boolean;
  /** The JSON Patch of the mutation ([] when not matched). */
  patch: jsonpatch.Operation[];
  variables: Obj;
}

/** Evaluates the policy on a pod (a CREATE review's object). */
export function evaluateMap(policy: Obj, pod: Obj): MapOutcome {
  const object = toCel(pod);
  const variables: Obj = {};
  let matched = true;
  for (const { where, expression } of mapExpressions(policy)) {
    const [kind, name] = where.split('/') as [string, string];
    if (kind === 'matchConditions') {
      if (env.evaluate(expression, { object }) !== true) matched = false;
    } else if (!matched) {
      break;
    } else if (kind === 'variables') {
      variables[name] = env.evaluate(expression, { object, variables });
    } else {
      const ops = env.evaluate(asMapLiteral(expression), { object, variables });
      return { matched, patch: fromCel(ops) as jsonpatch.Operation[], variables };
    }
  }
  return { matched, patch: [], variables };
}

/**
 * Evaluates a ValidatingAdmissionPolicy (the injection guard) on a pod as it reaches validation:
 * the messages of the validations that do not hold, from messageExpression where there is one
 * ([] when it is admitted or not matched).
 */
export function evaluateGuard(policy: Obj, pod: Obj): string[] {
  const spec = policy.spec as {
    matchConditions: { expression: string }[];
    variables: { name: string; expression: string }[];
    validations: { expression: string; message: string; messageExpression?: string }[];
  };
  const object = toCel(pod);
  if (!spec.matchConditions.every((c) => env.evaluate(c.expression, { object }) === true)) return [];
  const variables: Obj = {};
  for (const v of spec.variables) variables[v.name] = env.evaluate(v.expression, { object, variables });
  return spec.validations
    .filter((v) => env.evaluate(v.expression, { object, variables }) !== true)
    .map((v) =>
      v.messageExpression === undefined ? v.message : env.evaluate(v.messageExpression, { object, variables }),
    );
}

/** Applies a JSON Patch as kube-apiserver would: every operation validated, the input left as it was. */
export function applyPatch(doc: Obj, patch: readonly jsonpatch.Operation[]): Obj {
  return jsonpatch.applyPatch(structuredClone(doc), structuredClone(patch as jsonpatch.Operation[]), true, false)
    .newDocument as Obj;
}
