/** `shroud policy test DIR [--policies DIR]`: runs policy test cases and prints a table. */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ShroudError } from '../../errors.js';
import { BUILTIN_POLICY_DIR, formatIssue, readPolicyFiles, parsePolicyFiles } from '../../policy/index.js';
import { EXIT, type CliIO, type Command } from '../io.js';
import { renderTestTable, runPolicyTests } from '../policy-test.js';

const HELP = `Usage: shroud policy test DIR [--policies DIR]

Runs every test case below DIR: a folder with resource.yaml (one object), expected.yaml
(results: {policy: {rule: pass|fail|warn|skip|error}}, optional operation and now) and,
optionally, policy.yaml (extra policies or exceptions for that case only).
"fail" also accepts a broken rule whose enforcement is warn.

Options:
  --policies DIR   policy directory (default: the built-in policies shipped with Shroud)
  -h, --help       show this help

Exit codes: 0 all results as expected, 1 a mismatch, 2 usage error or a case that
cannot run, 3 the policies cannot be loaded.
`;

async function test(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { policies: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
    strict: true,
  });
  if (values.help === true) {
    io.stdout.write(HELP);
    return EXIT.OK;
  }
  if (positionals.length !== 1)
    throw new ShroudError('CLI_USAGE', 'shroud policy test takes one directory of test cases');
  const read = await readPolicyFiles(resolve(io.cwd, values.policies ?? BUILTIN_POLICY_DIR));
  const issues = [...read.issues, ...parsePolicyFiles(read.value).issues];
  if (issues.length > 0) {
    for (const issue of issues) io.stderr.write(`${issue.code}: ${formatIssue(issue)}\n`);
    return EXIT.FAILURE;
  }
  const run = await runPolicyTests(resolve(io.cwd, positionals[0]!), read.value);
  io.stdout.write(renderTestTable(run));
  for (const i of run.invalid) io.stderr.write(`POLICY_TEST_INVALID: ${i.case}: ${i.message}\n`);
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
    io.stdout.write(HELP);
    return sub === undefined ? EXIT.USAGE : EXIT.OK;
  }
  throw new ShroudError('CLI_USAGE', `unknown subcommand "policy ${sub}"; try "shroud policy test DIR"`);
};

export default policy;
