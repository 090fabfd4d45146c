/**
 * Reads Kubernetes manifests for `shroud check` and `shroud policy test`: YAML or JSON,
 * multi-document, `kind: List` items. Each object keeps its document and item index and can
 * map a path inside it back to a line of the file.
 *
 * Linear in the size of the file: duplicate keys are found with a Set per map rather than the
 * yaml package's pairwise `uniqueKeys` check, paths are located through per-map indexes, and a
 * document whose aliases expand it past `maxExpandedNodes` is an error at the line where it does.
 *
 * A duplicated key does not stop a document: it is read as a last-wins YAML reader reads it
 * (the last value counts, and violations point at it), and each repeat is reported as
 * POLICY_INPUT_DUPLICATE_KEY at its line beside the objects.
 */
import { LineCounter, parseAllDocuments, type Document } from 'yaml';
import {
  DEFAULT_MAX_EXPANDED_NODES,
  findYamlProblems,
  sourceDocument,
  type PathSegment,
  type SourceDocument,
  type YamlProblem,
} from '../policy/index.js';
import type { FileIssue } from '../issues.js';
import { isRecord } from '../util/is-record.js';

/** One Kubernetes object found in a file. */
export interface ManifestObject {
  /** Index among the file's non-empty documents, from 0. */
  document: number;
  /** Index inside a `kind: List`, or null. */
  item: number | null;
  object: Record<string, unknown>;
  /** 1-based line of `path` inside this object, when it can be found. */
  lineOf(path: readonly PathSegment[]): number | undefined;
  /**
   * 1-based file line of line `lineInValue` of the string at `path`, when the string is a YAML
   * literal block (`key: |`); undefined otherwise (see SourceDocument.locateInValue).
   */
  fileLineOf(path: readonly PathSegment[], lineInValue: number): number | undefined;
}

/** Options for parseManifest. */
export interface ManifestOptions {
  /** Most nodes a YAML document that uses aliases may expand to; default DEFAULT_MAX_EXPANDED_NODES (1,000,000). */
  maxExpandedNodes?: number;
}

export interface ParsedManifest {
  objects: ManifestObject[];
  /**
   * Documents that could not be parsed (POLICY_INPUT_INVALID), and repeated keys of documents
   * that were read all the same (POLICY_INPUT_DUPLICATE_KEY), with line and column.
   */
  errors: FileIssue[];
  /** Non-empty documents that are not Kubernetes objects (no apiVersion and kind). */
  skipped: number;
}

function isKubeObject(v: unknown): v is Record<string, unknown> {
  return isRecord(v) && typeof v.kind === 'string' && typeof v.apiVersion === 'string';
}

function isList(v: Record<string, unknown>): boolean {
  return Array.isArray(v.items) && (v.kind === 'List' || (typeof v.kind === 'string' && v.kind.endsWith('List')));
}

interface Locator {
  line(documentIndex: number, path: readonly PathSegment[]): number | undefined;
  valueLine(documentIndex: number, path: readonly PathSegment[], lineInValue: number): number | undefined;
}

function expand(value: unknown, document: number, locate: Locator, out: ParsedManifest): void {
  if (!isKubeObject(value)) {
    out.skipped++;
    return;
  }
  if (!isList(value)) {
    out.objects.push({
      document,
      item: null,
      object: value,
      lineOf: (p) => locate.line(document, p),
      fileLineOf: (p, n) => locate.valueLine(document, p, n),
    });
    return;
  }
  (value.items as unknown[]).forEach((item, i) => {
    if (!isRecord(item)) {
      out.skipped++;
      return;
    }
    out.objects.push({
      document,
      item: i,
      object: item,
      lineOf: (p) => locate.line(document, ['items', i, ...p]),
      fileLineOf: (p, n) => locate.valueLine(document, ['items', i, ...p], n),
    });
  });
}

/** Locates paths in YAML documents; `docs` are the non-empty ones in order. */
function yamlLocator(docs: Document[], lineCounter: LineCounter, file: string): Locator {
  // One SourceDocument per document, so the key indexes it builds serve every later lookup.
  const sources = new Map<number, SourceDocument>();
  const sourceOf = (index: number): SourceDocument | undefined => {
    const doc = docs[index];
    if (doc === undefined) return undefined;
    let source = sources.get(index);
    if (source === undefined) {
      source = sourceDocument(file, doc, lineCounter);
      sources.set(index, source);
    }
    return source;
  };
  return {
    line: (index, path) => sourceOf(index)?.locate(path).line,
    valueLine: (index, path, lineInValue) => sourceOf(index)?.locateInValue(path, lineInValue)?.line,
  };
}

function inputIssue(file: string, line: number, column: number, message: string): FileIssue {
  return { code: 'POLICY_INPUT_INVALID', message, file, line, column };
}

/**
 * What is wrong with a document: the first problem that stops it from being read (a yaml error
 * or an alias problem, by position), and every duplicate key. A duplicate does not stop it: the
 * document is read as a last-wins YAML reader reads it, and the duplicate is reported beside it.
 */
function problemsOf(
  doc: Document,
  options: ManifestOptions,
): { fatal: { offset: number; message: string } | undefined; duplicates: YamlProblem[] } {
  const yamlError = doc.errors[0];
  // Alias expansion is only judged on a document that parsed: a broken one is reported as broken.
  if (yamlError !== undefined)
    return { fatal: { offset: yamlError.pos[0], message: yamlError.message.split('\n')[0]! }, duplicates: [] };
  const problems = findYamlProblems(doc, {
    maxExpandedNodes: options.maxExpandedNodes ?? DEFAULT_MAX_EXPANDED_NODES,
  });
  return {
    fatal: problems.find((p) => p.code !== 'DUPLICATE_KEY'),
    duplicates: problems.filter((p) => p.code === 'DUPLICATE_KEY'),
  };
}

/** A duplicate key as a POLICY_INPUT_DUPLICATE_KEY issue at the repeated key. */
function duplicateIssue(file: string, lineCounter: LineCounter, problem: YamlProblem): FileIssue {
  const pos = lineCounter.linePos(problem.offset);
  const first = problem.duplicate === undefined ? undefined : lineCounter.linePos(problem.duplicate.firstOffset).line;
  // A key is a name, but it can be up to 1024 characters long (more when quoted): show its start.
  const name = problem.duplicate?.key;
  const shown = name === undefined ? undefined : name.length > 80 ? `${name.slice(0, 80)}…` : name;
  const key = shown === undefined ? 'a key' : `key ${JSON.stringify(shown)}`;
  return {
    code: 'POLICY_INPUT_DUPLICATE_KEY',
    message: `${key} appears again in the same map${first === undefined ? '' : ` (first at line ${first})`}; YAML readers that accept this keep the last value, which is what was checked, and strict ones refuse the file. Remove one of them.`,
    file,
    line: pos.line,
    column: pos.col,
  };
}

function parseYaml(file: string, text: string, out: ParsedManifest, options: ManifestOptions): void {
  const lineCounter = new LineCounter();
  // uniqueKeys: false because the package's check is quadratic in map size (findYamlProblems
  // finds duplicates with a Set per map), and so that a duplicated key reads as its last value.
  const all = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
  // Only non-empty documents count: `---` with nothing (or only comments) after it is not one.
  const docs: Document[] = [];
  const values: unknown[] = [];
  const problems: Array<{ offset: number; message: string } | undefined> = [];
  const duplicates: YamlProblem[][] = [];
  for (const doc of Array.isArray(all) ? all : []) {
    const found = problemsOf(doc, options);
    if (found.fatal !== undefined) {
      docs.push(doc);
      values.push(undefined);
      problems.push(found.fatal);
      duplicates.push([]);
      continue;
    }
    let value: unknown;
    try {
      // maxAliasCount stays: the package resolves each alias by scanning every anchor and alias
      // before it, so the number of aliases must be bounded too.
      value = doc.toJS({ maxAliasCount: 1000 });
    } catch (err) {
      const pos = lineCounter.linePos(doc.range[0]);
      out.errors.push(inputIssue(file, pos.line, pos.col, (err as Error).message));
      continue;
    }
    if (value === null || value === undefined) {
      // An empty document has no keys, so no duplicates to lose here.
      continue;
    }
    docs.push(doc);
    values.push(value);
    problems.push(undefined);
    duplicates.push(found.duplicates);
  }
  const locate = yamlLocator(docs, lineCounter, file);
  docs.forEach((_doc, index) => {
    const problem = problems[index];
    if (problem !== undefined) {
      const pos = lineCounter.linePos(problem.offset);
      out.errors.push(inputIssue(file, pos.line, pos.col, problem.message));
      return;
    }
    for (const d of duplicates[index] ?? []) out.errors.push(duplicateIssue(file, lineCounter, d));
    expand(values[index], index, locate, out);
  });
}

/**
 * Parses one file's text. JSON is read with JSON.parse and re-read as YAML to report repeated
 * keys and find lines for violations; anything else, or JSON that does not parse, goes through the
 * YAML parser, which reports errors with line and column.
 */
export function parseManifest(file: string, text: string, options: ManifestOptions = {}): ParsedManifest {
  const out: ParsedManifest = { objects: [], errors: [], skipped: 0 };
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    let value: unknown;
    let parsed = false;
    try {
      value = JSON.parse(text);
      parsed = true;
    } catch {
      // Not strict JSON: the YAML parser below accepts more and says where it fails.
    }
    if (parsed) {
      // JSON.parse keeps the last of repeated keys, as a last-wins YAML reader does; the text is
      // read again as YAML (no uniqueKeys: quadratic) to report each repeat and to find lines.
      const lineCounter = new LineCounter();
      const all = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
      const docs = Array.isArray(all) ? all : [];
      const first = docs[0];
      if (first !== undefined && first.errors.length === 0)
        for (const problem of findYamlProblems(first, { maxExpandedNodes: DEFAULT_MAX_EXPANDED_NODES }))
          if (problem.code === 'DUPLICATE_KEY') out.errors.push(duplicateIssue(file, lineCounter, problem));
      expand(value, 0, yamlLocator(docs, lineCounter, file), out);
      return out;
    }
  }
  parseYaml(file, text, out, options);
  return out;
}
