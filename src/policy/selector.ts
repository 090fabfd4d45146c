/**
 * JSONPath selectors, parsed once at load. The common subset (child names, `*`, non-negative
 * indexes, simple filters such as `?(@.a.b)` or `?(@.name == 'x')`) is compiled into direct
 * traversal closures; anything else runs through jsonpath-plus's safe evaluator (never `eval`),
 * refusing scripts that could stall admission (script-safety.ts). Both report
 * the concrete path of every match so messages can point at the real field.
 */
import { JSONPath } from 'jsonpath-plus';
import { refusedScriptConstruct } from './script-safety.js';

/** One step of a concrete path: an object key or an array index. */
export type PathSegment = string | number;

/** Called for every match with its value and concrete path (the array is reused: copy to keep). */
export type MatchVisitor = (value: unknown, path: PathSegment[]) => void;

/** A selector ready to run. */
export interface Selector {
  /** The expression as written in the policy. */
  readonly source: string;
  /** True when it runs as compiled traversal, false when it falls back to jsonpath-plus. */
  readonly compiled: boolean;
  /** True for `$` alone: the match is the root itself, so callers can skip the walk. */
  readonly isRoot: boolean;
  /** Literal child names along the way, for template safety checks ('*' for anything else). */
  readonly names: readonly string[];
  /** Visits every match below `root`, with paths that start with `base`. */
  visit(root: unknown, base: PathSegment[], visitor: MatchVisitor): void;
  /** True when `predicate` holds for some match; stops at the first, builds no paths. */
  some(root: unknown, predicate: (value: unknown) => boolean): boolean;
}

type Predicate = (item: unknown) => boolean;

/** One compiled step: a named child (or index), or every child that passes an optional filter. */
type Step = { kind: 'child'; name: string; index: number } | { kind: 'each'; predicate: Predicate | undefined };

const IDENT = /^[A-Za-z_$][\w$-]*$/;
const FILTER_EXISTS = /^\?\((!?)@((?:\.[A-Za-z_$][\w$-]*)+)\)$/;
const FILTER_COMPARE =
  /^\?\(@((?:\.[A-Za-z_$][\w$-]*)+)\s*(===|==|!==|!=)\s*('(?:[^'\\]*)'|"(?:[^"\\]*)"|-?\d+(?:\.\d+)?|true|false|null)\)$/;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

/** Marks a read through null/undefined, which jsonpath-plus treats as a failed filter. */
const UNREADABLE = Symbol('unreadable');

function readPath(item: unknown, keys: readonly string[]): unknown {
  let cur = item;
  for (const k of keys) {
    if (cur === null || cur === undefined) return UNREADABLE;
    if (!isObject(cur) || Array.isArray(cur) || !Object.hasOwn(cur, k)) {
      cur = undefined;
      continue;
    }
    cur = cur[k];
  }
  return cur;
}

function parseLiteral(text: string): unknown {
  if (text.startsWith("'") || text.startsWith('"')) return text.slice(1, -1);
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (text === 'null') return null;
  return Number(text);
}

/** Compiles a filter segment of the subset, or returns undefined when it is outside it. */
function compileFilter(segment: string): Predicate | undefined {
  const exists = FILTER_EXISTS.exec(segment);
  if (exists !== null) {
    const keys = exists[2]!.slice(1).split('.');
    const negate = exists[1] === '!';
    // jsonpath-plus evaluates `@.x` with JavaScript truthiness; keep the same meaning.
    return (item) => {
      const v = readPath(item, keys);
      return v !== UNREADABLE && (negate ? !v : Boolean(v));
    };
  }
  const cmp = FILTER_COMPARE.exec(segment);
  if (cmp !== null) {
    const keys = cmp[1]!.slice(1).split('.');
    const literal = parseLiteral(cmp[3]!);
    // Same meaning as JavaScript (and jsonpath-plus): `==` is loose, `===` strict.
    const strict = cmp[2]!.length === 3;
    // biome-ignore lint/suspicious/noDoubleEquals: policies ask for JavaScript's loose equality with `==`
    const equal = strict ? (v: unknown) => v === literal : (v: unknown) => v == literal;
    const negate = cmp[2]!.startsWith('!');
    return (item) => {
      const v = readPath(item, keys);
      return v !== UNREADABLE && (negate ? !equal(v) : equal(v));
    };
  }
  return undefined;
}

/** Walks compiled steps depth-first without allocating; `path` is pushed and popped in place. */
function walk(steps: readonly Step[], i: number, value: unknown, path: PathSegment[], visitor: MatchVisitor): void {
  if (i === steps.length) {
    visitor(value, path);
    return;
  }
  if (!isObject(value)) return;
  const step = steps[i]!;
  if (step.kind === 'child') {
    if (Array.isArray(value)) {
      if (step.index < 0 || step.index >= value.length) return;
      path.push(step.index);
      walk(steps, i + 1, value[step.index], path, visitor);
    } else {
      if (!Object.hasOwn(value, step.name)) return;
      path.push(step.name);
      walk(steps, i + 1, value[step.name], path, visitor);
    }
    path.pop();
    return;
  }
  const { predicate } = step;
  if (Array.isArray(value)) {
    for (let k = 0; k < value.length; k++) {
      const child: unknown = value[k];
      if (predicate !== undefined && !predicate(child)) continue;
      path.push(k);
      walk(steps, i + 1, child, path, visitor);
      path.pop();
    }
    return;
  }
  for (const key of Object.keys(value)) {
    const child = value[key];
    if (predicate !== undefined && !predicate(child)) continue;
    path.push(key);
    walk(steps, i + 1, child, path, visitor);
    path.pop();
  }
}

/** Like walk, but path-free and stopping at the first value the predicate accepts. */
function walkSome(steps: readonly Step[], i: number, value: unknown, predicate: (value: unknown) => boolean): boolean {
  if (i === steps.length) return predicate(value);
  if (!isObject(value)) return false;
  const step = steps[i]!;
  if (step.kind === 'child') {
    if (Array.isArray(value))
      return step.index >= 0 && step.index < value.length && walkSome(steps, i + 1, value[step.index], predicate);
    return Object.hasOwn(value, step.name) && walkSome(steps, i + 1, value[step.name], predicate);
  }
  const filter = step.predicate;
  if (Array.isArray(value)) {
    for (let k = 0; k < value.length; k++) {
      const child: unknown = value[k];
      if ((filter === undefined || filter(child)) && walkSome(steps, i + 1, child, predicate)) return true;
    }
    return false;
  }
  for (const key of Object.keys(value)) {
    const child = value[key];
    if ((filter === undefined || filter(child)) && walkSome(steps, i + 1, child, predicate)) return true;
  }
  return false;
}

/** Result of parsing an expression: a selector or a sentence saying what is wrong. */
export type SelectorParse = { selector: Selector } | { error: string };

/**
 * Parses a JSONPath expression once. Expressions must start with `$`. Returns an error
 * sentence for expressions jsonpath-plus cannot run either.
 */
export function compileSelector(source: string): SelectorParse {
  const trimmed = source.trim();
  if (!trimmed.startsWith('$')) return { error: `selector "${source}" must start with "$"` };
  let parts: string[];
  try {
    parts = JSONPath.toPathArray(trimmed);
  } catch {
    return { error: `selector "${source}" is not a JSONPath expression` };
  }
  if (parts[0] !== '$') return { error: `selector "${source}" must start with "$"` };
  const segments = parts.slice(1);
  const steps: Step[] = [];
  const names: string[] = [];
  let inSubset = true;
  for (const seg of segments) {
    if (seg === '*') {
      steps.push({ kind: 'each', predicate: undefined });
      names.push('*');
    } else if (seg.startsWith('?(')) {
      const predicate = compileFilter(seg);
      if (predicate === undefined) inSubset = false;
      else steps.push({ kind: 'each', predicate });
      names.push('*');
    } else if (IDENT.test(seg) || /^\d+$/.test(seg) || (seg !== '' && seg !== '..' && !/[,:()@~^*?]/.test(seg))) {
      steps.push({ kind: 'child', name: seg, index: /^\d+$/.test(seg) ? Number(seg) : -1 });
      names.push(seg);
    } else {
      inSubset = false;
      names.push(seg === '..' ? '..' : '*');
    }
  }
  if (inSubset) return { selector: compiledSelector(trimmed, steps, names) };
  const invalid = checkScripts(segments);
  if (invalid !== undefined) return { error: `selector "${source}": ${invalid}` };
  return { selector: fallbackSelector(trimmed, names) };
}

function compiledSelector(source: string, steps: Step[], names: string[]): Selector {
  const frozen = Object.freeze(steps);
  return {
    source,
    compiled: true,
    isRoot: steps.length === 0,
    names: Object.freeze(names),
    visit(root, base, visitor) {
      walk(frozen, 0, root, base.slice(), visitor);
    },
    some(root, predicate) {
      return walkSome(frozen, 0, root, predicate);
    },
  };
}

/** jsonpath-plus's safe evaluator: parses a script into a jsep tree, then walks the tree. */
type ScriptClass = new (
  code: string,
) => {
  ast: unknown;
  runInNewContext(context: object): unknown;
};
const SafeScript = (JSONPath as unknown as { prototype: { safeVm: { Script: ScriptClass } } }).prototype.safeVm.Script;

/**
 * The safe evaluator, refusing to build a script that could stall admission (script-safety.ts).
 * The loader refuses such scripts first; this catches any that jsonpath-plus's own path
 * splitting would produce where the loader did not look, so one is never run. Exported for
 * its test.
 */
export class GuardedScript extends SafeScript {
  constructor(code: string) {
    super(code);
    const refused = refusedScriptConstruct(this.ast);
    if (refused !== undefined) throw new Error(`the filter script ${refused}`);
  }

  // jsonpath-plus uses a class as the evaluator only when runInNewContext is its own method.
  override runInNewContext(context: object): unknown {
    return super.runInNewContext(context);
  }
}

/** `@string()`, `@number()`, ...: jsonpath-plus's value-type selectors. */
const VALUE_TYPE = /^@[a-zA-Z]+\(\)$/;

/**
 * Validates `(...)` and `?(...)` scripts with jsonpath-plus's safe evaluator parser, and refuses
 * the constructs that could stall admission (script-safety.ts). A parenthesis anywhere else
 * (a script cut apart by jsonpath-plus's splitter, or inside a union) is refused too: such a
 * segment would fail, or run unchecked, only when a review arrives.
 */
function checkScripts(segments: string[]): string | undefined {
  for (const seg of segments) {
    const m = /^\??\((.*)\)$/s.exec(seg);
    if (m === null) {
      if (/[()]/.test(seg) && !VALUE_TYPE.test(seg))
        return `"${seg}" is not a whole script; write a filter as [?(...)] and a script as [(...)], alone in their brackets`;
      continue;
    }
    const script = m[1]!
      .replaceAll('@parentProperty', '_$_parentProperty')
      .replaceAll('@parent', '_$_parent')
      .replaceAll('@property', '_$_property')
      .replaceAll('@root', '_$_root')
      .replaceAll(/@([.\s)[])/gu, '_$_v$1');
    let ast: unknown;
    try {
      ast = new SafeScript(script).ast;
    } catch (err) {
      return `the expression "${m[1]}" cannot be parsed (${err instanceof Error ? err.message : String(err)})`;
    }
    const refused = refusedScriptConstruct(ast);
    if (refused !== undefined) return `the expression "${m[1]}" ${refused}`;
  }
  return undefined;
}

function pointerToPath(root: unknown, pointer: string): PathSegment[] {
  const out: PathSegment[] = [];
  if (pointer === '') return out;
  let cur: unknown = root;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    const seg: PathSegment = Array.isArray(cur) && /^\d+$/.test(key) ? Number(key) : key;
    out.push(seg);
    cur = isObject(cur) ? (cur as Record<string, unknown>)[key] : undefined;
  }
  return out;
}

function fallbackSelector(source: string, names: string[]): Selector {
  return {
    source,
    compiled: false,
    isRoot: false,
    names: Object.freeze(names),
    visit(root, base, visitor) {
      // A filter that throws (`@.a.b` where `a` is missing) means "no match", as in the compiled subset.
      const results = JSONPath({
        path: source,
        json: root as object,
        resultType: 'all',
        eval: GuardedScript,
        ignoreEvalErrors: true,
        wrap: true,
      }) as Array<{
        value: unknown;
        pointer: string;
      }>;
      for (const r of results) visitor(r.value, [...base, ...pointerToPath(root, r.pointer)]);
    },
    some(root, predicate) {
      let found = false;
      this.visit(root, [], (value) => {
        if (!found && predicate(value)) found = true;
      });
      return found;
    },
  };
}

/** Formats a concrete path the way kubectl users read it: `spec.containers[0].env[2]`. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_][\w-]*$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}
