/**
 * Work that stalled when policies ran JavaScript regular expressions, run by the tests in a
 * worker thread (test/helpers/in-worker.ts) so that a regression fails by timeout.
 */
import { compileGlob } from '../../src/policy/glob.js';
import { evaluateObject, parsePolicyFiles } from '../../src/policy/index.js';
import { runCli, type CliResult } from '../helpers/cli.js';

const NOW = new Date('2026-11-23T10:00:00Z');

/** A deny policy: a ConfigMap value must not match `pattern`. */
export function matchesPolicy(pattern: string): string {
  return `apiVersion: policy.shroud.dev/v1
kind: Policy
metadata: { name: value-shape }
spec:
  enforcement: deny
  match: { kinds: [ConfigMap] }
  rules:
    - name: pattern
      select: "$.data.*"
      when:
        - matches: '${pattern}'
      message: "{{kind}} {{name}}: {{key}} matches the pattern"
`;
}

/** Evaluates `matchesPolicy(pattern)` on a ConfigMap holding `values`; returns the violation paths. */
export function violationPaths(pattern: string, values: Record<string, string>): string[] {
  const loaded = parsePolicyFiles([{ file: 'inline.yaml', text: matchesPolicy(pattern) }]);
  if (loaded.issues.length > 0) throw new Error(loaded.issues[0]!.message);
  const object = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: 'shop' }, data: values };
  const e = evaluateObject(loaded.value, { object, operation: 'CREATE', kind: 'ConfigMap' }, { now: NOW });
  return e.violations.map((v) => v.path);
}

/** `shroud check` through run(argv, io), in `cwd`. */
export function check(argv: string[], cwd: string): Promise<CliResult> {
  return runCli(argv, { cwd });
}

/** Matches one glob against a value (globs were regular expressions, which backtracked). */
export function globMatches(glob: string, value: string): boolean {
  return compileGlob(glob).test(value);
}
