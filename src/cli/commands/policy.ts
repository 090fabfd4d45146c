/** `shroud policy test DIR [--policies DIR]`: runs policy test cases and prints a table. */
import { resolve } from 'node:path';
import { policySources, SETTINGS } from '../../config/index.js';
import { ShroudError } from '../../errors.js';
import { formatIssue, readPolicySources, parsePolicyFiles } from '../../policy/index.js';
import { defineCommandLine, readCommandLine, renderHelp } from '../command-line.js';
import { EXIT, type CliIO, type Command } from '../io.js';
import { renderTestTable, runPolicyTests } from '../policy-test.js';

export const POLICY_TEST_COMMAND_LINE = defineCommandLine({
  command: 'policy test',
  usage: 'DIR [options]',
  description: `Runs every test case below DIR: a folder with resource.yaml (one object), expected.yaml
(results: {policy: {rule: pass|fail|warn|skip|error}}, optional operation and now) and,
optionally, policy.yaml (extra policies or exceptions for that case only).
"fail" also accepts a broken rule whose enforcement is warn.`,
  settings: { policiesDir: SETTINGS.policiesDir, builtinPolicies: SETTINGS.builtinPolicies },
  positionals: true,
  footer: `Exit codes: 0 all results as expected, 1 a mismatch, 2 usage error or a case that
cannot run, 3 the policies cannot be loaded.`,
});

async function test(argv: string[], io: CliIO): Promise<number> {
  const commandLine = readCommandLine(POLICY_TEST_COMMAND_LINE, argv, io);
  if (commandLine === undefined) return EXIT.OK;
  const { values, positionals } = commandLine;
  if (positionals.length !== 1)
    throw new ShroudError('CLI_USAGE', 'shroud policy test takes one directory of test cases');
  const read = await readPolicySources(policySources(values, io.cwd));
  const issues = [...read.issues, ...parsePolicyFiles(read.value).issues];
  if (issues.length > 0) {
    for (const issue of issues) io.stderr.write(`${issue.code}: ${formatIssue(issue)}\n`);
    return EXIT.FAILURE;
  }
  const run = await runPolicyTests(resolve(io.cwd, positionals[0]!), read.value);
  io.stdout.write(renderTestTable(run));
  for (const i of run.invalid) io.stderr.write(`${i.code}: ${formatIssue(i)}\n`);
  if (run.cases === 0) {
    io.stderr.write(`POLICY_TEST_INVALID: no test cases (folders with expected.yaml) below ${positionals[0]}\n`);
    return EXIT.USAGE;
  }
  if (run.invalid.length > 0) return EXIT.USAGE;
  return run.checks.some((c) => !c.ok) ? EXIT.VIOLATIONS : EXIT.OK;
}

/** Runs `shroud policy <subcommand>`. */
export const policy: Command = async (argv: string[], io: CliIO): Promise<number> => {
  const [sub, ...rest] = argv;
  if (sub === 'test') return test(rest, io);
  if (sub === undefined || sub === '--help' || sub === '-h') {
    io.stdout.write(renderHelp(POLICY_TEST_COMMAND_LINE));
    return sub === undefined ? EXIT.USAGE : EXIT.OK;
  }
  throw new ShroudError('CLI_USAGE', `unknown subcommand "policy ${sub}"; try "shroud policy test DIR"`);
};

export default policy;
