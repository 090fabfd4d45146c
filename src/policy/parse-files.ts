/**
 * Turns policy file texts into a PolicySet plus every issue found (pure: no file system).
 * YAML errors, schema errors and compile errors all carry file, line and column.
 */
import { LineCounter, parseAllDocuments } from 'yaml';
import { compileException, compilePolicy, type ExceptionDoc, type PolicyDoc } from './compile-document.js';
import { buildPolicySet } from './policy-set.js';
import { checkSchema } from './schema-check.js';
import { formatPath } from './selector.js';
import { sourceDocument, type SourceDocument } from './source-map.js';
import { didYouMean } from './suggest.js';
import type { Issue } from '../issues.js';
import type { CompiledException, CompiledPolicy, PolicySet } from './types.js';

/** One policy file: its name as shown in issues, and its text. */
export interface PolicyFile {
  file: string;
  text: string;
}

/** A loader result: what could be loaded, and everything that was wrong. */
export interface LoadResult<T> {
  value: T;
  issues: Issue[];
}

interface Loaded<T> {
  item: T;
  source: SourceDocument;
}

/** A yaml document that is valid YAML and not empty, ready for the schema. */
interface RawDocument {
  value: unknown;
  source: SourceDocument;
}

/** Parses every YAML document of one file; empty documents are skipped. */
export function parseYamlDocuments(file: string, text: string, issues: Issue[], code: Issue['code']): RawDocument[] {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const out: RawDocument[] = [];
  for (const doc of Array.isArray(docs) ? docs : []) {
    if (doc.errors.length > 0) {
      for (const err of doc.errors) {
        const pos = lineCounter.linePos(err.pos[0]);
        issues.push({ code, message: err.message.split('\n')[0]!, file, line: pos.line, column: pos.col });
      }
      continue;
    }
    if (doc.contents === null) continue;
    const value: unknown = doc.toJS({ maxAliasCount: 1000 });
    // `---` followed by nothing but comments is an empty document, not a null object.
    if (value === null || value === undefined) continue;
    out.push({ value, source: sourceDocument(file, doc, lineCounter) });
  }
  return out;
}

function issueAt(code: Issue['code'], source: SourceDocument, path: Array<string | number>, message: string): Issue {
  const pos = source.locate(path);
  return { code, message, file: source.file, line: pos.line, column: pos.column, path: formatPath(path) };
}

/**
 * Parses and compiles policy files (multi-document YAML). Returns the set of everything valid
 * and all issues; callers that enforce must keep their previous set when `issues` is not empty.
 */
export function parsePolicyFiles(files: ReadonlyArray<PolicyFile>): LoadResult<PolicySet> {
  const issues: Issue[] = [];
  const policies: Array<Loaded<CompiledPolicy>> = [];
  const exceptions: Array<Loaded<CompiledException>> = [];
  const policyNames = new Map<string, Set<string> | undefined>();
  for (const { file, text } of files) {
    for (const doc of parseYamlDocuments(file, text, issues, 'POLICY_PARSE_FAILED')) {
      const schemaIssues = checkSchema(doc.value, doc.source);
      const kind = (doc.value as { kind?: unknown }).kind;
      if (kind === 'Policy') {
        // Remember the name even when the policy is invalid, so exceptions naming it do not add noise.
        const p = doc.value as Partial<PolicyDoc>;
        const name = p.metadata?.name;
        if (typeof name === 'string' && !policyNames.has(name)) {
          const rules = Array.isArray(p.spec?.rules)
            ? p.spec.rules.map((r) => r?.name).filter((n) => typeof n === 'string')
            : [];
          policyNames.set(name, schemaIssues.length === 0 ? new Set(rules) : undefined);
        }
      }
      if (schemaIssues.length > 0) {
        issues.push(...schemaIssues);
        continue;
      }
      if (kind === 'Policy') {
        const compiled = compilePolicy(doc.value as PolicyDoc, doc.source, issues);
        if (compiled !== undefined) policies.push({ item: compiled, source: doc.source });
      } else {
        const compiled = compileException(doc.value as ExceptionDoc, doc.source, issues);
        if (compiled !== undefined) exceptions.push({ item: compiled, source: doc.source });
      }
    }
  }
  const uniquePolicies = unique(policies, 'policy', issues);
  const uniqueExceptions = unique(exceptions, 'exception', issues);
  const validExceptions = uniqueExceptions.filter((e) => checkReferences(e, policyNames, issues));
  return {
    value: buildPolicySet(
      uniquePolicies.map((p) => p.item),
      validExceptions.map((e) => e.item),
    ),
    issues,
  };
}

function unique<T extends { name: string; file: string }>(
  loaded: Array<Loaded<T>>,
  what: string,
  issues: Issue[],
): Array<Loaded<T>> {
  const first = new Map<string, Loaded<T>>();
  for (const { item, source } of loaded) {
    const prior = first.get(item.name);
    if (prior === undefined) {
      first.set(item.name, { item, source });
      continue;
    }
    issues.push(
      issueAt(
        'POLICY_DUPLICATE_NAME',
        source,
        ['metadata', 'name'],
        `metadata.name: another ${what} is already named "${item.name}" (in ${prior.item.file})`,
      ),
    );
  }
  return [...first.values()];
}

function checkReferences(
  { item, source }: Loaded<CompiledException>,
  policyNames: Map<string, Set<string> | undefined>,
  issues: Issue[],
): boolean {
  let ok = true;
  [...item.policies.entries()].forEach(([name, rules], i) => {
    if (!policyNames.has(name)) {
      ok = false;
      issues.push(
        issueAt(
          'POLICY_REFERENCE_UNKNOWN',
          source,
          ['spec', 'policies', i, 'name'],
          `policies[${i}].name: no policy is named "${name}"${didYouMean(name, policyNames.keys())}`,
        ),
      );
      return;
    }
    const known = policyNames.get(name);
    if (rules === undefined || known === undefined) return;
    for (const rule of rules) {
      if (known.has(rule)) continue;
      ok = false;
      issues.push(
        issueAt(
          'POLICY_REFERENCE_UNKNOWN',
          source,
          ['spec', 'policies', i, 'rules'],
          `policies[${i}].rules: policy "${name}" has no rule "${rule}"${didYouMean(rule, known)}`,
        ),
      );
    }
  });
  return ok;
}
