/**
 * Turns policy file texts into a PolicySet plus every issue found (pure: no file system).
 * YAML errors, schema errors, compile errors and bound violations all carry file, line and
 * column. The work is a generator that pauses between small steps, so the server's loader can
 * let requests run in between (load-dir.ts); parsePolicyFiles runs it straight through.
 */
import { buildFormatIndex, type RegexFormat, type TokenFormat } from '../detect/index.js';
import {
  compileException,
  compileExclusions,
  compilePolicy,
  compileSecretFormats,
  compileWorkloadKinds,
  type DeclaredFormat,
  type ExceptionDoc,
  type ExclusionsDoc,
  type PolicyDoc,
  type SecretFormatsDoc,
  type WorkloadKindsDoc,
} from './compile-document.js';
import { capIssues, DEFAULT_POLICY_LIMITS, formatBytes, lineAtByte, type PolicyLimits } from './limits.js';
import { buildPolicySet } from './policy-set.js';
import { checkSchema, fieldName } from './schema-check.js';
import { formatPath } from './selector.js';
import type { SourceDocument } from './source-map.js';
import { didYouMean } from './suggest.js';
import type { Issue } from '../issues.js';
import type { CompiledException, CompiledExclusion, CompiledPolicy, PolicySet, WorkloadKind } from './types.js';
import { yamlDocuments, type RawDocument } from './yaml-documents.js';

/** One policy file: its name as shown in issues, and its text. */
export interface PolicyFile {
  file: string;
  text: string;
  /**
   * A built-in policy file (the `policies/` folder that ships with Shroud). A team's document
   * with the same kind and name replaces a built-in one instead of being a duplicate.
   */
  builtin?: boolean;
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

/** What the documents of a policy directory compile to, before names are checked. */
interface Compiled {
  policies: Array<Loaded<CompiledPolicy>>;
  exceptions: Array<Loaded<CompiledException>>;
  /** One entry per `kind: PolicyExclusions` document; `item.name` is the document's name. */
  exclusions: Array<Loaded<{ name: string; file: string; entries: CompiledExclusion[] }>>;
  workloadKinds: Array<{ kind: WorkloadKind; source: SourceDocument; at: Array<string | number> }>;
  /** Team token formats (`kind: SecretFormats`), in load order. */
  formats: Array<DeclaredFormat & { source: SourceDocument }>;
}

/**
 * Parses every YAML document of one file; empty documents are skipped. Documents over
 * `limits.maxDocumentNodes` (aliases expanded) are `POLICY_TOO_LARGE` issues.
 */
export function parseYamlDocuments(
  file: string,
  text: string,
  issues: Issue[],
  code: Issue['code'],
  limits: Pick<PolicyLimits, 'maxDocumentNodes'> = DEFAULT_POLICY_LIMITS,
): RawDocument[] {
  const out: RawDocument[] = [];
  for (const doc of yamlDocuments(file, text, limits, issues, code)) if (doc !== undefined) out.push(doc);
  return out;
}

/** The issue for a file over the per-file limit, at the line where the limit is passed. */
export function fileTooLarge(file: string, head: Uint8Array, size: number | undefined, limit: number): Issue {
  const actual = size === undefined ? '' : ` (it has ${formatBytes(size)})`;
  return {
    code: 'POLICY_TOO_LARGE',
    message: `the file passes ${formatBytes(limit)}, the limit per policy file, at this line${actual}; split it into several files`,
    file,
    line: lineAtByte(head, limit),
    column: 1,
  };
}

/** The issue for the file in which the directory total passes its limit; `skipped` files were not read. */
export function totalTooLarge(file: string, head: Uint8Array, room: number, limit: number, skipped: number): Issue {
  const rest = skipped > 0 ? `; ${skipped} more file(s) were not read` : '';
  return {
    code: 'POLICY_TOO_LARGE',
    message: `the policy files together pass ${formatBytes(limit)}, the limit for a policy directory, at this line${rest}; remove files that are not policies or split the directory`,
    file,
    line: lineAtByte(head, room),
    column: 1,
  };
}

/**
 * Parses and compiles policy files (multi-document YAML), yielding between steps. Returns the
 * set of everything valid and all issues; callers that enforce must keep their previous set
 * when `issues` is not empty.
 */
export function* policyLoadSteps(
  files: ReadonlyArray<PolicyFile>,
  limits: PolicyLimits = DEFAULT_POLICY_LIMITS,
): Generator<void, LoadResult<PolicySet>> {
  const issues: Issue[] = [];
  const compiled: Compiled = { policies: [], exceptions: [], exclusions: [], workloadKinds: [], formats: [] };
  const policyNames = new Map<string, Set<string> | undefined>();
  let total = 0;
  for (const [index, { file, text }] of files.entries()) {
    if (capIssues(issues, limits.maxIssues)) break;
    const bytes = Buffer.byteLength(text);
    if (bytes > limits.maxFileBytes) {
      issues.push(fileTooLarge(file, Buffer.from(text), bytes, limits.maxFileBytes));
      continue;
    }
    if (total + bytes > limits.maxTotalBytes) {
      const skipped = files.length - index - 1;
      issues.push(totalTooLarge(file, Buffer.from(text), limits.maxTotalBytes - total, limits.maxTotalBytes, skipped));
      break;
    }
    total += bytes;
    for (const doc of yamlDocuments(file, text, limits, issues, 'POLICY_PARSE_FAILED')) {
      if (doc === undefined) {
        yield;
        continue;
      }
      yield* addDocument(doc, issues, limits.maxIssues, compiled, policyNames);
      if (issues.length > limits.maxIssues) break;
      yield;
    }
  }
  if (capIssues(issues, limits.maxIssues)) return { value: buildPolicySet([], []), issues };
  const builtin = new Set(files.filter((f) => f.builtin === true).map((f) => f.file));
  const uniquePolicies = unique(compiled.policies, 'policy', issues, builtin);
  const uniqueExceptions = unique(compiled.exceptions, 'exception', issues, builtin);
  const validExceptions = uniqueExceptions.filter((e) => checkReferences(e, policyNames, issues));
  const uniqueExclusions = unique(compiled.exclusions, 'exclusions document', issues, builtin);
  return {
    value: buildPolicySet(
      uniquePolicies.map((p) => p.item),
      validExceptions.map((e) => e.item),
      uniqueExclusions.flatMap((x) => x.item.entries),
      uniqueWorkloadKinds(compiled.workloadKinds, issues, builtin),
      formatIndex(compiled.formats, issues),
    ),
    issues,
  };
}

/**
 * Parses and compiles policy files (multi-document YAML) in one go. Returns the set of
 * everything valid and all issues; callers that enforce must keep their previous set when
 * `issues` is not empty. The bounds default to DEFAULT_POLICY_LIMITS.
 */
export function parsePolicyFiles(
  files: ReadonlyArray<PolicyFile>,
  limits: PolicyLimits = DEFAULT_POLICY_LIMITS,
): LoadResult<PolicySet> {
  const steps = policyLoadSteps(files, limits);
  for (;;) {
    const step = steps.next();
    if (step.done === true) return step.value;
  }
}

/**
 * Checks and compiles one document, remembering policy names for exception references; pauses
 * before the schema check and before compiling (each about 10 ms of CPU for a document at the
 * node limit). The schema check converts at most the problems the load can still report.
 */
function* addDocument(
  doc: RawDocument,
  issues: Issue[],
  maxIssues: number,
  compiled: Compiled,
  policyNames: Map<string, Set<string> | undefined>,
): Generator<void, void> {
  yield;
  // One more than fits, so the load knows to stop and say so.
  const schemaIssues = checkSchema(doc.value, doc.source, Math.max(1, maxIssues - issues.length + 1));
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
    return;
  }
  yield;
  const { source } = doc;
  if (kind === 'Policy') {
    const item = compilePolicy(doc.value as PolicyDoc, source, issues);
    if (item !== undefined) compiled.policies.push({ item, source });
  } else if (kind === 'PolicyExclusions') {
    const value = doc.value as ExclusionsDoc;
    const entries = compileExclusions(value, source, issues);
    if (entries !== undefined)
      compiled.exclusions.push({ item: { name: value.metadata.name, file: source.file, entries }, source });
  } else if (kind === 'SecretFormats') {
    const declared = compileSecretFormats(doc.value as SecretFormatsDoc, source, issues);
    if (declared !== undefined) for (const d of declared) compiled.formats.push({ ...d, source });
  } else if (kind === 'WorkloadKinds') {
    for (const w of compileWorkloadKinds(doc.value as WorkloadKindsDoc, source))
      compiled.workloadKinds.push({ ...w, source });
  } else {
    const item = compileException(doc.value as ExceptionDoc, source, issues);
    if (item !== undefined) compiled.exceptions.push({ item, source });
  }
}

/**
 * The format index of the built-in table plus the team's formats, one per name: a second format
 * of the same name (in another document) is a POLICY_DUPLICATE_NAME issue.
 */
function formatIndex(declared: Compiled['formats'], issues: Issue[]) {
  const first = new Map<string, SourceDocument>();
  const formats: TokenFormat[] = [];
  const regexFormats: RegexFormat[] = [];
  for (const d of declared) {
    const prior = first.get(d.name);
    if (prior !== undefined) {
      issues.push(
        issueAt(
          'POLICY_DUPLICATE_NAME',
          d.source,
          [...d.at, 'name'],
          `${fieldName([...d.at, 'name'])}: secret format "${d.name}" is already declared (in ${prior.file})`,
        ),
      );
      continue;
    }
    first.set(d.name, d.source);
    if (d.format !== undefined) formats.push(d.format);
    if (d.regex !== undefined) regexFormats.push(d.regex);
  }
  return buildFormatIndex(formats, regexFormats);
}

/** Workload kinds with the first declaration of each `group/Kind` kept; later ones are issues. */
function uniqueWorkloadKinds(
  declared: Compiled['workloadKinds'],
  issues: Issue[],
  builtin: ReadonlySet<string>,
): WorkloadKind[] {
  const first = new Map<string, WorkloadKind>();
  for (const { kind, source, at } of declared) {
    const key = `${kind.group}/${kind.kind}`;
    const prior = first.get(key);
    // A team's declaration replaces a built-in one.
    if (prior === undefined || (builtin.has(prior.file) && !builtin.has(source.file))) {
      first.set(key, kind);
      continue;
    }
    if (builtin.has(source.file) && !builtin.has(prior.file)) continue;
    issues.push(
      issueAt(
        'POLICY_DUPLICATE_NAME',
        source,
        at,
        `${fieldName(at)}: workload kind ${key} is already declared (in ${prior.file}); keep one pod template path per kind`,
      ),
    );
  }
  return [...first.values()];
}

function issueAt(code: Issue['code'], source: SourceDocument, path: Array<string | number>, message: string): Issue {
  const pos = source.locate(path);
  return { code, message, file: source.file, line: pos.line, column: pos.column, path: formatPath(path) };
}

/**
 * The loaded items with one per name: a second of the same name is a POLICY_DUPLICATE_NAME
 * issue, except that a team's document replaces a built-in one of the same name (and kind).
 */
function unique<T extends { name: string; file: string }>(
  loaded: Array<Loaded<T>>,
  what: string,
  issues: Issue[],
  builtin: ReadonlySet<string> = new Set(),
): Array<Loaded<T>> {
  const first = new Map<string, Loaded<T>>();
  for (const { item, source } of loaded) {
    const prior = first.get(item.name);
    if (prior === undefined || (builtin.has(prior.item.file) && !builtin.has(item.file))) {
      first.set(item.name, { item, source });
      continue;
    }
    if (builtin.has(item.file) && !builtin.has(prior.item.file)) continue;
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
