/**
 * `shroud policy test DIR`: runs policy test cases. A case is any folder below DIR with an
 * `expected.yaml`; it holds `resource.yaml` (one object) and optionally `policy.yaml`
 * (extra policies or exceptions added to the loaded set for this case only).
 *
 * expected.yaml:
 *   operation: CREATE            # optional, default CREATE
 *   now: "2026-11-23T00:00:00Z"  # optional, the clock for exception expiry
 *   results:
 *     disallow-secret-env:
 *       secret-env-var: fail     # pass | fail | warn | skip | error
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { parse } from 'yaml';
import { formatIssue, type FileIssue } from '../issues.js';
import { evaluateObject, parsePolicyFiles, type PolicyFile, type RuleStatus } from '../policy/index.js';
import { isRecord } from '../util/is-record.js';
import { parseManifest } from './manifests.js';

const STATUSES: readonly string[] = ['pass', 'fail', 'warn', 'skip', 'error'];
const OPERATIONS: readonly string[] = ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'];

/** One compared expectation. */
export interface TestCheck {
  case: string;
  rule: string;
  expected: string;
  actual: RuleStatus;
  ok: boolean;
}

export interface TestRun {
  checks: TestCheck[];
  /** Case folders that could not be run: one POLICY_TEST_INVALID issue each, `file` naming the case. */
  invalid: FileIssue[];
  cases: number;
}

async function findCases(dir: string, out: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  if (entries.some((e) => e.isFile() && e.name === 'expected.yaml')) out.push(dir);
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (e.isDirectory() && !e.name.startsWith('.')) await findCases(join(dir, e.name), out);
  }
}

/** The case's files by name (absent when missing), or why one cannot be read. */
async function readCaseFiles(caseDir: string): Promise<Record<string, string | undefined> | string> {
  const texts: Record<string, string | undefined> = {};
  for (const name of ['expected.yaml', 'resource.yaml', 'policy.yaml']) {
    try {
      texts[name] = await readFile(join(caseDir, name), 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') return `${name}: cannot read (${code ?? String(err)})`;
    }
  }
  return texts;
}

interface Expected {
  operation: string;
  now: Date;
  results: Array<{ rule: string; policy: string; name: string; expected: string }>;
}

function readExpected(text: string): Expected | string {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    return `expected.yaml is not valid YAML: ${(err as Error).message.split('\n')[0]}`;
  }
  if (!isRecord(doc)) return 'expected.yaml must be a mapping with "results"';
  const { operation = 'CREATE', now, results } = doc as { operation?: unknown; now?: unknown; results?: unknown };
  if (typeof operation !== 'string' || !OPERATIONS.includes(operation))
    return `expected.yaml: operation must be one of ${OPERATIONS.join(', ')}`;
  const clock = now === undefined ? new Date() : new Date(String(now));
  if (Number.isNaN(clock.getTime())) return `expected.yaml: now "${String(now)}" is not a date`;
  if (!isRecord(results) || Object.keys(results).length === 0) {
    return 'expected.yaml: results must map policy names to { rule: pass|fail|warn|skip|error }';
  }
  const out: Expected['results'] = [];
  for (const [policy, rules] of Object.entries(results)) {
    if (!isRecord(rules)) return `expected.yaml: results.${policy} must map rule names to results`;
    for (const [name, expected] of Object.entries(rules)) {
      if (typeof expected !== 'string' || !STATUSES.includes(expected)) {
        return `expected.yaml: results.${policy}.${name} must be one of ${STATUSES.join(', ')}`;
      }
      out.push({ rule: `${policy}/${name}`, policy, name, expected });
    }
  }
  return { operation, now: clock, results: out };
}

/** `fail` also accepts `warn`: both mean the object broke the rule. */
function agrees(expected: string, actual: RuleStatus): boolean {
  return expected === actual || (expected === 'fail' && actual === 'warn');
}

/** Runs every case below `dir` against `base` policy files. */
export async function runPolicyTests(dir: string, base: readonly PolicyFile[]): Promise<TestRun> {
  const caseDirs: string[] = [];
  await findCases(dir, caseDirs);
  const run: TestRun = { checks: [], invalid: [], cases: caseDirs.length };
  const baseSet = parsePolicyFiles(base).value;
  for (const caseDir of caseDirs) {
    const name = relative(dir, caseDir) || '.';
    const fail = (message: string) => run.invalid.push({ code: 'POLICY_TEST_INVALID', file: name, message });
    const texts = await readCaseFiles(caseDir);
    if (typeof texts === 'string') {
      fail(texts);
      continue;
    }
    const expected = readExpected(texts['expected.yaml'] ?? '');
    if (typeof expected === 'string') {
      fail(expected);
      continue;
    }
    const resourceText = texts['resource.yaml'];
    if (resourceText === undefined) {
      fail('resource.yaml is missing');
      continue;
    }
    const parsed = parseManifest(join(caseDir, 'resource.yaml'), resourceText);
    if (parsed.errors.length > 0 || parsed.objects.length !== 1) {
      fail(
        parsed.errors[0]
          ? `resource.yaml:${parsed.errors[0].line}: ${parsed.errors[0].message}`
          : `resource.yaml must hold exactly one Kubernetes object (found ${parsed.objects.length})`,
      );
      continue;
    }
    let set = baseSet;
    const extra = texts['policy.yaml'];
    if (extra !== undefined) {
      const loaded = parsePolicyFiles([...base, { file: join(caseDir, 'policy.yaml'), text: extra }]);
      if (loaded.issues.length > 0) {
        fail(loaded.issues.map(formatIssue).join('; '));
        continue;
      }
      set = loaded.value;
    }
    const object = parsed.objects[0]!.object;
    const meta = (object.metadata ?? {}) as Record<string, unknown>;
    const ev = evaluateObject(
      set,
      {
        object,
        operation: expected.operation,
        kind: String(object.kind),
        namespace: typeof meta.namespace === 'string' ? meta.namespace : undefined,
        name: typeof meta.name === 'string' ? meta.name : undefined,
      },
      { now: expected.now },
    );
    for (const e of expected.results) {
      const actual = ev.results.find((r) => r.policy === e.policy && r.rule === e.name)?.status ?? 'skip';
      run.checks.push({ case: name, rule: e.rule, expected: e.expected, actual, ok: agrees(e.expected, actual) });
    }
  }
  return run;
}

/** The table printed by `shroud policy test`. */
export function renderTestTable(run: TestRun): string {
  const header = { case: 'CASE', rule: 'POLICY/RULE', expected: 'EXPECTED', actual: 'ACTUAL', result: 'RESULT' };
  const rows = run.checks.map((c) => ({
    case: c.case,
    rule: c.rule,
    expected: c.expected,
    actual: c.actual,
    result: c.ok ? 'ok' : 'MISMATCH',
  }));
  const all = [header, ...rows];
  const w = (k: keyof typeof header) => Math.max(...all.map((r) => r[k].length));
  const widths = { case: w('case'), rule: w('rule'), expected: w('expected'), actual: w('actual') };
  const line = (r: typeof header) =>
    `${r.case.padEnd(widths.case)}  ${r.rule.padEnd(widths.rule)}  ${r.expected.padEnd(widths.expected)}  ${r.actual.padEnd(widths.actual)}  ${r.result}`;
  const out = all.map(line);
  const failed = run.checks.filter((c) => !c.ok).length;
  out.push('');
  out.push(
    `${run.cases} case${run.cases === 1 ? '' : 's'}, ${run.checks.length} check${run.checks.length === 1 ? '' : 's'}: ${run.checks.length - failed} passed, ${failed} failed` +
      (run.invalid.length > 0
        ? `, ${run.invalid.length} case${run.invalid.length === 1 ? '' : 's'} could not run`
        : ''),
  );
  return `${out.join('\n')}\n`;
}
