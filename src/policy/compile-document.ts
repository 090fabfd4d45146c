/**
 * Compiles one schema-valid document into a CompiledPolicy or CompiledException: selectors,
 * conditions, regular expressions, templates, globs and dates. Problems become issues located
 * in the source document.
 */
import { checkFormat, type RegexFormat, type TokenFormat } from '../detect/index.js';
import type { Issue } from '../issues.js';
import { compileCondition, OPERATORS, type Operator } from './conditions.js';
import { compileGlobs } from './glob.js';
import { compileLinearRegex } from './linear-regex.js';
import { freezeCollection } from './freeze.js';
import { compileSelector, formatPath, type PathSegment, type Selector } from './selector.js';
import { fieldName } from './schema-check.js';
import type { SourceDocument } from './source-map.js';
import { compileTemplate } from './template.js';
import type {
  CompiledException,
  CompiledExclusion,
  CompiledPolicy,
  CompiledRule,
  Condition,
  Enforcement,
  PolicyMatch,
  WorkloadKind,
} from './types.js';

interface RuleDoc {
  name: string;
  enforcement?: Enforcement;
  kinds?: string[];
  select?: string | string[];
  when?: Array<Record<string, unknown>>;
  message: string;
}

interface PolicyDoc {
  metadata: { name: string; description?: string };
  spec: {
    enforcement: Enforcement;
    match: {
      kinds: string[];
      operations?: string[];
      namespaces?: { include?: string[]; exclude?: string[] };
      objectSelector?: {
        matchLabels?: Record<string, string>;
        matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
      };
      excludeUsers?: string[];
      excludeGroups?: string[];
    };
    rules: RuleDoc[];
  };
}

interface ExceptionDoc {
  metadata: { name: string };
  spec: {
    policies: Array<{ name: string; rules?: string[] }>;
    match: { namespaces?: string[]; kinds?: string[]; names?: string[] };
    reason: string;
    expires?: string;
  };
}

interface ExclusionsDoc {
  metadata: { name: string };
  spec: {
    exclusions: Array<{
      name: string;
      reason: string;
      namespaces?: string[];
      kinds?: string[];
      names?: string[];
      labels?: Record<string, string>;
    }>;
  };
}

interface WorkloadKindsDoc {
  metadata: { name: string };
  spec: { kinds: Array<{ kind: string; podTemplate: string }> };
}

interface SecretFormatDoc {
  name: string;
  provider: string;
  description?: string;
  tier: 'high' | 'low';
  prefixes?: string[];
  alphabet?: string;
  length?: number | { min: number; max: number };
  regex?: string;
  keyHints?: string[];
}

interface SecretFormatsDoc {
  metadata: { name: string };
  spec: { formats: SecretFormatDoc[] };
}

/** Collects issues for one document. */
class IssueSink {
  readonly issues: Issue[] = [];
  constructor(private readonly source: SourceDocument) {}

  add(code: Issue['code'], path: PathSegment[], text: string, key = false): void {
    const pos = this.source.locate(path, key);
    this.issues.push({
      code,
      message: `${fieldName(path)}: ${text}`,
      file: this.source.file,
      line: pos.line,
      column: pos.column,
      path: formatPath(path),
    });
  }
}

function selectorOrIssue(source: string, path: PathSegment[], sink: IssueSink): Selector | undefined {
  const r = compileSelector(source);
  if ('error' in r) {
    sink.add('POLICY_SELECTOR_INVALID', path, r.error);
    return undefined;
  }
  return r.selector;
}

function labelSelector(sel: PolicyDoc['spec']['match']['objectSelector']): PolicyMatch['objectSelector'] {
  if (sel === undefined) return undefined;
  const required = Object.entries(sel.matchLabels ?? {});
  const expressions = (sel.matchExpressions ?? []).map((e) => ({ ...e, values: new Set(e.values ?? []) }));
  return (labels) => {
    for (const [k, v] of required) if (labels[k] !== v) return false;
    for (const e of expressions) {
      const has = Object.hasOwn(labels, e.key);
      if (e.operator === 'Exists' && !has) return false;
      if (e.operator === 'DoesNotExist' && has) return false;
      if (e.operator === 'In' && !(has && e.values.has(labels[e.key]!))) return false;
      if (e.operator === 'NotIn' && has && e.values.has(labels[e.key]!)) return false;
    }
    return true;
  };
}

function compileRule(
  rule: RuleDoc,
  at: PathSegment[],
  policyEnforcement: Enforcement,
  sink: IssueSink,
): CompiledRule | undefined {
  const before = sink.issues.length;
  const sources = rule.select === undefined ? ['$'] : Array.isArray(rule.select) ? rule.select : [rule.select];
  const select: Selector[] = [];
  sources.forEach((s, i) => {
    const sel = selectorOrIssue(s, Array.isArray(rule.select) ? [...at, 'select', i] : [...at, 'select'], sink);
    if (sel !== undefined) select.push(sel);
  });
  const when: Condition[] = [];
  (rule.when ?? []).forEach((cond, i) => {
    const condAt = [...at, 'when', i];
    const ops = Object.keys(cond).filter((k): k is Operator => (OPERATORS as readonly string[]).includes(k));
    if (ops.length !== 1) {
      const text =
        ops.length === 0
          ? `has no operator; use one of ${OPERATORS.join(', ')}`
          : `has ${ops.length} operators (${ops.join(', ')}); put each in its own condition (all conditions must hold)`;
      sink.add('POLICY_SCHEMA_INVALID', condAt, text);
      return;
    }
    const operator = ops[0]!;
    const pathSource = typeof cond.path === 'string' ? cond.path : '$';
    const path = selectorOrIssue(pathSource, [...condAt, 'path'], sink);
    if (path === undefined) return;
    const compiled = compileCondition(operator, cond[operator], path);
    if ('error' in compiled) {
      sink.add(compiled.code, [...condAt, compiled.field], compiled.error);
      return;
    }
    when.push(compiled.condition);
  });
  const tpl = compileTemplate(
    rule.message,
    select.map((s) => s.names),
  );
  if ('errors' in tpl) for (const e of tpl.errors) sink.add('POLICY_TEMPLATE_INVALID', [...at, 'message'], e);
  else if (/\{\{\s*finding\./.test(rule.message) && !when.some((c) => c.operator === 'detector')) {
    sink.add(
      'POLICY_TEMPLATE_INVALID',
      [...at, 'message'],
      '{{finding.*}} needs a `detector` condition in this rule; without one it is always empty',
    );
  }
  if (sink.issues.length > before || 'errors' in tpl) return undefined;
  return Object.freeze({
    name: rule.name,
    enforcement: rule.enforcement ?? policyEnforcement,
    kinds: rule.kinds === undefined ? undefined : freezeCollection(new Set(rule.kinds)),
    select: Object.freeze(select),
    when: Object.freeze(when),
    message: tpl.template,
  });
}

/** Compiles a schema-valid `kind: Policy` document; undefined when it has issues (added to `issues`). */
export function compilePolicy(doc: PolicyDoc, source: SourceDocument, issues: Issue[]): CompiledPolicy | undefined {
  const sink = new IssueSink(source);
  const { spec } = doc;
  const rules: CompiledRule[] = [];
  const seen = new Set<string>();
  spec.rules.forEach((rule, i) => {
    const at: PathSegment[] = ['spec', 'rules', i];
    if (seen.has(rule.name))
      sink.add('POLICY_DUPLICATE_NAME', [...at, 'name'], `another rule of this policy is already named "${rule.name}"`);
    seen.add(rule.name);
    const compiled = compileRule(rule, at, spec.enforcement, sink);
    if (compiled !== undefined) rules.push(compiled);
  });
  issues.push(...sink.issues);
  if (sink.issues.length > 0) return undefined;
  const m = spec.match;
  const match: PolicyMatch = Object.freeze({
    kinds: freezeCollection(new Set(m.kinds)),
    operations: freezeCollection(new Set(m.operations ?? ['CREATE', 'UPDATE'])),
    namespacesInclude: m.namespaces?.include === undefined ? undefined : compileGlobs(m.namespaces.include),
    namespacesExclude: compileGlobs(m.namespaces?.exclude ?? []),
    objectSelector: labelSelector(m.objectSelector),
    objectSelectorSource: m.objectSelector === undefined ? undefined : structuredClone(m.objectSelector),
    excludeUsers: compileGlobs(m.excludeUsers ?? []),
    excludeGroups: compileGlobs(m.excludeGroups ?? []),
  });
  return Object.freeze({
    name: doc.metadata.name,
    file: source.file,
    description: doc.metadata.description,
    enforcement: spec.enforcement,
    match,
    rules: Object.freeze(rules),
  });
}

/** The first instant an `expires` value no longer covers: a date lasts through its whole UTC day. */
function expiryInstant(text: string): Date | undefined {
  const date = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (date === null) {
    const d = new Date(text);
    return Number.isNaN(d.getTime()) ? undefined : d;
  }
  const [y, m, day] = [Number(date[1]), Number(date[2]), Number(date[3])];
  const start = new Date(Date.UTC(y, m - 1, day));
  if (start.getUTCMonth() !== m - 1 || start.getUTCDate() !== day) return undefined;
  return new Date(start.getTime() + 86_400_000);
}

/** Compiles a schema-valid `kind: PolicyException` document; undefined when it has issues. */
export function compileException(
  doc: ExceptionDoc,
  source: SourceDocument,
  issues: Issue[],
): CompiledException | undefined {
  const sink = new IssueSink(source);
  const { spec } = doc;
  let expiresAt: Date | undefined;
  if (spec.expires !== undefined) {
    expiresAt = expiryInstant(spec.expires);
    if (expiresAt === undefined)
      sink.add('POLICY_SCHEMA_INVALID', ['spec', 'expires'], `"${spec.expires}" is not a real date`);
  }
  issues.push(...sink.issues);
  if (sink.issues.length > 0) return undefined;
  const policies = new Map<string, ReadonlySet<string> | undefined>();
  for (const p of spec.policies)
    policies.set(p.name, p.rules === undefined ? undefined : freezeCollection(new Set(p.rules)));
  return Object.freeze({
    name: doc.metadata.name,
    file: source.file,
    reason: spec.reason,
    policies: freezeCollection(policies),
    namespaces: spec.match.namespaces === undefined ? undefined : compileGlobs(spec.match.namespaces),
    kinds: spec.match.kinds === undefined ? undefined : compileGlobs(spec.match.kinds),
    names: spec.match.names === undefined ? undefined : compileGlobs(spec.match.names),
    expires: spec.expires,
    expiresAt,
  });
}

/** Compiles a schema-valid `kind: PolicyExclusions` document; undefined when it has issues. */
export function compileExclusions(
  doc: ExclusionsDoc,
  source: SourceDocument,
  issues: Issue[],
): CompiledExclusion[] | undefined {
  const sink = new IssueSink(source);
  const seen = new Set<string>();
  doc.spec.exclusions.forEach((x, i) => {
    if (seen.has(x.name))
      sink.add(
        'POLICY_DUPLICATE_NAME',
        ['spec', 'exclusions', i, 'name'],
        `another exclusion of this document is already named "${x.name}"`,
      );
    seen.add(x.name);
    if (x.namespaces === undefined && x.kinds === undefined && x.names === undefined && x.labels === undefined)
      sink.add(
        'POLICY_SCHEMA_INVALID',
        ['spec', 'exclusions', i],
        'matches every request; give at least one of namespaces, kinds, names or labels',
      );
  });
  issues.push(...sink.issues);
  if (sink.issues.length > 0) return undefined;
  return doc.spec.exclusions.map((x) =>
    Object.freeze({
      name: `${doc.metadata.name}/${x.name}`,
      file: source.file,
      reason: x.reason,
      namespaces: x.namespaces === undefined ? undefined : compileGlobs(x.namespaces),
      kinds: x.kinds === undefined ? undefined : compileGlobs(x.kinds),
      names: x.names === undefined ? undefined : compileGlobs(x.names),
      labels: x.labels === undefined ? undefined : freezeCollection(new Map(Object.entries(x.labels))),
    }),
  );
}

/** Where each workload kind of a schema-valid `kind: WorkloadKinds` document was declared. */
export interface DeclaredWorkloadKind {
  kind: WorkloadKind;
  /** Path of the entry's `kind` field in the document, to locate duplicates. */
  at: PathSegment[];
}

/** Compiles a schema-valid `kind: WorkloadKinds` document (the schema checks every field). */
export function compileWorkloadKinds(doc: WorkloadKindsDoc, source: SourceDocument): DeclaredWorkloadKind[] {
  return doc.spec.kinds.map((w, i) => {
    const slash = w.kind.lastIndexOf('/');
    return {
      kind: Object.freeze({
        group: w.kind.slice(0, slash),
        kind: w.kind.slice(slash + 1),
        templatePath: Object.freeze(w.podTemplate.split('.')),
        file: source.file,
      }),
      at: ['spec', 'kinds', i, 'kind'],
    };
  });
}

/** One compiled team format, with where it was declared (to locate duplicates). */
export interface DeclaredFormat {
  name: string;
  at: PathSegment[];
  /** A prefix or keyed format (merged into the anchor index). */
  format?: TokenFormat;
  /** A regular-expression format (run on its own, linear time). */
  regex?: RegexFormat;
}

/** Team regexes start with a literal of at least this many characters (see literalPrefix). */
export const MIN_REGEX_LITERAL_PREFIX = 3;

/**
 * The number of literal characters a regex source starts with (`acme_[0-9a-f]{32}` has 5; a
 * character followed by `?`, `*` or `{` does not count; a `|` outside groups makes it 0, as
 * another branch may start differently). RE2 searches for that prefix as a
 * string; without one it steps its automaton over every character, which we measured at about
 * 60 times the cost of a prefixed pattern on a 64 KB value.
 */
export function literalPrefix(source: string): number {
  if (hasTopLevelAlternation(source)) return 0;
  let n = 0;
  for (let i = 0; i < source.length; i++) {
    let c = source[i] as string;
    if (c === '\\') {
      const next = source[i + 1] ?? '';
      if (!/^[.\-_/:~+*?()[\]{}|^$\\]$/.test(next)) return n;
      c = next;
      i++;
    } else if ('.[](){}*+?|^$'.includes(c)) return n;
    const after = source[i + 1];
    if (after === '?' || after === '*' || after === '{') return n;
    n++;
  }
  return n;
}

function hasTopLevelAlternation(source: string): boolean {
  let depth = 0;
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') i++;
    else if (inClass) inClass = c !== ']';
    else if (c === '[') inClass = true;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) return true;
  }
  return false;
}

/** Describes a format the way findings do. */
function formatDescription(f: SecretFormatDoc): string {
  return `${f.provider} ${f.description ?? 'token'} (team format ${f.name})`;
}

/**
 * Compiles a schema-valid `kind: SecretFormats` document. Each format is a regular expression
 * (`regex`, RE2 syntax, refused like a `matches` pattern when it needs backtracking or is too
 * large, and when it does not start with a literal of MIN_REGEX_LITERAL_PREFIX characters), or `alphabet` + `length` after `prefixes`, or
 * `alphabet` + `length` with `keyHints` and no prefixes (a value flagged only under a key that
 * names the provider). Problems become issues at the field; the document then adds nothing.
 */
export function compileSecretFormats(
  doc: SecretFormatsDoc,
  source: SourceDocument,
  issues: Issue[],
): DeclaredFormat[] | undefined {
  const sink = new IssueSink(source);
  const out: DeclaredFormat[] = [];
  const seen = new Set<string>();
  doc.spec.formats.forEach((f, i) => {
    const at: PathSegment[] = ['spec', 'formats', i];
    if (seen.has(f.name))
      sink.add(
        'POLICY_DUPLICATE_NAME',
        [...at, 'name'],
        `another format of this document is already named "${f.name}"`,
      );
    seen.add(f.name);
    const info = { id: f.name, provider: f.provider, tier: f.tier, description: formatDescription(f) };
    if (f.regex !== undefined) {
      const extra = (['prefixes', 'alphabet', 'length', 'keyHints'] as const).find((k) => f[k] !== undefined);
      if (extra !== undefined) {
        sink.add(
          'POLICY_SCHEMA_INVALID',
          [...at, extra],
          'a format with a regex has no prefixes, alphabet, length or keyHints; the regex says it all',
        );
        return;
      }
      const compiled = compileLinearRegex(f.regex);
      if ('error' in compiled) {
        sink.add('POLICY_REGEX_INVALID', [...at, 'regex'], compiled.error);
        return;
      }
      if (literalPrefix(f.regex) < MIN_REGEX_LITERAL_PREFIX) {
        sink.add(
          'POLICY_REGEX_INVALID',
          [...at, 'regex'],
          `regular expression /${f.regex}/ must start with at least ${MIN_REGEX_LITERAL_PREFIX} literal characters (the token's prefix, such as acme_): it runs on every ConfigMap value, and a literal start lets it skip ahead; write the prefix out, or use prefixes, alphabet and length`,
        );
        return;
      }
      const re = compiled.regex;
      out.push({
        name: f.name,
        at,
        regex: Object.freeze({
          format: Object.freeze(info),
          find: (text: string, from: number) => re.find(text, from),
        }),
      });
      return;
    }
    if (f.alphabet === undefined || f.length === undefined) {
      const missing = f.alphabet === undefined ? 'alphabet' : 'length';
      sink.add(
        'POLICY_SCHEMA_INVALID',
        at,
        `needs ${missing}: give prefixes, alphabet and length; or a regex; or keyHints, alphabet and length`,
      );
      return;
    }
    const [min, max] = typeof f.length === 'number' ? [f.length, f.length] : [f.length.min, f.length.max];
    if (max < min) {
      sink.add('POLICY_SCHEMA_INVALID', [...at, 'length'], `max (${max}) is smaller than min (${min})`);
      return;
    }
    const keyed = f.prefixes === undefined;
    if (!keyed && f.keyHints !== undefined) {
      sink.add(
        'POLICY_SCHEMA_INVALID',
        [...at, 'keyHints'],
        'keyHints are for formats without prefixes (a shape flagged under a key naming the provider); a prefixed format is found under any key, so remove keyHints or the prefixes',
      );
      return;
    }
    if (keyed && f.keyHints === undefined) {
      sink.add(
        'POLICY_SCHEMA_INVALID',
        at,
        'needs prefixes, a regex, or keyHints (words that name the provider in key names)',
      );
      return;
    }
    const format: TokenFormat = {
      id: f.name,
      provider: f.provider,
      what: `${f.description ?? 'token'} (team format ${f.name})`,
      prefixes: f.prefixes ?? [],
      body: [[f.alphabet, min, max]],
      tier: f.tier,
      ...(f.keyHints === undefined ? {} : { hints: f.keyHints }),
      ...(keyed ? { keyed: true } : {}),
      source: source.file,
    };
    const problem = checkFormat(format);
    if (problem !== undefined) {
      sink.add(
        'POLICY_SCHEMA_INVALID',
        [
          ...at,
          /alphabet/.test(problem)
            ? 'alphabet'
            : /hint/.test(problem)
              ? 'keyHints'
              : /prefix/.test(problem)
                ? 'prefixes'
                : 'length',
        ],
        problem,
      );
      return;
    }
    out.push({ name: f.name, at, format: Object.freeze(format) });
  });
  issues.push(...sink.issues);
  return sink.issues.length > 0 ? undefined : out;
}

export type { PolicyDoc, ExceptionDoc, ExclusionsDoc, WorkloadKindsDoc, SecretFormatsDoc };
