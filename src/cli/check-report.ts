/**
 * Renders `shroud check` results as text (for terminals and CI logs), JSON (a contract for
 * scripts) or SARIF 2.1.0 (for code-scanning tools).
 */
import type { FileIssue } from '../issues.js';
import type { AppliedException, Enforcement, PolicySet } from '../policy/index.js';

/**
 * A detector finding behind a violation: `line` is the 1-based line inside the value (null for
 * single-line values); `fileLine` is that line in the file, known only when the value is a YAML
 * literal block (`key: |`), where value lines and file lines correspond one to one.
 */
export interface CheckFinding {
  detector: string;
  confidence: 'high' | 'low';
  line: number | null;
  fileLine: number | null;
}

/** One violation in check output; `line` is where the path sits in the file, when known. */
export interface CheckViolation {
  policy: string;
  rule: string;
  enforcement: Enforcement;
  path: string;
  message: string;
  line: number | undefined;
  /** Detector findings (rules with a detector condition), in detector order; [] otherwise. */
  findings: CheckFinding[];
}

/** An exception that exempted rules of one policy on an object. */
export interface CheckException {
  name: string;
  policy: string;
  /** The rules of `policy` it exempted on this object. */
  rules: string[];
  /** What it matched: the object itself (`Pod web-1`) or a derived owner (`Deployment web`). */
  matched: string;
  /** The exception's `expires`, as written, or null. */
  expires: string | null;
}

/** The exceptions an evaluation applied, as `check` and `scan` report them (no file paths). */
export function reportedExceptions(applied: readonly AppliedException[] | undefined): CheckException[] {
  return (applied ?? []).map((e) => ({
    name: e.name,
    policy: e.policy,
    rules: e.rules,
    matched: e.matched,
    expires: e.expires ?? null,
  }));
}

/** One object's verdict. */
export interface CheckResult {
  file: string;
  document: number;
  item: number | null;
  apiVersion: string | null;
  kind: string | null;
  namespace: string | null;
  name: string | null;
  allowed: boolean;
  /** At most --max-violations of each enforcement. */
  violations: CheckViolation[];
  /** Violations found past --max-violations and not listed. */
  violationsOmitted: number;
  /** Exceptions that exempted rules on this object, one per exception and policy. */
  exceptions: CheckException[];
}

export interface CheckSummary {
  files: number;
  objects: number;
  denied: number;
  warned: number;
  passed: number;
  /** Violations listed. */
  violations: number;
  /** Violations found past --max-violations and not listed. */
  violationsOmitted: number;
  skippedDocuments: number;
  errors: number;
}

export interface CheckReport {
  results: CheckResult[];
  /** Files (or parts of them) that could not be read or parsed: POLICY_INPUT_INVALID. */
  errors: FileIssue[];
  summary: CheckSummary;
}

function objectName(r: CheckResult): string {
  const name = r.name ?? '(no name)';
  return r.namespace === null ? `${r.kind} ${name}` : `${r.kind} ${r.namespace}/${name}`;
}

function notListed(n: number): string {
  return `${n} more violation${n === 1 ? '' : 's'} not listed; --max-violations sets how many are (all lists every one)`;
}

function where(r: CheckResult): string {
  return r.item === null ? `document ${r.document}` : `document ${r.document}, item ${r.item}`;
}

function exceptionLine(e: CheckException): string {
  const until = e.expires === null ? '' : `, expires ${e.expires}`;
  return `exception ${e.name} [${e.policy}/${e.rules.join(',')}] via ${e.matched}${until}`;
}

/**
 * Text grouped by file; only objects with something to say, then one summary line. Files that
 * cannot be parsed are counted here and listed on stderr as `POLICY_INPUT_INVALID: file:line:col: ...`.
 */
export function renderText(report: CheckReport): string {
  const lines: string[] = [];
  let lastFile: string | undefined;
  for (const r of report.results) {
    if (r.violations.length === 0 && r.exceptions.length === 0) continue;
    if (r.file !== lastFile) {
      if (lastFile !== undefined) lines.push('');
      lines.push(r.file);
      lastFile = r.file;
    }
    const verdict = r.allowed
      ? r.violations.some((v) => v.enforcement === 'warn')
        ? 'allowed with warnings'
        : r.violations.length > 0
          ? 'allowed (audit)'
          : 'allowed (exception)'
      : 'DENIED';
    lines.push(`  ${objectName(r)} (${where(r)}): ${verdict}`);
    for (const v of r.violations) {
      const at = v.line === undefined ? '' : ` (line ${v.line})`;
      lines.push(`    ${v.enforcement.padEnd(5)} [${v.policy}/${v.rule}] ${v.path}${at}`);
      lines.push(`          ${v.message}`);
    }
    if (r.violationsOmitted > 0) lines.push(`    … and ${notListed(r.violationsOmitted)}`);
    for (const e of r.exceptions) lines.push(`    ${exceptionLine(e)}`);
  }
  const s = report.summary;
  const parts = [`${s.denied} denied`, `${s.warned} allowed with warnings`, `${s.passed} passed`];
  let summary = `Checked ${s.objects} object${s.objects === 1 ? '' : 's'} in ${s.files} file${s.files === 1 ? '' : 's'}: ${parts.join(', ')}.`;
  if (s.violationsOmitted > 0)
    summary += ` ${s.violationsOmitted} violation${s.violationsOmitted === 1 ? ' was' : 's were'} not listed (--max-violations).`;
  if (s.skippedDocuments > 0)
    summary += ` ${s.skippedDocuments} document${s.skippedDocuments === 1 ? ' was' : 's were'} not Kubernetes objects.`;
  if (s.errors > 0) summary += ` ${s.errors} input error${s.errors === 1 ? '' : 's'} (on stderr).`;
  if (lines.length > 0) lines.push('');
  lines.push(summary);
  return `${lines.join('\n')}\n`;
}

/**
 * The JSON contract: results (with the documented fields only), errors, summary.
 * `violationsOmitted` (on a result and on the summary) is present only when --max-violations
 * left violations out; `exceptions` (per result) is always present, empty when none applied.
 */
export function renderJson(report: CheckReport): string {
  const results = report.results.map((r) => ({
    file: r.file,
    document: r.document,
    item: r.item,
    apiVersion: r.apiVersion,
    kind: r.kind,
    namespace: r.namespace,
    name: r.name,
    allowed: r.allowed,
    violations: r.violations.map((v) => ({
      policy: v.policy,
      rule: v.rule,
      enforcement: v.enforcement,
      path: v.path,
      message: v.message,
      line: v.line ?? null,
      findings: v.findings,
    })),
    ...(r.violationsOmitted > 0 ? { violationsOmitted: r.violationsOmitted } : {}),
    exceptions: r.exceptions.map((e) => ({
      name: e.name,
      policy: e.policy,
      rules: e.rules,
      matched: e.matched,
      expires: e.expires,
    })),
  }));
  // The documented shape of an error: every field present, an unknown position as null.
  const errors = report.errors.map((e) => ({
    file: e.file,
    line: e.line ?? null,
    column: e.column ?? null,
    code: e.code,
    message: e.message,
  }));
  const { violationsOmitted, skippedDocuments, errors: errorCount, ...counts } = report.summary;
  const summary = {
    ...counts,
    ...(violationsOmitted > 0 ? { violationsOmitted } : {}),
    skippedDocuments,
    errors: errorCount,
  };
  return `${JSON.stringify({ results, errors, summary }, null, 2)}\n`;
}

/** The most precise line of a violation: its first finding's file line, else the key's line. */
function sarifLine(v: CheckViolation): number | undefined {
  for (const f of v.findings) if (f.fileLine !== null) return f.fileLine;
  return v.line;
}

/** The SARIF level of each enforcement. */
export const LEVEL: Record<Enforcement, 'error' | 'warning' | 'note'> = {
  deny: 'error',
  warn: 'warning',
  audit: 'note',
};

/** SARIF reporting rules, one per policy rule (`policy/rule`), and each one's index. */
export function sarifRules(set: PolicySet): {
  rules: { id: string; name: string; shortDescription: { text: string }; defaultConfiguration: { level: string } }[];
  index: Map<string, number>;
} {
  const rules = set.policies.flatMap((p) =>
    p.rules.map((r) => ({
      id: `${p.name}/${r.name}`,
      name: `${p.name}/${r.name}`,
      shortDescription: { text: p.description ?? p.name },
      defaultConfiguration: { level: LEVEL[r.enforcement] },
    })),
  );
  return { rules, index: new Map(rules.map((r, i) => [r.id, i])) };
}

function uri(file: string): string {
  return file === '-' ? 'stdin' : file.split('\\').join('/');
}

/**
 * SARIF 2.1.0: one run, a reporting rule per policy rule, a result per listed violation. Each
 * applied exception is a `note` notification naming the object; objects with violations past
 * --max-violations add a notification with the count, and the run's
 * properties carry the total as `violationsOmitted`.
 */
export function renderSarif(report: CheckReport, set: PolicySet): string {
  const { rules, index } = sarifRules(set);
  const results = report.results.flatMap((r) =>
    r.violations.map((v) => ({
      ruleId: `${v.policy}/${v.rule}`,
      ruleIndex: index.get(`${v.policy}/${v.rule}`) ?? -1,
      level: LEVEL[v.enforcement],
      message: { text: `${objectName(r)} ${v.path}: ${v.message}` },
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: uri(r.file) },
            ...(sarifLine(v) === undefined ? {} : { region: { startLine: sarifLine(v) } }),
          },
          logicalLocations: [{ fullyQualifiedName: `${objectName(r)}/${v.path}`, kind: 'object' }],
        },
      ],
    })),
  );
  const notifications = report.errors.map((e) => ({
    level: 'error',
    message: { text: `${e.code}: ${e.message}` },
    locations: [
      {
        physicalLocation: {
          artifactLocation: { uri: uri(e.file) },
          ...(e.line === undefined ? {} : { region: { startLine: e.line, startColumn: e.column ?? 1 } }),
        },
      },
    ],
  }));
  for (const r of report.results) {
    for (const e of r.exceptions)
      notifications.push({
        level: 'note',
        message: { text: `${objectName(r)} (${where(r)}): ${exceptionLine(e)}` },
        locations: [{ physicalLocation: { artifactLocation: { uri: uri(r.file) } } }],
      });
    if (r.violationsOmitted === 0) continue;
    notifications.push({
      level: 'warning',
      message: { text: `${objectName(r)} (${where(r)}): ${notListed(r.violationsOmitted)}` },
      locations: [{ physicalLocation: { artifactLocation: { uri: uri(r.file) } } }],
    });
  }
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'shroud', informationUri: 'https://shroud.dev', rules } },
        invocations: [{ executionSuccessful: report.errors.length === 0, toolExecutionNotifications: notifications }],
        results,
        ...(report.summary.violationsOmitted > 0
          ? { properties: { violationsOmitted: report.summary.violationsOmitted } }
          : {}),
      },
    ],
  };
  return `${JSON.stringify(sarif, null, 2)}\n`;
}
