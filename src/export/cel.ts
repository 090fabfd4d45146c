/**
 * A small CEL expression tree: what the exporters build, print and estimate. Only CEL's standard
 * operators, macros (`exists`, `all`, `filter`, `map`) and functions (`has`, `size`, `type`,
 * `double`, `string`, `startsWith`, `endsWith`, `contains`, `matches`) are representable, so an
 * exported expression cannot depend on a Kubernetes CEL library by accident.
 */

export type Cel =
  | { readonly k: 'lit'; readonly v: string | number | boolean | null; readonly double?: true }
  | { readonly k: 'id'; readonly name: string }
  | { readonly k: 'sel'; readonly of: Cel; readonly field: string }
  | { readonly k: 'has'; readonly of: Cel; readonly field: string }
  | { readonly k: 'index'; readonly of: Cel; readonly at: Cel }
  | { readonly k: 'call'; readonly fn: CelFunction; readonly target?: Cel; readonly args: readonly Cel[] }
  | { readonly k: 'and' | 'or'; readonly args: readonly Cel[] }
  | { readonly k: 'bin'; readonly op: '==' | '!=' | 'in' | '+' | '>' | '<' | '<='; readonly l: Cel; readonly r: Cel }
  | { readonly k: 'not'; readonly of: Cel }
  | {
      readonly k: 'cond';
      readonly c: Cel;
      readonly t: Cel;
      readonly f: Cel;
      /**
       * The apiserver's own validation makes `c` true before admission policies run (a container
       * or env var always has a name there): the estimate counts only the `then` branch.
       */
      readonly validatedTrue?: true;
    }
  | {
      readonly k: 'macro';
      readonly fn: 'exists' | 'all' | 'filter' | 'map';
      readonly target: Cel;
      readonly v: string;
      readonly body: Cel;
      /**
       * A condition at most one element passes (a lookup by name or position): printed as
       * `guard && body` (`!guard || body` for `all`), estimated as `items` guards plus one body.
       */
      readonly guard?: Cel;
      /**
       * The target holds at most one element in an object the apiserver accepts (the old
       * containers, or volumes, with one name): estimated as one iteration.
       */
      readonly atMostOne?: true;
    }
  | { readonly k: 'list'; readonly items: readonly Cel[] };

/** The standard functions the exporters use (receiver-style ones take `target`). */
export type CelFunction =
  | 'size'
  | 'type'
  | 'double'
  | 'string'
  | 'dyn'
  | 'startsWith'
  | 'endsWith'
  | 'contains'
  | 'matches';

/**
 * Words CEL's lexer takes as keywords, not names: a field with such a name is read with
 * `x['name']`. Other reserved words (`namespace`, `package`, ...) are refused only as top-level
 * names, so `request.namespace` stays a field selection (a typed object such as the
 * apiserver's `request` cannot be indexed).
 */
const RESERVED = new Set(['false', 'in', 'null', 'true']);

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** True when `field` can be written as `.field`. */
function plainField(field: string): boolean {
  return IDENT.test(field) && !RESERVED.has(field);
}

export const TRUE: Cel = { k: 'lit', v: true };
export const FALSE: Cel = { k: 'lit', v: false };
export const NULL: Cel = { k: 'lit', v: null };

export const lit = (v: string | number | boolean | null): Cel => ({ k: 'lit', v });
export const dbl = (v: number): Cel => ({ k: 'lit', v, double: true });
export const id = (name: string): Cel => ({ k: 'id', name });
export const sel = (of: Cel, field: string): Cel => ({ k: 'sel', of, field });
export const has = (of: Cel, field: string): Cel => ({ k: 'has', of, field });
export const index = (of: Cel, at: Cel): Cel => ({ k: 'index', of, at });
export const call = (fn: CelFunction, args: readonly Cel[], target?: Cel): Cel =>
  target === undefined ? { k: 'call', fn, args } : { k: 'call', fn, target, args };
export const eq = (l: Cel, r: Cel): Cel => ({ k: 'bin', op: '==', l, r });
export const ne = (l: Cel, r: Cel): Cel => ({ k: 'bin', op: '!=', l, r });
export const inList = (l: Cel, r: Cel): Cel => ({ k: 'bin', op: 'in', l, r });
export const plus = (...parts: Cel[]): Cel => parts.reduce((l, r) => ({ k: 'bin', op: '+', l, r }));
export const gt = (l: Cel, r: Cel): Cel => ({ k: 'bin', op: '>', l, r });
export const lt = (l: Cel, r: Cel): Cel => ({ k: 'bin', op: '<', l, r });
export const le = (l: Cel, r: Cel): Cel => ({ k: 'bin', op: '<=', l, r });
export const list = (items: readonly Cel[]): Cel => ({ k: 'list', items });
export const cond = (c: Cel, t: Cel, f: Cel, validatedTrue?: boolean): Cel =>
  validatedTrue === true ? { k: 'cond', c, t, f, validatedTrue: true } : { k: 'cond', c, t, f };
export const macro = (fn: 'exists' | 'all' | 'filter' | 'map', target: Cel, v: string, body: Cel, guard?: Cel): Cel =>
  guard === undefined || (guard.k === 'lit' && guard.v === true)
    ? { k: 'macro', fn, target, v, body }
    : { k: 'macro', fn, target, v, body, guard };

/** `a && b && ...`, folding constants: an empty list is true. */
export function and(...args: Cel[]): Cel {
  const out: Cel[] = [];
  for (const a of args) {
    if (a === TRUE || (a.k === 'lit' && a.v === true)) continue;
    if (a.k === 'lit' && a.v === false) return FALSE;
    if (a.k === 'and') out.push(...a.args);
    else out.push(a);
  }
  if (out.length === 0) return TRUE;
  if (out.length === 1) return out[0]!;
  return { k: 'and', args: out };
}

/** `a || b || ...`, folding constants: an empty list is false. */
export function or(...args: Cel[]): Cel {
  const out: Cel[] = [];
  for (const a of args) {
    if (a.k === 'lit' && a.v === false) continue;
    if (a.k === 'lit' && a.v === true) return TRUE;
    if (a.k === 'or') out.push(...a.args);
    else out.push(a);
  }
  if (out.length === 0) return FALSE;
  if (out.length === 1) return out[0]!;
  return { k: 'or', args: out };
}

/** `!a`, folding constants and double negation. */
export function not(a: Cel): Cel {
  if (a.k === 'lit' && typeof a.v === 'boolean') return a.v ? FALSE : TRUE;
  if (a.k === 'not') return a.of;
  return { k: 'not', of: a };
}

/** `type(x) == T` for the CEL type names the exporters test. */
export function isType(x: Cel, type: 'map' | 'list' | 'string' | 'bool' | 'int' | 'uint' | 'double'): Cel {
  return eq(call('type', [x]), id(type));
}

/** A CEL string literal (single quotes; backslash, quote and control characters escaped). */
export function quote(s: string): string {
  let out = "'";
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === "'") out += "\\'";
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}'`;
}

function printLiteral(e: Extract<Cel, { k: 'lit' }>): string {
  if (e.v === null) return 'null';
  if (typeof e.v === 'string') return quote(e.v);
  if (typeof e.v === 'boolean') return String(e.v);
  if (e.double === true) {
    const s = String(e.v);
    return /[.eE]/.test(s) ? s : `${s}.0`;
  }
  return String(e.v);
}

/** Prints an expression; every compound operand is parenthesised, so precedence never matters. */
export function print(e: Cel): string {
  switch (e.k) {
    case 'lit':
      return printLiteral(e);
    case 'id':
      return e.name;
    case 'sel':
      return plainField(e.field) ? `${operand(e.of)}.${e.field}` : `${operand(e.of)}[${quote(e.field)}]`;
    case 'has':
      return plainField(e.field) ? `has(${operand(e.of)}.${e.field})` : `(${quote(e.field)} in ${operand(e.of)})`;
    case 'index':
      return `${operand(e.of)}[${print(e.at)}]`;
    case 'call': {
      const args = e.args.map(print).join(', ');
      return e.target === undefined ? `${e.fn}(${args})` : `${operand(e.target)}.${e.fn}(${args})`;
    }
    case 'and':
      return e.args.map(operand).join(' && ');
    case 'or':
      return e.args.map(operand).join(' || ');
    case 'bin':
      return `${operand(e.l)} ${e.op} ${operand(e.r)}`;
    case 'not':
      return `!${operand(e.of)}`;
    case 'cond':
      return `${operand(e.c)} ? ${operand(e.t)} : ${operand(e.f)}`;
    case 'macro':
      // A guard is the first conjunct of `exists` and `filter`, the premise of `all`.
      return `${operand(e.target)}.${e.fn}(${e.v}, ${print(
        e.guard === undefined ? e.body : e.fn === 'all' ? or(not(e.guard), e.body) : and(e.guard, e.body),
      )})`;
    case 'list':
      return `[${e.items.map(print).join(', ')}]`;
  }
}

/** An operand: parenthesised unless it is atomic (a literal, a name, a selection, a call). */
function operand(e: Cel): string {
  switch (e.k) {
    case 'lit':
    case 'id':
    case 'sel':
    case 'has':
    case 'index':
    case 'call':
    case 'macro':
    case 'list':
      return print(e);
    default:
      return `(${print(e)})`;
  }
}

/**
 * The sizes the cost model assumes: every list (or map) an expression reads holds at most
 * `items` elements, every string at most `chars` characters, and an element compared as a whole
 * (`o == n`) at most `fields` fields.
 */
export interface CostModel {
  readonly items: number;
  readonly chars: number;
  /** Fields of one element compared as a whole (`o == n`, an env var or an RBAC rule). */
  readonly fields: number;
  /**
   * Lengths of the lists read as a named field (`x.containers`: `containers`), in place of
   * `items`; any other list (computed ones included) is taken as long as the longest of all.
   */
  readonly lists?: Readonly<Record<string, number>>;
}

/** The longest list of the model. */
function longest(m: CostModel): number {
  return Math.max(m.items, ...Object.values(m.lists ?? {}));
}

/** The length the model gives the list `x`. */
function listSize(x: Cel, m: CostModel): number {
  if (x.k === 'list') return x.items.length;
  if (m.lists === undefined) return m.items;
  if (x.k === 'sel') return m.lists[x.field] ?? m.items;
  return longest(m);
}

/**
 * A worst-case cost, in the apiserver's units (one per operation, strings a tenth of a unit per
 * character): every node costs 1; a string function or concatenation costs 1 + chars/10; `==`
 * with a literal costs 1 + (literal length)/10, between two values 1 + chars/10, and between two
 * whole elements (`o == n`) `fields` times that; `x in list` the list's length; a macro costs its
 * target plus `items` times (its body + 1), except that a guarded macro (a lookup by name) costs
 * `items` guards plus one body. Both sides of `&&` and `||` are counted (no short circuit), the dearer branch of `?:`,
 * so the estimate bounds what the expression can spend on inputs within the model.
 */
export function estimateCost(e: Cel, m: CostModel): number {
  const strOp = 1 + Math.ceil(m.chars / 10);
  switch (e.k) {
    case 'lit':
    case 'id':
      return 0 + (e.k === 'id' ? 1 : 0);
    case 'sel':
    case 'has':
      return 1 + estimateCost(e.of, m);
    case 'index':
      return 1 + estimateCost(e.of, m) + estimateCost(e.at, m);
    case 'call': {
      const args = e.args.reduce((s, a) => s + estimateCost(a, m), 0) + (e.target ? estimateCost(e.target, m) : 0);
      const own = e.fn === 'size' || e.fn === 'type' || e.fn === 'double' || e.fn === 'dyn' ? 1 : strOp;
      return own + args;
    }
    case 'and':
    case 'or':
      return e.args.reduce((s, a) => s + estimateCost(a, m), 0) + e.args.length - 1;
    case 'bin': {
      const sides = estimateCost(e.l, m) + estimateCost(e.r, m);
      if (e.op === 'in') return sides + listSize(e.r, m);
      if (e.op === '==' || e.op === '!=') {
        const literal = e.l.k === 'lit' ? e.l : e.r.k === 'lit' ? e.r : undefined;
        if (literal !== undefined)
          return sides + 1 + (typeof literal.v === 'string' ? Math.ceil(literal.v.length / 10) : 0);
        if (e.r.k === 'id' && e.l.k === 'call') return sides + 1; // type(x) == map
        const element = (x: Cel): boolean =>
          x.k === 'id' || x.k === 'index' || (x.k === 'sel' && x.of.k === 'id' && x.of.name === 'variables');
        const whole = element(e.l) && element(e.r);
        return sides + (whole ? m.fields * strOp : strOp);
      }
      if (e.op === '+') return sides + strOp;
      return sides + 1;
    }
    case 'not':
      return 1 + estimateCost(e.of, m);
    case 'cond':
      // Only one branch runs; the `then` branch when the apiserver's validation guarantees it,
      // or when it tests `size(list) <= K` and the model's lists are no longer than K.
      if (e.validatedTrue || withinModel(e.c, m)) return 1 + estimateCost(e.c, m) + estimateCost(e.t, m);
      return 1 + estimateCost(e.c, m) + Math.max(estimateCost(e.t, m), estimateCost(e.f, m));
    case 'macro': {
      // A macro over a list literal runs once per literal element.
      const n = listSize(e.target, m);
      if (e.guard !== undefined) {
        // A range of positions guarded by `p < size(list)` first: past the list's length (at most
        // `items`), an iteration costs that one comparison.
        const g = e.guard;
        const first = g.k === 'and' ? g.args[0] : g;
        const bounded = e.target.k === 'list' && first?.k === 'bin' && first.op === '<';
        const full = bounded ? Math.min(n, sizeOf(first, m)) : n;
        return (
          1 +
          estimateCost(e.target, m) +
          full * (estimateCost(g, m) + 2) +
          (n - full) * (estimateCost(first!, m) + 2) +
          estimateCost(e.body, m)
        );
      }
      if (e.atMostOne) return 1 + estimateCost(e.target, m) + estimateCost(e.body, m) + 1;
      // A range of positions whose body starts with `p < size(list)`: past the list's length (at
      // most `items`), an iteration costs that one comparison.
      const first = e.body.k === 'and' ? e.body.args[0] : undefined;
      if (
        e.target.k === 'list' &&
        first?.k === 'bin' &&
        first.op === '<' &&
        first.l.k === 'id' &&
        first.l.name === e.v &&
        first.r.k === 'call' &&
        first.r.fn === 'size'
      ) {
        const full = Math.min(n, sizeOf(first, m));
        return (
          1 +
          estimateCost(e.target, m) +
          full * (estimateCost(e.body, m) + 1) +
          (n - full) * (estimateCost(first, m) + 2)
        );
      }
      return 1 + estimateCost(e.target, m) + n * (estimateCost(e.body, m) + 1);
    }
    case 'list':
      return 1 + e.items.reduce((s, a) => s + estimateCost(a, m), 0);
  }
}

/** `c` is `size(x) <= K` with K at least the model's list length: true for every list of the model. */
function withinModel(c: Cel, m: CostModel): boolean {
  return (
    c.k === 'bin' &&
    c.op === '<=' &&
    c.l.k === 'call' &&
    c.l.fn === 'size' &&
    c.r.k === 'lit' &&
    typeof c.r.v === 'number' &&
    c.r.v >= listSize(c.l.args[0]!, m)
  );
}

/** The model's length of the list in `p < size(list)`. */
function sizeOf(bound: Cel, m: CostModel): number {
  return bound.k === 'bin' && bound.r.k === 'call' && bound.r.fn === 'size' ? listSize(bound.r.args[0]!, m) : m.items;
}

/** How deeply macros nest in `e` (the exponent of `items` in the cost). */
export function macroDepth(e: Cel): number {
  switch (e.k) {
    case 'lit':
    case 'id':
      return 0;
    case 'sel':
    case 'has':
    case 'not':
      return macroDepth(e.of);
    case 'index':
      return Math.max(macroDepth(e.of), macroDepth(e.at));
    case 'call':
      return Math.max(0, ...(e.target ? [macroDepth(e.target)] : []), ...e.args.map(macroDepth));
    case 'and':
    case 'or':
    case 'list':
      return Math.max(0, ...(e.k === 'list' ? e.items : e.args).map(macroDepth));
    case 'bin':
      return Math.max(macroDepth(e.l), macroDepth(e.r));
    case 'cond':
      return Math.max(macroDepth(e.c), macroDepth(e.t), macroDepth(e.f));
    case 'macro':
      return Math.max(
        macroDepth(e.target),
        e.guard === undefined ? 1 + macroDepth(e.body) : Math.max(1 + macroDepth(e.guard), macroDepth(e.body)),
      );
  }
}

/** The names `variables.NAME` that `e` reads. */
export function variablesRead(e: Cel, out: Set<string> = new Set()): Set<string> {
  const visit = (x: Cel): void => {
    switch (x.k) {
      case 'lit':
      case 'id':
        return;
      case 'sel':
        if (x.of.k === 'id' && x.of.name === 'variables') out.add(x.field);
        else visit(x.of);
        return;
      case 'has':
      case 'not':
        visit(x.of);
        return;
      case 'index':
        visit(x.of);
        visit(x.at);
        return;
      case 'call':
        if (x.target) visit(x.target);
        x.args.forEach(visit);
        return;
      case 'and':
      case 'or':
        x.args.forEach(visit);
        return;
      case 'list':
        x.items.forEach(visit);
        return;
      case 'bin':
        visit(x.l);
        visit(x.r);
        return;
      case 'cond':
        visit(x.c);
        visit(x.t);
        visit(x.f);
        return;
      case 'macro':
        visit(x.target);
        if (x.guard) visit(x.guard);
        visit(x.body);
        return;
    }
  };
  visit(e);
  return out;
}
