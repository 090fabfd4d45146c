/**
 * Reads Kubernetes manifests for `shroud check` and `shroud policy test`: YAML or JSON,
 * multi-document, `kind: List` items. Each object keeps its document and item index and can
 * map a path inside it back to a line of the file.
 */
import { LineCounter, parseAllDocuments, type Document } from 'yaml';
import type { FileIssue } from '../issues.js';
import { sourceDocument, type PathSegment } from '../policy/index.js';
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
}

export interface ParsedManifest {
  objects: ManifestObject[];
  /** Documents that could not be parsed (POLICY_INPUT_INVALID), with line and column. */
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

type Locator = (documentIndex: number, path: readonly PathSegment[]) => number | undefined;

function expand(value: unknown, document: number, locate: Locator, out: ParsedManifest): void {
  if (!isKubeObject(value)) {
    out.skipped++;
    return;
  }
  if (!isList(value)) {
    out.objects.push({ document, item: null, object: value, lineOf: (p) => locate(document, p) });
    return;
  }
  (value.items as unknown[]).forEach((item, i) => {
    if (!isRecord(item)) {
      out.skipped++;
      return;
    }
    out.objects.push({ document, item: i, object: item, lineOf: (p) => locate(document, ['items', i, ...p]) });
  });
}

/** Locates paths in YAML documents; `docs` are the non-empty ones in order. */
function yamlLocator(docs: Document[], lineCounter: LineCounter, file: string): Locator {
  return (index, path) => {
    const doc = docs[index];
    return doc === undefined ? undefined : sourceDocument(file, doc, lineCounter).locate(path).line;
  };
}

function inputIssue(file: string, line: number, column: number, message: string): FileIssue {
  return { code: 'POLICY_INPUT_INVALID', message, file, line, column };
}

function parseYaml(file: string, text: string, out: ParsedManifest): void {
  const lineCounter = new LineCounter();
  const all = parseAllDocuments(text, { lineCounter, prettyErrors: false });
  // Only non-empty documents count: `---` with nothing (or only comments) after it is not one.
  const docs: Document[] = [];
  const values: unknown[] = [];
  for (const doc of Array.isArray(all) ? all : []) {
    if (doc.errors.length > 0) {
      docs.push(doc);
      values.push(undefined);
      continue;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 1000 });
    } catch (err) {
      const pos = lineCounter.linePos(doc.range[0]);
      out.errors.push(inputIssue(file, pos.line, pos.col, (err as Error).message));
      continue;
    }
    if (value === null || value === undefined) continue;
    docs.push(doc);
    values.push(value);
  }
  const locate = yamlLocator(docs, lineCounter, file);
  docs.forEach((doc, index) => {
    if (doc.errors.length > 0) {
      const err = doc.errors[0]!;
      const pos = lineCounter.linePos(err.pos[0]);
      out.errors.push(inputIssue(file, pos.line, pos.col, err.message.split('\n')[0]!));
      return;
    }
    expand(values[index], index, locate, out);
  });
}

/**
 * Parses one file's text. JSON is read with JSON.parse (fast) and re-read as YAML only to
 * find lines for violations; anything else, or JSON that does not parse, goes through the
 * YAML parser, which reports errors with line and column.
 */
export function parseManifest(file: string, text: string): ParsedManifest {
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
      let located: Locator | undefined;
      const locate: Locator = (index, path) => {
        if (located === undefined) {
          const lineCounter = new LineCounter();
          const all = parseAllDocuments(text, { lineCounter });
          located = yamlLocator(Array.isArray(all) ? all : [], lineCounter, file);
        }
        return located(index, path);
      };
      expand(value, 0, locate, out);
      return out;
    }
  }
  parseYaml(file, text, out);
  return out;
}
