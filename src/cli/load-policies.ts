/** Loading the policy set a one-shot command (`check`, `scan`) judges with, or saying why not. */
import { describeSources, policySources } from '../config/index.js';
import { formatIssue, loadPolicySources, type PolicySet } from '../policy/index.js';
import type { CliIO } from './io.js';

/**
 * The built-in and team policies the command line names; undefined after printing every issue
 * (CODE: file:line:col: message) and "nothing was `verb`" on stderr, when the set has any.
 */
export async function loadPoliciesForCommand(
  values: { policiesDir: string | undefined; builtinPolicies: boolean },
  io: CliIO,
  verb: string,
): Promise<PolicySet | undefined> {
  const sources = policySources(values, io.cwd);
  const loaded = await loadPolicySources(sources);
  if (loaded.issues.length === 0) return loaded.value;
  for (const issue of loaded.issues) io.stderr.write(`${issue.code}: ${formatIssue(issue)}\n`);
  io.stderr.write(
    `The policies in ${describeSources(sources)} have ${loaded.issues.length} problem(s); nothing was ${verb}.\n`,
  );
  return undefined;
}
