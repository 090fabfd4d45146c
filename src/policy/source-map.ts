/**
 * Maps a path inside a parsed YAML document back to file, line and column, so every issue
 * in a policy file points at the text the platform engineer wrote.
 */
import { isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
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
}

function keyOf(node: unknown): unknown {
  return isScalar(node) ? node.value : node;
}

/** Creates a SourceDocument over a parsed yaml Document. */
export function sourceDocument(file: string, doc: Document, lineCounter: LineCounter): SourceDocument {
  const toPosition = (offset: number): Position => {
    const p = lineCounter.linePos(offset);
    return { line: p.line, column: p.col };
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
          const pair = node.items.find((p) => String(keyOf(p.key)) === String(seg));
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
  };
}
