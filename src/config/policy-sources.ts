import { resolve } from 'node:path';
import { ShroudError } from '../errors.js';
import { BUILTIN_POLICY_DIR, type PolicySource } from '../policy/index.js';

/**
 * The policy folders a command loads: the built-in policies (unless turned off), then the team's
 * `--policies` folder, whose documents replace built-in ones of the same kind and name.
 * @throws ShroudError CONFIG_INVALID when the built-ins are off and no folder is given.
 */
export function policySources(
  settings: { policiesDir: string | undefined; builtinPolicies: boolean },
  cwd: string,
): PolicySource[] {
  const sources: PolicySource[] = [];
  if (settings.builtinPolicies) sources.push({ dir: BUILTIN_POLICY_DIR, builtin: true });
  if (settings.policiesDir !== undefined) sources.push({ dir: resolve(cwd, settings.policiesDir), builtin: false });
  if (sources.length === 0) {
    throw new ShroudError(
      'CONFIG_INVALID',
      '--no-builtin-policies (SHROUD_BUILTIN_POLICIES=false) needs --policies DIR (SHROUD_POLICIES): there is nothing to enforce',
      { details: { setting: 'builtin-policies' } },
    );
  }
  return sources;
}

/** How the sources read in messages: `the built-in policies and DIR`. */
export function describeSources(sources: readonly PolicySource[]): string {
  return sources.map((s) => (s.builtin ? 'the built-in policies' : s.dir)).join(' and ');
}
