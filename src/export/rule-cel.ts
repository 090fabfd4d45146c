/**
 * One policy rule as CEL: "some item the rule's selectors reach satisfies every condition",
 * with the engine's meaning of each step (selector.ts), filter script (jsonpath-plus, where a
 * script that throws is no match), and condition (conditions.ts). Detector conditions cannot be
 * CEL; such rules, and selectors outside the subset of jsonpath.ts, come back as `unsupported`.
 */
import type { CompiledRule, Condition } from '../policy/types.js';
import {
  and,
  call,
  type Cel,
  cond,
  dbl,
  eq,
  FALSE,
  gt,
  has,
  le,
  lt,
  id,
  index,
  inList,
  isType,
  list,
  lit,
  macro,
  ne,
  not,
  NULL,
  or,
  plus,
  sel,
  TRUE,
} from './cel.js';
import { parsePath, type Script, type SimpleFilter, type Step } from './jsonpath.js';

/** Fresh names for macro variables, unique within one expression tree. */
export class Names {
  private n = 0;
  next(prefix: string): string {
    return `${prefix}${this.n++}`;
  }
}

/** A fresh macro variable. */
export function fresh(names: Names, prefix: string): { k: 'id'; name: string } {
  return { k: 'id', name: names.next(prefix) };
}

/** `x` is a number (CEL int, uint or double). */
export function isNumber(x: Cel): Cel {
  return or(isType(x, 'int'), isType(x, 'uint'), isType(x, 'double'));
}

/** JavaScript truthiness of a JSON value: true, a non-empty string, a non-zero number, any object or array. */
export function truthy(v: Cel): Cel {
  return or(
    and(isType(v, 'bool'), v),
    and(isType(v, 'string'), ne(v, lit(''))),
    and(isNumber(v), ne(call('double', [v]), dbl(0))),
    isType(v, 'map'),
    isType(v, 'list'),
  );
}

/** `v === literal` for a JSON value and a literal of a policy file. */
export function strictEquals(v: Cel, literal: unknown): Cel {
  if (literal === null) return eq(v, NULL);
  if (typeof literal === 'string') return and(isType(v, 'string'), eq(v, lit(literal)));
  if (typeof literal === 'boolean') return and(isType(v, 'bool'), eq(v, lit(literal)));
  if (typeof literal === 'number' && Number.isFinite(literal))
    return and(isNumber(v), eq(call('double', [v]), dbl(literal)));
  return FALSE;
}

/** `new Set(values).has(v)`: strings in one `in` list, other literals one by one. */
export function memberOf(v: Cel, values: readonly unknown[]): Cel {
  const strings = [...new Set(values.filter((x): x is string => typeof x === 'string'))];
  const others = values.filter((x) => typeof x !== 'string');
  return or(
    ...(strings.length === 0
      ? []
      : [
          and(
            isType(v, 'string'),
            strings.length === 1 ? eq(v, lit(strings[0]!)) : inList(v, list(strings.map((s) => lit(s)))),
          ),
        ]),
    ...others.map((o) => strictEquals(v, o)),
  );
}

/** The values along `keys` from `base`: p[0] = base, p[i] = p[i-1].keys[i-1]. */
function chain(base: Cel, keys: readonly string[]): Cel[] {
  const p = [base];
  for (const k of keys) p.push(sel(p[p.length - 1]!, k));
  return p;
}

/** Every step up to `upTo` reads an own field of a map: p[upTo] is defined. */
function resolved(p: readonly Cel[], keys: readonly string[], upTo: number): Cel {
  const parts: Cel[] = [];
  for (let i = 1; i <= upTo; i++) parts.push(isType(p[i - 1]!, 'map'), has(p[i - 1]!, keys[i - 1]!));
  return and(...parts);
}

/** A filter of the engine's compiled subset (readPath: a read through null is no match, never an error). */
function simpleFilter(f: SimpleFilter, item: Cel): Cel {
  const p = chain(item, f.keys);
  const n = f.keys.length;
  const found = f.k === 'exists' ? truthy(p[n]!) : strictEquals(p[n]!, f.literal);
  if (!f.negate) return and(resolved(p, f.keys, n), found);
  // Readable: the item and every value before the last key are present and not null.
  const readable: Cel[] = [ne(item, NULL)];
  for (let i = 1; i < n; i++) readable.push(isType(p[i - 1]!, 'map'), has(p[i - 1]!, f.keys[i - 1]!), ne(p[i]!, NULL));
  return and(...readable, not(and(isType(p[n - 1]!, 'map'), has(p[n - 1]!, f.keys[n - 1]!), found)));
}

/** A script's value as CEL: `err` when JavaScript would throw, `val` (boolean) otherwise. */
interface Judged {
  err: Cel;
  val: Cel;
}

class ScriptError extends Error {}

interface PathValue {
  /** Reading it throws (a step reads a field of null or undefined). */
  err: Cel;
  /** It is an own field all the way (not undefined). */
  defined: Cel;
  value: Cel;
}

function pathValue(s: Extract<Script, { k: 'path' }>, item: Cel, root: Cel): PathValue {
  const base = s.from === 'root' ? root : item;
  const p = chain(base, s.keys);
  const n = s.keys.length;
  if (n === 0) return { err: FALSE, defined: TRUE, value: base };
  return {
    err: not(and(resolved(p, s.keys, n - 1), ne(p[n - 1]!, NULL))),
    defined: resolved(p, s.keys, n),
    value: p[n]!,
  };
}

function judgeScript(s: Script, item: Cel, root: Cel): Judged {
  switch (s.k) {
    case 'path': {
      const v = pathValue(s, item, root);
      return { err: v.err, val: and(v.defined, truthy(v.value)) };
    }
    case 'str':
      return { err: FALSE, val: s.v === '' ? FALSE : TRUE };
    case 'const':
      return { err: FALSE, val: s.v === true ? TRUE : FALSE };
    case 'not': {
      const x = judgeScript(s.of, item, root);
      return { err: x.err, val: not(x.val) };
    }
    case 'and': {
      const x = judgeScript(s.l, item, root);
      const y = judgeScript(s.r, item, root);
      return { err: or(x.err, and(x.val, y.err)), val: and(x.val, y.val) };
    }
    case 'or': {
      const x = judgeScript(s.l, item, root);
      const y = judgeScript(s.r, item, root);
      return { err: or(x.err, and(not(x.val), y.err)), val: or(x.val, y.val) };
    }
    case 'call': {
      if (s.target.k !== 'path') throw new ScriptError(`${s.fn} on something other than a path`);
      const v = pathValue(s.target, item, root);
      return {
        err: or(v.err, not(and(v.defined, isType(v.value, 'string')))),
        val: call(s.fn, [lit(s.arg)], v.value),
      };
    }
    case 'cmp': {
      const [path, other] = s.l.k === 'path' ? [s.l, s.r] : [s.r, s.l];
      if (path.k !== 'path') throw new ScriptError('a comparison without a path');
      const v = pathValue(path, item, root);
      const strict = s.op.length === 3;
      const negate = s.op.startsWith('!');
      let equal: Cel;
      if (other.k === 'str') equal = and(v.defined, isType(v.value, 'string'), eq(v.value, lit(other.v)));
      else if (other.k === 'const' && other.v === null)
        equal = strict ? and(v.defined, eq(v.value, NULL)) : or(not(v.defined), eq(v.value, NULL));
      else if (other.k === 'const' && strict)
        equal = and(v.defined, isType(v.value, 'bool'), eq(v.value, lit(other.v)));
      else throw new ScriptError('only comparisons of a path with a string, null or (===) a boolean are exported');
      return { err: v.err, val: negate ? not(equal) : equal };
    }
  }
}

/** The filter of an `each` step on element `item`; `root` is the rule's root (`@root`). */
export function filterOf(step: Extract<Step, { k: 'each' }>, item: Cel, root: Cel): Cel {
  const f = step.filter;
  if (f === undefined) return TRUE;
  if (f.k === 'script') {
    const j = judgeScript(f.script, item, root);
    return and(not(j.err), j.val);
  }
  return simpleFilter(f, item);
}

/** An element bound at an `each` step, and the list it is an element of. */
export interface Bound {
  element: Cel;
  list: Cel;
  /** Its position in `list`, when the walk followed the list by position (see WalkMode). */
  position?: Cel;
  /** The walk followed the list by element because it is longer than POSITIONS. */
  long?: true;
  /** The old object's elements with the same identity (by name), bound once for this element. */
  old?: Cel;
  /**
   * Per element of `old`, the names of the old elements of the next (and last) list that
   * violate (oldNamesBelow), bound once for this element.
   */
  childNames?: Cel;
}

/**
 * How a deny rule's walk follows lists, so that "the old object already had it" costs little
 * per item: a list whose elements need not have names (envFrom, RBAC rules) is followed by
 * position (up to POSITIONS elements; a longer one by element), so the old element at the same
 * position is read directly; and `bind` may give, per element of a named list, the old elements
 * with its name, computed once for everything below it.
 */
export interface WalkMode {
  readonly bind?: (
    element: Cel,
    steps: readonly Step[],
    i: number,
  ) => { old: Cel; childNames?: (old: Cel) => Cel } | undefined;
}

/** The steps from `from` to `to` (exclusive) are field names only: their names, or undefined. */
function fieldsBetween(steps: readonly Step[], from: number, to: number): string[] | undefined {
  const out: string[] = [];
  for (let i = from; i < to; i++) {
    const s = steps[i]!;
    if (s.k !== 'child') return undefined;
    out.push(s.name);
  }
  return out;
}

/**
 * The names of the old elements that violate in the list of the last `each` step below `o`
 * (an old element bound at `each` step `i`, or the old root when `i` is -1), when that list is
 * one of NAMED_BY_API, reached from `o` by field names only, and followed by no other `each`;
 * otherwise undefined. `e.name in <this>` is then "the old object had this violation" for a
 * named new element `e` of that list, at the cost of one pass over the old list.
 */
export function oldNamesBelow(
  o: Cel,
  steps: readonly Step[],
  i: number,
  root: Cel,
  names: Names,
  body: (value: Cel) => Cel,
): Cel | undefined {
  const k = steps.findIndex((s, at) => at > i && s.k === 'each');
  if (k < 0 || steps.slice(k + 1).some((s) => s.k === 'each') || !namedByApi(steps, k)) return undefined;
  const keys = fieldsBetween(steps, i + 1, k);
  if (keys === undefined) return undefined;
  const p = chain(o, keys);
  const x = p[keys.length]!;
  const e = fresh(names, 'o');
  const last = steps[k] as Extract<Step, { k: 'each' }>;
  const parent = i >= 0 ? (steps[i] as Extract<Step, { k: 'each' }>) : undefined;
  return cond(
    and(parent === undefined ? TRUE : filterOf(parent, o, root), resolved(p, keys, keys.length), isType(x, 'list')),
    macro(
      'map',
      macro(
        'filter',
        x,
        e.name,
        and(named(e), filterOf(last, e, root), walkOld(e, steps, root, names, body, [], k + 1)),
      ),
      e.name,
      sel(e, 'name'),
    ),
    list([]),
  );
}

/**
 * "The old object had the violation at the last bound element", when its parent bound the
 * names of the old violations below it (Bound.childNames) and both have names: one `in`.
 */
export function inOldNames(elements: readonly Bound[], names: Names): { when: Cel; found: Cel } | undefined {
  const parent = elements[elements.length - 2];
  const child = elements[elements.length - 1];
  if (parent?.childNames === undefined || child === undefined) return undefined;
  const l = fresh(names, 'l');
  return {
    // The names come wrapped in a list, empty unless the parent has a name and the update has an
    // old object that applies (a ternary's branches have one type: no null).
    when: and(ne(call('size', [parent.childNames]), lit(0)), named(child.element)),
    found: {
      k: 'macro',
      fn: 'exists',
      target: index(parent.childNames, lit(0)),
      v: l.name,
      body: inList(sel(child.element, 'name'), l),
      atMostOne: true,
    },
  };
}

/** `[old].exists(b, [childNames(b)].exists(c, inside))`: binds the old elements (and names) once. */
export function bindOld(
  bound: { old: Cel; childNames?: (old: Cel) => Cel },
  names: Names,
  inside: (b: { old: Cel; childNames?: Cel }) => Cel,
): Cel {
  const b = fresh(names, 'b');
  if (bound.childNames === undefined) return macro('exists', list([bound.old]), b.name, inside({ old: b }));
  const c = fresh(names, 'b');
  return macro(
    'exists',
    list([bound.old]),
    b.name,
    macro('exists', list([bound.childNames(b)]), c.name, inside({ old: b, childNames: c })),
  );
}

/** The `each` step `i` runs over a list whose elements the apiserver requires a name in. */
export function namedByApi(steps: readonly Step[], i: number): boolean {
  const previous = i > 0 ? steps[i - 1] : undefined;
  return previous?.k === 'child' && NAMED_BY_API.has(previous.name);
}

/** The body of a walk: the reached value, and the elements bound at each `each` step so far. */
export type Body = (value: Cel, elements: readonly Bound[]) => Cel;

/**
 * "Some value `steps` reach from `x` satisfies `body`", as the engine's walk (selector.ts):
 * a child of a map that has it, an index of a list, every element of a list that passes the
 * step's filter. `[*]` runs over lists only (Kubernetes objects have lists where policies use it).
 */
export function walk(
  x: Cel,
  steps: readonly Step[],
  root: Cel,
  names: Names,
  body: Body,
  i = 0,
  elements: readonly Bound[] = [],
  mode?: WalkMode,
): Cel {
  if (i === steps.length) return body(x, elements);
  const step = steps[i]!;
  switch (step.k) {
    case 'child':
      return and(
        isType(x, 'map'),
        has(x, step.name),
        walk(sel(x, step.name), steps, root, names, body, i + 1, elements, mode),
      );
    case 'index':
      return or(
        and(
          isType(x, 'list'),
          gt(call('size', [x]), lit(step.n)),
          walk(index(x, lit(step.n)), steps, root, names, body, i + 1, elements, mode),
        ),
        and(
          isType(x, 'map'),
          has(x, String(step.n)),
          walk(sel(x, String(step.n)), steps, root, names, body, i + 1, elements, mode),
        ),
      );
    case 'each': {
      const below = (v: Cel, bound: Bound): Cel =>
        and(filterOf(step, v, root), walk(v, steps, root, names, body, i + 1, [...elements, bound], mode));
      if (mode === undefined) {
        const v = fresh(names, 'e');
        return and(isType(x, 'list'), macro('exists', x, v.name, below(v, { element: v, list: x })));
      }
      if (namedByApi(steps, i)) {
        const v = fresh(names, 'e');
        const bound = mode.bind?.(v, steps, i);
        if (bound === undefined)
          return and(isType(x, 'list'), macro('exists', x, v.name, below(v, { element: v, list: x })));
        return and(
          isType(x, 'list'),
          macro(
            'exists',
            x,
            v.name,
            bindOld(bound, names, (b) => below(v, { element: v, list: x, ...b })),
          ),
        );
      }
      const [p, v, w] = [fresh(names, 'p'), fresh(names, 'e'), fresh(names, 'e')];
      return and(
        isType(x, 'list'),
        cond(
          le(call('size', [x]), lit(POSITIONS)),
          macro(
            'exists',
            RANGE,
            p.name,
            and(
              lt(p, call('size', [x])),
              macro('exists', list([index(x, p)]), v.name, below(v, { element: v, list: x, position: p })),
            ),
          ),
          macro('exists', x, w.name, below(w, { element: w, list: x, long: true })),
        ),
      );
    }
  }
}

/** "The value `path` (relative, `$` = the value itself) reaches, some of them, satisfy `pred`." */
function some(path: readonly Step[], item: Cel, _root: Cel, names: Names, pred: (v: Cel) => Cel): Cel {
  // A condition path runs on the item: its `@root`, in a filter script, is the item (jsonpath-plus's `json`).
  return walk(item, path, item, names, (v) => pred(v));
}

/** `value` equals `prefix` or continues it after a `/`, and has no `..` segment (conditions.ts isUnderPrefix). */
function underPrefix(v: Cel, prefix: string): Cel {
  const noBackStep = not(
    or(
      eq(v, lit('..')),
      call('startsWith', [lit('../')], v),
      call('endsWith', [lit('/..')], v),
      call('contains', [lit('/../')], v),
    ),
  );
  const p = prefix.length > 1 ? prefix.replace(/\/+$/, '') : prefix;
  if (p === '/') return and(noBackStep, call('startsWith', [lit('/')], v));
  return and(noBackStep, or(eq(v, lit(p)), call('startsWith', [lit(`${p}/`)], v)));
}

/** A container of `root` mounts the volume named `name` without readOnly: true (conditions.ts). */
function writableMount(root: Cel, name: Cel, names: Names): Cel {
  const lists = ['containers', 'initContainers', 'ephemeralContainers'].map((listName) => {
    const c = id(names.next('c'));
    const m = id(names.next('m'));
    const mounts = sel(c, 'volumeMounts');
    const spec = sel(root, 'spec');
    return and(
      has(spec, listName),
      isType(sel(spec, listName), 'list'),
      macro(
        'exists',
        sel(spec, listName),
        (c as { name: string }).name,
        and(
          isType(c, 'map'),
          has(c, 'volumeMounts'),
          isType(mounts, 'list'),
          macro(
            'exists',
            mounts,
            (m as { name: string }).name,
            and(
              isType(m, 'map'),
              has(m, 'name'),
              isType(sel(m, 'name'), 'string'),
              eq(sel(m, 'name'), name),
              not(and(has(m, 'readOnly'), isType(sel(m, 'readOnly'), 'bool'), sel(m, 'readOnly'))),
            ),
          ),
        ),
      ),
    );
  });
  return and(isType(root, 'map'), has(root, 'spec'), isType(sel(root, 'spec'), 'map'), or(...lists));
}

/** A condition on `item` as CEL, or the reason it cannot be one. */
function conditionCel(c: Condition, item: Cel, root: Cel, names: Names): Cel | { unsupported: string } {
  const parsed = parsePath(c.path.source);
  if ('unsupported' in parsed) return parsed;
  const path = parsed.steps;
  const arg = c.arg;
  switch (c.operator) {
    case 'exists':
    case 'absent': {
      const present = some(path, item, root, names, (v) => ne(v, NULL));
      return (c.operator === 'exists') === (arg === true) ? present : not(present);
    }
    case 'equals':
      return some(path, item, root, names, (v) => strictEquals(v, arg));
    case 'anyOf':
    case 'noneOf': {
      const any = some(path, item, root, names, (v) => memberOf(v, arg as unknown[]));
      return c.operator === 'anyOf' ? any : not(any);
    }
    case 'matches':
      return some(path, item, root, names, (v) => and(isType(v, 'string'), call('matches', [lit(arg as string)], v)));
    case 'under':
      return some(path, item, root, names, (v) =>
        and(isType(v, 'string'), or(...(arg as string[]).map((p) => underPrefix(v, p)))),
      );
    case 'notUnder':
      return some(path, item, root, names, (v) =>
        and(isType(v, 'string'), not(or(...(arg as string[]).map((p) => underPrefix(v, p))))),
      );
    case 'writableMount': {
      const found = some(path, item, root, names, (n) => and(isType(n, 'string'), writableMount(root, n, names)));
      return arg === true ? found : not(found);
    }
    case 'detector':
    case 'noDetector':
      return {
        unsupported: `condition "${c.operator}" runs Shroud's secret detectors (entropy, provider token formats, key material), which CEL cannot express`,
      };
    default:
      return { unsupported: `condition operator "${c.operator}" is not exported` };
  }
}

/** A rule ready to be written as CEL: its selectors as steps; `conditions` builds the `when` part. */
export interface RuleCel {
  readonly selectors: readonly (readonly Step[])[];
  /** Every condition of the rule on `item` (root: the rule's root), or FALSE-free TRUE when none. */
  conditions(item: Cel, root: Cel, names: Names): Cel;
}

/** Reads a rule for CEL, or says why it stays with the webhook. */
export function ruleCel(rule: CompiledRule): RuleCel | { unsupported: string } {
  const selectors: Step[][] = [];
  for (const s of rule.select) {
    const parsed = parsePath(s.source);
    if ('unsupported' in parsed) return parsed;
    selectors.push(parsed.steps);
  }
  // Check every condition (and every script) once, so an unsupported one is found at export time.
  const probe = new Names();
  try {
    for (const c of rule.when) {
      const r = conditionCel(c, id('probe'), id('root'), probe);
      if ('unsupported' in r) return r;
    }
    for (const steps of selectors) walk(id('root'), steps, id('root'), probe, () => TRUE);
  } catch (err) {
    if (err instanceof ScriptError) return { unsupported: err.message };
    throw err;
  }
  return {
    selectors,
    conditions(item, root, names) {
      return and(...rule.when.map((c) => conditionCel(c, item, root, names) as Cel));
    },
  };
}

/**
 * Lists whose elements the apiserver's validation requires a name in (it runs before admission
 * policies): the cost estimate counts the lookup by name for them.
 */
const NAMED_BY_API = new Set(['containers', 'initContainers', 'ephemeralContainers', 'env', 'volumes', 'volumeMounts']);

/** Lists whose elements have no `name` field in their API type (envFrom sources, RBAC rules). */
const NAMELESS_BY_API = new Set(['envFrom', 'rules']);

/** The element has a string `name`: update.ts identifies it by that name, others by position. */
export function named(x: Cel): Cel {
  return and(isType(x, 'map'), has(x, 'name'), isType(sel(x, 'name'), 'string'));
}

/**
 * Positions CEL can follow (standard CEL of Kubernetes 1.30 has no index in its macros, so the
 * exporter iterates this literal range): in a list of up to POSITIONS elements a nameless
 * element is found at its own positions; in a longer one, by an equal element anywhere.
 */
export const POSITIONS = 128;

export const RANGE: Cel = list(Array.from({ length: POSITIONS }, (_, i) => lit(i)));

/**
 * "The old object already had this violation" (update.ts): the walk of `steps` on the old root,
 * following at each `each` step the element of the new object bound there: the element with the
 * same name when the new one has a string name, else the nameless element at the same position.
 */
export function walkOld(
  x: Cel,
  steps: readonly Step[],
  root: Cel,
  names: Names,
  body: (value: Cel) => Cel,
  newElements: readonly Bound[],
  i = 0,
  j = 0,
  rootNames?: Cel,
): Cel {
  if (i === steps.length) return body(x);
  const step = steps[i]!;
  switch (step.k) {
    case 'child':
      return and(
        isType(x, 'map'),
        has(x, step.name),
        walkOld(sel(x, step.name), steps, root, names, body, newElements, i + 1, j, rootNames),
      );
    case 'index':
      return or(
        and(
          isType(x, 'list'),
          gt(call('size', [x]), lit(step.n)),
          walkOld(index(x, lit(step.n)), steps, root, names, body, newElements, i + 1, j, rootNames),
        ),
        and(
          isType(x, 'map'),
          has(x, String(step.n)),
          walkOld(sel(x, String(step.n)), steps, root, names, body, newElements, i + 1, j, rootNames),
        ),
      );
    case 'each': {
      const { element: n, list: newList, position, long, old } = newElements[j]!;
      const rest = (o: Cel): Cel =>
        and(filterOf(step, o, root), walkOld(o, steps, root, names, body, newElements, i + 1, j + 1));
      // The old elements with the new one's name, bound once by the new walk (at most one in a
      // valid object: the apiserver refuses two containers, or two volumes, with one name).
      if (position !== undefined || long === true) {
        // Followed by position (a list of up to POSITIONS): the old element at that position;
        // a longer list was followed by element: an equal nameless element anywhere.
        const o = names.next('o');
        const byName = macro('exists', x, o, rest(id(o)), and(named(id(o)), eq(sel(id(o), 'name'), sel(n, 'name'))));
        const at = names.next('o');
        const mine =
          position !== undefined
            ? and(
                lt(position, call('size', [x])),
                macro('exists', list([index(x, position)]), at, and(not(named(id(at))), rest(id(at)))),
              )
            : macro('exists', x, at, rest(id(at)), and(not(named(id(at))), eq(id(at), n)));
        // envFrom sources and RBAC rules have no `name` field: the apiserver decodes them into
        // their typed form, which drops it, so the estimate counts only the nameless branch.
        const previous = i > 0 ? steps[i - 1] : undefined;
        const namelessByApi = previous?.k === 'child' && NAMELESS_BY_API.has(previous.name);
        return and(isType(x, 'list'), cond(not(named(n)), mine, byName, namelessByApi));
      }
      const o = names.next('o');
      const byName = macro('exists', x, o, rest(id(o)), and(named(id(o)), eq(sel(id(o), 'name'), sel(n, 'name'))));
      const p = names.next('p');
      // Equal nameless elements are one value at several positions: each position must have had it.
      // `[x[p]].exists(o, ...)` binds the old element there to a name (has() takes a name, not an index).
      const atP = names.next('o');
      const byPosition = macro(
        'all',
        RANGE,
        p,
        and(
          lt(id(p), call('size', [x])),
          macro('exists', list([index(x, id(p))]), atP, and(not(named(id(atP))), rest(id(atP)))),
        ),
        and(lt(id(p), call('size', [newList])), eq(index(newList, id(p)), n)),
      );
      const byContent = macro('exists', x, o, rest(id(o)), and(not(named(id(o))), eq(id(o), n)));
      const previous = i > 0 ? steps[i - 1] : undefined;
      const namedByApi = previous?.k === 'child' && NAMED_BY_API.has(previous.name);
      // The old elements with the new one's name, bound once by the new walk (at most one in a
      // valid object: the apiserver refuses two containers, or two volumes, with one name).
      const oo = names.next('o');
      let found: Cel =
        old === undefined
          ? byName
          : ({ k: 'macro', fn: 'exists', target: old, v: oo, body: rest(id(oo)), atMostOne: true } as const);
      if (j === 0 && rootNames !== undefined && namedByApi && !steps.slice(i + 1).some((s) => s.k === 'each'))
        found = inList(sel(n, 'name'), rootNames);
      return and(
        isType(x, 'list'),
        cond(named(n), found, cond(le(call('size', [newList]), lit(POSITIONS)), byPosition, byContent), namedByApi),
      );
    }
  }
}

/** `path` of a reached value for messages: names for named elements (`containers[name=app]`), `[*]` otherwise. */
export function describeStep(prefix: Cel, step: Step, element: Cel | undefined): Cel {
  const known = prefix.k === 'lit' && typeof prefix.v === 'string' ? prefix.v : undefined;
  const append = (text: string): Cel => (known === undefined ? plus(prefix, lit(text)) : lit(known + text));
  switch (step.k) {
    case 'child': {
      const plain = /^[A-Za-z_][\w-]*$/.test(step.name);
      return append(plain ? `${known === '' ? '' : '.'}${step.name}` : `[${JSON.stringify(step.name)}]`);
    }
    case 'index':
      return append(`[${step.n}]`);
    case 'each': {
      if (element === undefined) return append('[*]');
      const named = and(isType(element, 'map'), has(element, 'name'), isType(sel(element, 'name'), 'string'));
      return plus(prefix, cond(named, plus(lit('[name='), sel(element, 'name'), lit(']')), lit('[*]')));
    }
  }
}
