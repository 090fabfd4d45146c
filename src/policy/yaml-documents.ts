/**
 * Reads the YAML documents of one file within a node bound, in small steps.
 *
 * The yaml package's own guard, `maxAliasCount`, limits how often each anchor is used, not how
 * large the result grows, and it resolves every alias by scanning all anchors before it: a
 * 380 KB file of aliased rules ran the process out of memory, and 2,000 anchors used 30 times
 * each kept the loader busy for 51 s. So every document is measured before it is converted:
 *
 * 1. While lexing, node-starting tokens are counted (scalars, aliases, `[`, `{`, `-`, `?`,
 *    `:`); that is at most two per node, so a document with more than twice the bound is
 *    certainly over it and is stopped before it is composed.
 * 2. After composing, one walk in document order counts the nodes, an alias counting as a copy
 *    of the node it names; it rejects aliases without an anchor before them and aliases inside
 *    the node they name (a cycle), and replaces each alias by that node, so the conversion to
 *    plain values copies within the bound and never resolves an alias itself.
 *
 * The generator yields `undefined` every few hundred tokens and after each document, so a
 * caller can let other work run (see load-dir.ts).
 */
import {
  Composer,
  CST,
  isAlias,
  isDocument,
  isMap,
  isNode,
  isPair,
  isSeq,
  Lexer,
  LineCounter,
  Parser,
  type Document,
  type Node,
  type Pair,
  type YAMLMap,
  type YAMLSeq,
} from 'yaml';
import type { PolicyLimits } from './limits.js';
import { sourceDocument, type SourceDocument } from './source-map.js';
import type { Issue } from '../issues.js';

/** A yaml document that is valid YAML, within bounds and not empty. */
export interface RawDocument {
  value: unknown;
  source: SourceDocument;
}

/** Lexer tokens that start a node (a scalar's text follows its `scalar` marker token). */
const NODE_TOKENS: ReadonlySet<string> = new Set([
  'scalar',
  'single-quoted-scalar',
  'double-quoted-scalar',
  'alias',
  'flow-map-start',
  'flow-seq-start',
  'seq-item-ind',
  'explicit-key-ind',
  'map-value-ind',
]);

/** Returned by a conversion after which the rest of the file is not read. */
const STOP = Symbol('stop');

/** Tokens that begin a new document. */
const DOCUMENT_TOKENS: ReadonlySet<string> = new Set(['doc-mode', 'doc-start', 'doc-end']);

/** Lexer tokens between two pause points (well under a millisecond of lexing and parsing). */
const TOKENS_PER_STEP = 512;

/** The children of a document, mapping (keys and values), sequence or pair, readable and replaceable by index. */
interface Children {
  count: number;
  get(i: number): unknown;
  set(i: number, node: Node): void;
}

function childrenOf(parent: Document | YAMLMap | YAMLSeq | Pair): Children {
  if (isDocument(parent)) {
    return {
      count: 1,
      get: () => parent.contents,
      set: (_, node) => {
        parent.contents = node;
      },
    };
  }
  if (isPair(parent)) {
    return {
      count: 2,
      get: (i) => (i === 0 ? parent.key : parent.value),
      set: (i, node) => {
        if (i === 0) parent.key = node;
        else parent.value = node;
      },
    };
  }
  if (isMap(parent)) {
    const pairs = parent.items;
    return {
      count: pairs.length * 2,
      get: (i) => (i % 2 === 0 ? pairs[i >> 1]!.key : pairs[i >> 1]!.value),
      set: (i, node) => {
        if (i % 2 === 0) pairs[i >> 1]!.key = node;
        else pairs[i >> 1]!.value = node;
      },
    };
  }
  const items = parent.items;
  return {
    count: items.length,
    get: (i) => items[i],
    set: (i, node) => {
      items[i] = node;
    },
  };
}

interface Frame {
  /** The mapping or sequence (undefined for the document and for pairs, which aliases cannot name). */
  node: Node | undefined;
  children: Children;
  next: number;
  /** Nodes below and including `node`, aliases expanded. */
  size: number;
}

/** What is wrong with a document's nodes, and where (an offset into the file). */
interface NodeProblem {
  code: Issue['code'];
  offset: number;
  message: string;
}

function tooManyNodes(max: number): string {
  return `this document has more than ${max} YAML nodes, the limit per document; split it into several documents or files`;
}

function offsetOf(node: unknown, fallback: number): number {
  const range = (node as { range?: [number, number, number] } | null)?.range;
  return range?.[0] ?? fallback;
}

/**
 * Counts the nodes of `doc` with every alias expanded, stopping at the first problem, and
 * replaces each alias by the node it names. Linear in the number of nodes written in the file.
 */
export function boundDocumentNodes(doc: Document, maxNodes: number): NodeProblem | undefined {
  const anchors = new Map<string, Node>();
  const sizes = new Map<Node, number>();
  const open = new Set<Node>();
  const docOffset = offsetOf(doc.contents, 0);
  const stack: Frame[] = [{ node: undefined, children: childrenOf(doc), next: 0, size: 0 }];
  let total = 0;
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    if (frame.next >= frame.children.count) {
      stack.pop();
      if (frame.node !== undefined) {
        open.delete(frame.node);
        if (frame.node.anchor !== undefined) sizes.set(frame.node, frame.size);
      }
      if (stack.length > 0) stack[stack.length - 1]!.size += frame.size;
      continue;
    }
    const index = frame.next++;
    const node = frame.children.get(index);
    if (isAlias(node)) {
      const name = node.source;
      const target = anchors.get(name);
      const at = offsetOf(node, docOffset);
      if (target === undefined) {
        return {
          code: 'POLICY_PARSE_FAILED',
          offset: at,
          message: `alias *${name} names no anchor &${name} before it`,
        };
      }
      if (open.has(target)) {
        return {
          code: 'POLICY_PARSE_FAILED',
          offset: at,
          message: `alias *${name} is inside the node it names (&${name}); a document cannot contain itself`,
        };
      }
      const size = sizes.get(target) ?? 1;
      total += size;
      if (total > maxNodes) {
        return {
          code: 'POLICY_TOO_LARGE',
          offset: at,
          message: `alias *${name} (a copy of ${size} nodes) takes this document over ${maxNodes} YAML nodes, the limit per document with aliases expanded; use fewer aliases or split the document`,
        };
      }
      frame.size += size;
      frame.children.set(index, target);
      continue;
    }
    if (isPair(node)) {
      // A pair inside a sequence (`!!pairs`, `!!omap`) is not a node of its own; its key and value are.
      stack.push({ node: undefined, children: childrenOf(node), next: 0, size: 0 });
      continue;
    }
    if (!isNode(node)) continue; // an empty key or value
    total += 1;
    if (total > maxNodes) {
      return {
        code: 'POLICY_TOO_LARGE',
        offset: offsetOf(node, docOffset),
        message: tooManyNodes(maxNodes),
      };
    }
    // An alias names the last node before it, in document order, that has its anchor.
    if (node.anchor !== undefined) anchors.set(node.anchor, node);
    if (isMap(node) || isSeq(node)) {
      open.add(node);
      stack.push({ node, children: childrenOf(node), next: 0, size: 1 });
    } else {
      frame.size += 1;
      if (node.anchor !== undefined) sizes.set(node, 1);
    }
  }
  return undefined;
}

/**
 * Yields the documents of one file as plain values with their source maps, and `undefined` at
 * pause points. YAML errors become issues with `code`; bound violations become
 * `POLICY_TOO_LARGE` issues at the line where the bound was passed, and the rest of that file
 * is not read. Empty documents are skipped.
 */
export function* yamlDocuments(
  file: string,
  text: string,
  limits: Pick<PolicyLimits, 'maxDocumentNodes'>,
  issues: Issue[],
  code: Issue['code'],
): Generator<RawDocument | undefined, void> {
  const lineCounter = new LineCounter();
  const parser = new Parser(lineCounter.addNewLine);
  lineCounter.addNewLine(0);
  const composer = new Composer({ uniqueKeys: true });
  const at = (offset: number) => {
    const pos = lineCounter.linePos(offset);
    return { file, line: pos.line, column: pos.col };
  };
  const maxNodes = limits.maxDocumentNodes;

  // Turns one composed document into a value (undefined when it has none), or STOP when the
  // rest of the file must not be read.
  const convert = (doc: Document.Parsed): RawDocument | undefined | typeof STOP => {
    if (doc.errors.length > 0) {
      for (const err of doc.errors) issues.push({ code, message: err.message.split('\n')[0]!, ...at(err.pos[0]) });
      return undefined;
    }
    if (doc.contents === null) return undefined;
    try {
      const problem = boundDocumentNodes(doc, maxNodes);
      if (problem !== undefined) {
        issues.push({ code: problem.code, message: problem.message, ...at(problem.offset) });
        return problem.code === 'POLICY_TOO_LARGE' ? STOP : undefined;
      }
      // No alias is left (see boundDocumentNodes); 0 makes the yaml package refuse one if there were.
      const value: unknown = doc.toJS({ maxAliasCount: 0 });
      // `---` followed by nothing but comments is an empty document, not a null object.
      if (value === null || value === undefined) return undefined;
      return { value, source: sourceDocument(file, doc, lineCounter) };
    } catch (err) {
      // Nothing above is expected to throw; if the yaml package does, say where rather than fail the load.
      const reason = (err as Error).message.split('\n')[0];
      issues.push({ code, message: `this document cannot be read: ${reason}`, ...at(offsetOf(doc.contents, 0)) });
      return undefined;
    }
  };

  const composed: Document.Parsed[] = [];
  let stopped = false;
  // Composing was one step; converting each composed document is the next.
  function* convertComposed(): Generator<RawDocument | undefined, void> {
    while (composed.length > 0 && !stopped) {
      yield undefined;
      const raw = convert(composed.shift()!);
      if (raw === STOP) stopped = true;
      else if (raw !== undefined) yield raw;
    }
  }

  let lexemes = 0;
  let nodeTokens = 0;
  let afterScalarMarker = false;
  for (const lexeme of new Lexer().lex(text, false)) {
    if (afterScalarMarker) {
      afterScalarMarker = false; // the text of a scalar, whatever it looks like
    } else {
      const type = CST.tokenType(lexeme);
      if (type === 'scalar') afterScalarMarker = true;
      if (type !== null && DOCUMENT_TOKENS.has(type)) nodeTokens = 0;
      else if (type !== null && NODE_TOKENS.has(type) && ++nodeTokens > 2 * maxNodes) {
        issues.push({ code: 'POLICY_TOO_LARGE', message: tooManyNodes(maxNodes), ...at(parser.offset) });
        return;
      }
    }
    for (const token of parser.next(lexeme)) composed.push(...composer.next(token));
    yield* convertComposed();
    if (stopped) return;
    if (++lexemes % TOKENS_PER_STEP === 0) yield undefined;
  }
  for (const token of parser.end()) composed.push(...composer.next(token));
  composed.push(...composer.end(false, -1));
  yield* convertComposed();
}
