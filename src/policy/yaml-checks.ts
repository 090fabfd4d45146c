/**
 * Checks on a parsed YAML document, in one pass over its nodes, that the yaml package does in
 * quadratic time or not at all:
 * - duplicate map keys: its `uniqueKeys` option compares each new key with every earlier key of
 *   the map, so a ConfigMap with 40,000 keys costs 800 million comparisons; parse with
 *   `uniqueKeys: false` and call this instead (a Set per map, same error, same position);
 * - the size a document grows to once its aliases are expanded: `maxAliasCount` bounds how
 *   many aliases resolve, not how much each one copies, so 999 aliases of a container with 1,000
 *   env vars (a 78 KB file) become a million env vars;
 * - aliases that refer to a node containing them, which make the value cyclic (no JSON, so no
 *   Kubernetes object, can be).
 */
import { isAlias, isMap, isPair, isScalar, isSeq, type Document } from 'yaml';

/**
 * Most nodes a document that uses aliases may have once they are expanded. kube-apiserver
 * refuses request bodies over 3 MiB and etcd objects over 1.5 MiB, and every node of a JSON
 * object takes a few bytes, so no object it accepts comes near this; a document without
 * aliases is as large as its text and is never refused for its size.
 */
export const DEFAULT_MAX_EXPANDED_NODES = 1_000_000;

/** Options for findYamlProblems. */
export interface YamlCheckOptions {
  /** Most nodes after alias expansion; default DEFAULT_MAX_EXPANDED_NODES. */
  maxExpandedNodes?: number;
}

/** A problem in a YAML document, at an offset of its source text. */
export interface YamlProblem {
  /** `DUPLICATE_KEY` is the yaml package's own code for the same problem. */
  code: 'DUPLICATE_KEY' | 'ALIAS_EXPANSION' | 'ALIAS_CYCLE';
  /** Offset in the source text (the key, the alias, or the node where the limit was passed). */
  offset: number;
  /** One sentence saying what is wrong and what to do. */
  message: string;
  /** DUPLICATE_KEY only: the repeated key, as text, and the offset of its first occurrence in the map. */
  duplicate?: { key: string; firstOffset: number };
}

type Frame = { exit: false; node: unknown } | { exit: true; anchor: string; start: number };

function offsetOf(node: unknown): number {
  const range = (node as { range?: readonly number[] | null }).range;
  return range?.[0] ?? 0;
}

/**
 * Every duplicate key, every cyclic alias and, when the document uses aliases and expands past
 * `maxExpandedNodes`, the node where it does; sorted by offset. Linear in the number of nodes
 * of the source (an alias is never walked into: the size of what it names is known by then).
 */
export function findYamlProblems(doc: Document, options: YamlCheckOptions = {}): YamlProblem[] {
  const max = options.maxExpandedNodes ?? DEFAULT_MAX_EXPANDED_NODES;
  const problems: YamlProblem[] = [];
  // Anchor name -> expanded size of the node it names; undefined while that node is being walked.
  // A later anchor with the same name replaces an earlier one, as it does for the yaml package.
  const anchors = new Map<string, number | undefined>();
  let total = 0;
  let hasAlias = false;
  let passedAt: number | undefined;
  // Depth-first in document order with an explicit stack: deep nesting cannot overflow the call stack.
  const stack: Frame[] = [{ exit: false, node: doc.contents }];
  while (stack.length > 0) {
    const frame = stack.pop()!;
    if (frame.exit) {
      anchors.set(frame.anchor, total - frame.start);
      continue;
    }
    const node = frame.node;
    if (node === null || node === undefined) continue;
    if (isPair(node)) {
      stack.push({ exit: false, node: node.value }, { exit: false, node: node.key });
      continue;
    }
    if (isAlias(node)) {
      hasAlias = true;
      const known = anchors.has(node.source);
      const size = anchors.get(node.source);
      if (known && size === undefined) {
        problems.push({
          code: 'ALIAS_CYCLE',
          offset: offsetOf(node),
          message: `alias *${node.source} refers to a node that contains it, so the value would be infinite; write the repeated part out`,
        });
      }
      // An alias with no anchor before it is left to the yaml package, which reports it.
      total += size ?? 1;
    } else {
      const anchor = (node as { anchor?: string }).anchor;
      if (anchor !== undefined && anchor !== '') {
        anchors.set(anchor, undefined);
        stack.push({ exit: true, anchor, start: total });
      }
      total += 1;
      if (isMap(node)) {
        // Key -> offset of its first occurrence in this map.
        const keys = new Map<unknown, number>();
        for (const pair of node.items) {
          // The yaml package's equality: the same node, or scalars with the same value (=== , so NaN never repeats).
          if (!isScalar(pair.key)) continue;
          const value = pair.key.value;
          if (typeof value === 'number' && Number.isNaN(value)) continue;
          const first = keys.get(value);
          if (first !== undefined)
            problems.push({
              code: 'DUPLICATE_KEY',
              offset: offsetOf(pair.key),
              message: 'Map keys must be unique',
              duplicate: { key: String(value), firstOffset: first },
            });
          else keys.set(value, offsetOf(pair.key));
        }
      }
      if (isMap(node) || isSeq(node)) {
        const items = node.items as unknown[];
        for (let i = items.length - 1; i >= 0; i--) stack.push({ exit: false, node: items[i] });
      }
    }
    if (passedAt === undefined && total > max) passedAt = offsetOf(node);
  }
  if (hasAlias && passedAt !== undefined) {
    problems.push({
      code: 'ALIAS_EXPANSION',
      offset: passedAt,
      message: `aliases expand this document to more than ${max} nodes (passed here); write the repeated parts out or split the document`,
    });
  }
  return problems.sort((a, b) => a.offset - b.offset);
}
