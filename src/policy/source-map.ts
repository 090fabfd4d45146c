/**
 * Maps a path inside a parsed YAML document back to file, line and column, so every issue
 * in a policy file points at the text the platform engineer wrote.
 */
import { isMap, isScalar, isSeq, type Document, type LineCounter, type Node, type Pair, type YAMLMap } from 'yaml';
import type { PathSegment } from './selector.js';

/** 1-based line and column. */
export interface Position {
  line: number;
  column: number;
}

/** Where a document came from, able to locate paths inside it. */
export interface SourceDocument {
  readonly file: string;
  /**
   * Position of the value at `path`, or of its key when `key` is true. Falls back to the
   * deepest node that exists along the path.
   */
  locate(path: readonly PathSegment[], key?: boolean): Position;
  /**
   * Position of line `lineInValue` (1-based) of the string at `path` when it is written as a
   * literal block scalar (`key: |`), whose lines are the file's lines one for one; undefined for
   * every other style (quoted or folded strings, JSON), where a line inside the value has no
   * single line in the file.
   */
  locateInValue(path: readonly PathSegment[], lineInValue: number): Position | undefined;
}

function keyOf(node: unknown): unknown {
  return isScalar(node) ? node.value : node;
}

/**
 * Creates a SourceDocument over a parsed yaml Document. Each map is indexed by key the first
 * time a path goes through it, so locating a path costs its length, not the size of the maps
 * along it: `shroud check` locates every violation, and a ConfigMap with 40,000 flagged keys
 * took 40,000 scans of 40,000 keys before.
 */
export function sourceDocument(file: string, doc: Document, lineCounter: LineCounter): SourceDocument {
  const toPosition = (offset: number): Position => {
    const p = lineCounter.linePos(offset);
    return { line: p.line, column: p.col };
  };
  const indexes = new WeakMap<YAMLMap, Map<string, Pair>>();
  const pairOf = (map: YAMLMap, seg: string | number): Pair | undefined => {
    let index = indexes.get(map);
    if (index === undefined) {
      index = new Map();
      // The last pair with a key wins, as it does for the value: a manifest with a duplicated key
      // is judged on its last value (src/cli/manifests.ts), so its violations point there.
      for (const pair of map.items) index.set(String(keyOf(pair.key)), pair);
      indexes.set(map, index);
    }
    return index.get(String(seg));
  };
  return {
    file,
    locate(path, key = false) {
      let node: Node | null | undefined = doc.contents as Node | null;
      let found: number = node?.range?.[0] ?? 0;
      for (let i = 0; i < path.length; i++) {
        const seg = path[i]!;
        const last = i === path.length - 1;
        if (isMap(node)) {
          const pair = pairOf(node as YAMLMap, seg);
          if (pair === undefined) break;
          const keyNode = pair.key as Node | null;
          if (last && key && keyNode?.range) return toPosition(keyNode.range[0]);
          node = pair.value as Node | null;
          found = node?.range?.[0] ?? keyNode?.range?.[0] ?? found;
        } else if (isSeq(node) && typeof seg === 'number') {
          const item = node.items[seg] as Node | undefined;
          if (item === undefined) break;
          node = item;
          found = item.range?.[0] ?? found;
        } else {
          break;
        }
      }
      return toPosition(found);
    },
    locateInValue(path, lineInValue) {
      let node: Node | null | undefined = doc.contents as Node | null;
      for (const seg of path) {
        if (isMap(node)) {
          const pair = pairOf(node as YAMLMap, seg);
          if (pair === undefined) return undefined;
          node = pair.value as Node | null;
        } else if (isSeq(node) && typeof seg === 'number') {
          node = node.items[seg] as Node | undefined;
        } else {
          return undefined;
        }
      }
      if (!isScalar(node) || node.type !== 'BLOCK_LITERAL' || node.range === undefined || node.range === null)
        return undefined;
      // The header (`|`, `|-`, `|2`) sits on the key's line; line 1 of the value is the next one.
      return { line: toPosition(node.range[0]).line + lineInValue, column: 1 };
    },
  };
}
