/**
 * `shroud check [--policies DIR] [--output text|json|sarif] [--max-violations N|all] PATH...`:
 * offline verdicts for manifests, each object evaluated as a CREATE with the same engine as the
 * webhook.
 */
import { SETTINGS, valueSetting } from '../../config/index.js';
import { ShroudError } from '../../errors.js';
import {
  applyEnforcementOverride,
  type EnforcementOverride,
  evaluateObject,
  formatIssue,
  type PolicySet,
} from '../../policy/index.js';
import {
  renderJson,
  renderSarif,
  renderText,
  reportedExceptions,
  type CheckReport,
  type CheckResult,
} from '../check-report.js';
import { defineCommandLine, readCommandLine } from '../command-line.js';
import { expandInputs, readInputs } from '../inputs.js';
import { loadPoliciesForCommand } from '../load-policies.js';
import { EXIT, type CliIO, type Command } from '../io.js';
import { parseManifest } from '../manifests.js';

/**
 * Violations of each enforcement `check` lists per object unless --max-violations says otherwise:
 * ten times the webhook's 100, so CI shows what a rejection left out, while a manifest that
 * breaks a rule 40,000 times still prints a page, not 16 MB.
 */
export const DEFAULT_CHECK_MAX_VIOLATIONS = 1000;

/** Reads --max-violations: a whole number of at least 1, or `all`. */
function parseMaxViolations(value: string): number | undefined {
  if (value.trim() === 'all') return Number.POSITIVE_INFINITY;
  const n = /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  return Number.isSafeInteger(n) && n >= 1 ? n : undefined;
}

export const CHECK_COMMAND_LINE = defineCommandLine({
  command: 'check',
  usage: '[options] PATH...',
  description: `Evaluates every Kubernetes object in PATH (files, directories, or - for standard input;
YAML or JSON; multi-document; kind: List items) as a CREATE against the policies.`,
  // What `shroud check` takes; one more setting is one more line here.
  settings: {
    policiesDir: SETTINGS.policiesDir,
    builtinPolicies: SETTINGS.builtinPolicies,
    output: SETTINGS.output,
    enforcementOverride: SETTINGS.enforcementOverride,
    listLimit: valueSetting<number>({
      flag: 'max-violations',
      arg: 'N|all',
      default: DEFAULT_CHECK_MAX_VIOLATIONS,
      accepts: 'a whole number of at least 1, or all',
      parse: parseMaxViolations,
      help: 'list at most N violations of each enforcement per object and count the rest (all: no limit)',
    }),
  },
  positionals: true,
  footer: `Exit codes: 0 nothing would be denied, 1 something would be denied,
2 usage error, a file that cannot be parsed or a repeated key (its objects are still
checked), 3 the policies cannot be loaded.`,
});

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

/**
 * Evaluates every object of one file's text into results and errors, listing at most
 * `maxViolations` violations of each enforcement per object (default DEFAULT_CHECK_MAX_VIOLATIONS).
 * With `enforcementOverride`, every policy runs as at most that, as `serve` would run it.
 */
export function checkText(
  set: PolicySet,
  file: string,
  text: string,
  now: Date,
  report: CheckReport,
  maxViolations = DEFAULT_CHECK_MAX_VIOLATIONS,
  enforcementOverride?: EnforcementOverride,
): void {
  const parsed = parseManifest(file, text);
  report.summary.skippedDocuments += parsed.skipped;
  report.errors.push(...parsed.errors);
  for (const m of parsed.objects) {
    const meta = (m.object.metadata ?? {}) as Record<string, unknown>;
    const kind = str(m.object.kind);
    const evaluated = evaluateObject(
      set,
      {
        object: m.object,
        operation: 'CREATE',
        kind: kind ?? '',
        namespace: str(meta.namespace) ?? undefined,
        name: str(meta.name) ?? undefined,
      },
      { now, maxViolations },
    );
    const ev = enforcementOverride === undefined ? evaluated : applyEnforcementOverride(evaluated, enforcementOverride);
    const omitted = ev.omitted.reduce((n, o) => n + o.count, 0);
    const result: CheckResult = {
      file,
      document: m.document,
      item: m.item,
      apiVersion: str(m.object.apiVersion),
      kind,
      namespace: str(meta.namespace),
      name: str(meta.name),
      allowed:
        !ev.violations.some((v) => v.enforcement === 'deny') && !ev.omitted.some((o) => o.enforcement === 'deny'),
      violations: ev.violations.map((v) => ({
        policy: v.policy,
        rule: v.rule,
        enforcement: v.enforcement,
        path: v.path,
        message: v.message,
        line: m.lineOf(v.location),
        findings: (v.findings ?? []).map((f) => ({
          detector: f.detector,
          confidence: f.confidence,
          line: f.line ?? null,
          fileLine: f.line === undefined ? null : (m.fileLineOf(v.location, f.line) ?? null),
        })),
      })),
      violationsOmitted: omitted,
      exceptions: reportedExceptions(ev.exceptions),
    };
    report.results.push(result);
    const s = report.summary;
    s.objects++;
    s.violations += result.violations.length;
    s.violationsOmitted += omitted;
    if (!result.allowed) s.denied++;
    else if (
      result.violations.some((v) => v.enforcement === 'warn') ||
      ev.omitted.some((o) => o.enforcement === 'warn')
    )
      s.warned++;
    else s.passed++;
  }
}

/** Runs `shroud check`. */
export const check: Command = async (argv: string[], io: CliIO): Promise<number> => {
  const commandLine = readCommandLine(CHECK_COMMAND_LINE, argv, io);
  if (commandLine === undefined) return EXIT.OK;
  const { values, positionals } = commandLine;
  const output = values.output;
  if (positionals.length === 0)
    throw new ShroudError('CLI_USAGE', 'give at least one file, directory or - (standard input) to check');
  const maxViolations = values.listLimit;

  const set = await loadPoliciesForCommand(values, io, 'checked');
  if (set === undefined) return EXIT.FAILURE;
  const report: CheckReport = {
    results: [],
    errors: [],
    summary: {
      files: 0,
      objects: 0,
      denied: 0,
      warned: 0,
      passed: 0,
      violations: 0,
      violationsOmitted: 0,
      skippedDocuments: 0,
      errors: 0,
    },
  };
  const { files, problems } = await expandInputs(positionals, io.cwd);
  report.errors.push(...problems);
  const now = new Date();
  await readInputs(files, io, (file, text) => {
    report.summary.files++;
    if (text instanceof Error) {
      const code = (text as NodeJS.ErrnoException).code;
      report.errors.push({
        code: 'POLICY_INPUT_INVALID',
        file: file.name,
        message: `cannot read (${code ?? text.message})`,
      });
      return;
    }
    checkText(set, file.name, text, now, report, maxViolations, values.enforcementOverride);
  });
  report.summary.errors = report.errors.length;

  if (output === 'json') io.stdout.write(renderJson(report));
  else if (output === 'sarif') io.stdout.write(renderSarif(report, set));
  else io.stdout.write(renderText(report));
  for (const e of report.errors) io.stderr.write(`${e.code}: ${formatIssue(e)}\n`);
  if (report.errors.length > 0) return EXIT.USAGE;
  return report.summary.denied > 0 ? EXIT.VIOLATIONS : EXIT.OK;
};

export default check;
