/**
 * A small worst-case CEL cost estimate for the exported MutatingAdmissionPolicy, over the AST of
 * an independent parser (@marcbachmann/cel-js). kube-apiserver stops an expression whose runtime
 * cost passes 1,000,000 (PerCallLimit) and a policy evaluation past 10,000,000
 * (RuntimeCELCostBudget). The model follows cel-go's runtime cost rules, rounded up:
 *
 * - a constant costs 0, an identifier or field selection 1, a call or operator 1;
 * - a list literal 10, a map literal 30 (a JSONPatch{...} is counted as a map literal, 30, not
 *   the 40 of a message: see map-eval.ts for the reading);
 * - a string function (`split`, `trim`, `join`, `contains`, `startsWith`, `+` of strings) 1 +
 *   ceil(length / 10); `matches` 1 + ceil(length / 10) * ceil(pattern length / 4);
 * - `in`, `==` of lists, `indexOf`, `+` of lists: 1 + the elements touched;
 * - a comprehension (`all`, `exists`, `map`, `filter`): its range, then per element 2 + its body;
 * - `a ? b : c` the condition and the dearer branch; `&&`, `||` both sides.
 *
 * List and string sizes come from `Bounds`: a pod far larger than any seen in practice.
 */
import { Environment } from '@marcbachmann/cel-js';

export interface Bounds {
  containers: number;
  initContainers: number;
  volumes: number;
  /** volumeMounts of one container. */
  mounts: number;
  /** sources of one projected volume; args of one container. */
  smallLists: number;
  /** Characters of the shroud.dev/sealed annotation, and how many entries (comma-separated) it has. */
  sealedLength: number;
  sealedEntries: number;
  /** Characters of a mount path (the annotation's and each volumeMount's), and how many segments. */
  pathLength: number;
  pathSegments: number;
  /** Any other string (names: 253). */
  stringLength: number;
}

/** 30 containers and init containers, 64 volumes, 24 mounts each, a 1 KiB annotation, 256-character paths. */
export const LARGE_POD: Bounds = {
  containers: 20,
  initContainers: 10,
  volumes: 64,
  mounts: 24,
  smallLists: 16,
  sealedLength: 1024,
  sealedEntries: 16,
  pathLength: 256,
  pathSegments: 8,
  stringLength: 253,
};

type Node = { op: string; args: unknown };
/**
 * What is known of a value: how many elements (lists), how many characters (strings, or each
 * element's), and for a string, what splitting it gives. The elements of a split are charged
 * the average length (exact for costs linear in the length, which all here are); the test
 * takes the worst over many entry counts.
 */
interface Size {
  items?: number;
  chars?: number;
  split?: Size;
}
interface Result {
  cost: number;
  size: Size;
}

const parser = new Environment({ unlistedVariablesAreDyn: true, homogeneousAggregateLiterals: false });
const COMPREHENSIONS = new Set(['all', 'exists', 'exists_one', 'map', 'filter']);
const STRING_FUNCTIONS = new Set(['split', 'trim', 'join', 'contains', 'startsWith', 'endsWith']);

/** The sizes of the policy's variables and of the pod's fields, from the bounds. */
function sizes(b: Bounds): { variables: Record<string, Size>; fields: Record<string, Size> } {
  const entries = b.sealedEntries;
  const entry = { items: entries, chars: Math.ceil(b.sealedLength / entries) };
  const segment = { items: b.pathSegments, chars: Math.ceil(b.pathLength / b.pathSegments) };
  const path = { chars: b.pathLength, split: segment };
  const all = b.containers + b.initContainers;
  return {
    variables: {
      sealedAnnotation: { chars: b.sealedLength, split: entry },
      configMaps: entry,
      mountPathAnnotation: path,
      mountSegments: segment,
      mountPath: path,
      containers: { items: b.containers },
      initContainers: { items: b.initContainers },
      volumes: { items: b.volumes },
      containerNames: { items: b.containers, chars: b.stringLength },
      initContainerNames: { items: b.initContainers, chars: b.stringLength },
      volumeNames: { items: b.volumes, chars: b.stringLength },
      plannedVolumes: { items: entries + 2 },
      missingVolumes: { items: entries + 2 },
      users: { items: all },
      nonRootUsers: { items: all },
      groups: { items: all },
    },
    fields: {
      containers: { items: b.containers },
      initContainers: { items: b.initContainers },
      volumes: { items: b.volumes },
      volumeMounts: { items: b.mounts },
      sources: { items: b.smallLists },
      args: { items: b.smallLists, chars: b.stringLength },
      mountPath: path,
    },
  };
}

/** The estimated worst-case cost of one expression (the mutation as map-eval.ts reads it). */
export function estimateCost(expression: string, bounds: Bounds): number {
  const { variables, fields } = sizes(bounds);
  const ast = parser.parse(expression).ast as Node;
  const chars = (s: Size) => s.chars ?? bounds.stringLength;
  const strCost = (s: Size) => 1 + Math.ceil(chars(s) / 10);

  function walk(node: Node, scope: Record<string, Size>): Result {
    const args = node.args as unknown[];
    switch (node.op) {
      case 'value':
        return { cost: 0, size: typeof node.args === 'string' ? { chars: (node.args as string).length } : {} };
      case 'id': {
        const name = node.args as string;
        return { cost: 1, size: scope[name] ?? {} };
      }
      case '.': {
        const [object, field] = args as [Node, string];
        const inner = walk(object, scope);
        const isVariables = object.op === 'id' && object.args === 'variables';
        return { cost: inner.cost + 1, size: (isVariables ? variables[field] : fields[field]) ?? {} };
      }
      case 'list': {
        const items = (args as Node[]).map((a) => walk(a, scope));
        return { cost: 10 + sum(items), size: { items: items.length } };
      }
      case 'map':
        return { cost: 30 + sum((args as Node[][]).flat().map((a) => walk(a, scope))), size: {} };
      case '?:': {
        const [c, a, b] = (args as Node[]).map((n) => walk(n, scope)) as [Result, Result, Result];
        const dearer = a.cost >= b.cost ? a : b;
        return { cost: c.cost + dearer.cost, size: dearer.size };
      }
      case '!_':
      case '-_':
        return { cost: 1 + walk(node.args as Node, scope).cost, size: {} };
      case 'call': {
        const [, callArgs] = args as [string, Node[]];
        return { cost: 1 + sum(callArgs.map((a) => walk(a, scope))), size: {} };
      }
      case 'rcall':
        return rcall(args as [string, Node, Node[]], scope);
      default: {
        const [left, right] = (args as Node[]).map((n) => walk(n, scope)) as [Result, Result];
        const base = left.cost + right.cost + 1;
        if (node.op === 'in') return { cost: base + (right.size.items ?? 0), size: {} };
        if (node.op === '==' || node.op === '!=' || node.op === '+') {
          const items = (left.size.items ?? 0) + (right.size.items ?? 0);
          const text = left.size.items === undefined && right.size.items === undefined;
          const joined = text ? { chars: chars(left.size) + chars(right.size) } : { items };
          return {
            cost: base + (text ? Math.ceil(joined.chars! / 10) : items),
            size: node.op === '+' ? joined : {},
          };
        }
        return { cost: base, size: {} };
      }
    }
  }

  function rcall([name, receiver, callArgs]: [string, Node, Node[]], scope: Record<string, Size>): Result {
    const range = walk(receiver, scope);
    if (COMPREHENSIONS.has(name)) {
      const variable = (callArgs[0] as Node).args as string;
      const element: Size = range.size.chars === undefined ? {} : { chars: range.size.chars };
      const inner = { ...scope, [variable]: element };
      const body = sum(callArgs.slice(1).map((a) => walk(a, inner)));
      const n = range.size.items ?? 0;
      const out = name === 'map' || name === 'filter' ? { items: n } : {};
      return { cost: range.cost + n * (2 + body), size: out };
    }
    const rest = sum(callArgs.map((a) => walk(a, scope)));
    if (name === 'matches') {
      const pattern = (callArgs[0] as Node).args as string;
      return {
        cost: range.cost + rest + 1 + Math.ceil(chars(range.size) / 10) * Math.ceil(pattern.length / 4),
        size: {},
      };
    }
    if (name === 'indexOf' || name === 'lastIndexOf')
      return { cost: range.cost + rest + 1 + (range.size.items ?? 0), size: {} };
    if (STRING_FUNCTIONS.has(name)) {
      const size =
        name === 'split'
          ? (range.size.split ?? { items: Math.floor(chars(range.size) / 2) + 1, chars: chars(range.size) })
          : name === 'trim'
            ? { chars: chars(range.size) }
            : name === 'join'
              ? { chars: chars(range.size) * (range.size.items ?? 1), split: range.size }
              : {};
      const cost = range.cost + rest + strCost(range.size);
      // join reads every element.
      return { cost: name === 'join' ? cost + (range.size.items ?? 0) : cost, size };
    }
    return { cost: range.cost + rest + 1, size: {} };
  }

  return walk(ast, {}).cost;
}

function sum(results: Result[]): number {
  return results.reduce((total, r) => total + r.cost, 0);
}
