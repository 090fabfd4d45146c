/**
 * `when` conditions. Each has an optional `path` (JSONPath relative to the selected item,
 * default `$`) and exactly one operator. When the path matches several values, a positive
 * operator holds if any value satisfies it; `absent`, `noneOf`, `noDetector` hold if none does.
 */
import { getDetector, listDetectors, scanEntry } from '../detect/index.js';
import { compileLinearRegex } from './linear-regex.js';
import type { PathSegment, Selector } from './selector.js';
import { didYouMean } from './suggest.js';
import type { Condition, ItemScope } from './types.js';

/** Every operator a condition may use. */
export const OPERATORS = [
  'exists',
  'absent',
  'equals',
  'anyOf',
  'noneOf',
  'matches',
  'under',
  'notUnder',
  'detector',
  'noDetector',
  'writableMount',
] as const;

export type Operator = (typeof OPERATORS)[number];

/** What compileCondition returns: the condition, or a sentence and the error code. */
export type ConditionCompile =
  | { condition: Condition }
  | {
      error: string;
      code: 'POLICY_SCHEMA_INVALID' | 'POLICY_REGEX_INVALID' | 'POLICY_DETECTOR_UNKNOWN';
      field: string;
    };

type Test = (item: unknown, itemPath: PathSegment[], scope: ItemScope) => boolean;

/** Collects the values the path selects below the item, with their concrete paths. */
function collect(
  path: Selector,
  item: unknown,
  itemPath: PathSegment[],
): Array<{ value: unknown; path: PathSegment[] }> {
  const out: Array<{ value: unknown; path: PathSegment[] }> = [];
  path.visit(item, itemPath, (value, p) => out.push({ value, path: p.slice() }));
  return out;
}

/**
 * True when `value` equals `prefix` or continues it after a `/` (`/var/log` covers
 * `/var/log/app`, not `/var/logs`). A path with a `..` segment is under nothing.
 */
export function isUnderPrefix(value: string, prefix: string): boolean {
  // `/var/log/../../etc` is not under /var/log. kube-apiserver rejects hostPath back-steps, but
  // `shroud check` sees manifests that were never validated.
  if (value.split('/').includes('..')) return false;
  const p = prefix.length > 1 ? prefix.replace(/\/+$/, '') : prefix;
  if (p === '/') return value.startsWith('/');
  return value === p || value.startsWith(`${p}/`);
}

/** Resolves `high`, `low`, a name or a list of names to detector names. */
function detectorNames(spec: string | string[]): { names: string[] } | { error: string } {
  const wanted = Array.isArray(spec) ? spec : [spec];
  const names: string[] = [];
  for (const w of wanted) {
    if (w === 'high' || w === 'low') {
      names.push(
        ...listDetectors()
          .filter((d) => d.confidence === w)
          .map((d) => d.name),
      );
    } else if (getDetector(w) !== undefined) {
      names.push(w);
    } else {
      const known = ['high', 'low', ...listDetectors().map((d) => d.name)];
      return { error: `unknown detector "${w}"${didYouMean(w, known)}; known: ${known.join(', ')}` };
    }
  }
  // Frozen: scanEntry remembers the detectors it resolves for a frozen list (one per condition).
  return { names: Object.freeze([...new Set(names)]) as string[] };
}

const TEXT = new TextDecoder('utf-8', { fatal: true });

/** binaryData values are base64; scan the decoded text, and skip values that are not text. */
function scannableText(value: string, path: readonly PathSegment[]): string | undefined {
  if (path[path.length - 2] !== 'binaryData') return value;
  try {
    const text = TEXT.decode(Buffer.from(value, 'base64'));
    return text.includes('\u0000') ? undefined : text;
  } catch {
    return undefined;
  }
}

function findingsFor(
  names: string[],
): (item: unknown, itemPath: PathSegment[], path: Selector, scope: ItemScope) => boolean {
  // `low` or `high` may resolve to no detector at all: then nothing can be found.
  if (names.length === 0) return () => false;
  return (item, itemPath, path, scope) => {
    let found = false;
    const matches = path.isRoot ? [{ value: item, path: itemPath }] : collect(path, item, itemPath);
    for (const m of matches) {
      if (typeof m.value !== 'string') continue;
      const text = scannableText(m.value, m.path);
      if (text === undefined) continue;
      const key = String(m.path[m.path.length - 1] ?? '');
      const findings = scanEntry(key, text, names, scope.formats, scope.memo);
      if (findings.length > 0) {
        found = true;
        scope.findings.push(...findings);
      }
    }
    return found;
  };
}

function isVolumeMountWritable(root: unknown, volumeName: string): boolean {
  const spec = (root as { spec?: Record<string, unknown> } | null)?.spec;
  if (spec === undefined || spec === null) return false;
  for (const list of ['containers', 'initContainers', 'ephemeralContainers']) {
    const containers = spec[list];
    if (!Array.isArray(containers)) continue;
    for (const c of containers) {
      const mounts = (c as { volumeMounts?: unknown } | null)?.volumeMounts;
      if (!Array.isArray(mounts)) continue;
      for (const m of mounts) {
        const mount = m as { name?: unknown; readOnly?: unknown } | null;
        if (mount?.name === volumeName && mount.readOnly !== true) return true;
      }
    }
  }
  return false;
}

/**
 * Compiles one condition whose shape the schema has already checked. `operator` is the one
 * operator key present; `arg` its value; `path` the compiled relative path.
 */
export function compileCondition(operator: Operator, arg: unknown, path: Selector): ConditionCompile {
  let test: Test;
  switch (operator) {
    case 'exists':
    case 'absent': {
      const wantPresent = (operator === 'exists') === (arg === true);
      test = (item) => path.some(item, (v) => v !== null && v !== undefined) === wantPresent;
      break;
    }
    case 'equals':
      test = (item) => path.some(item, (v) => v === arg);
      break;
    case 'anyOf':
    case 'noneOf': {
      const set = new Set(arg as unknown[]);
      const any: Test = (item) => path.some(item, (v) => set.has(v));
      test = operator === 'anyOf' ? any : (item, itemPath, scope) => !any(item, itemPath, scope);
      break;
    }
    case 'matches': {
      // RE2 syntax, linear time: a pattern must not be able to stall admission (linear-regex.ts).
      const compiled = compileLinearRegex(arg as string);
      if ('error' in compiled) return { error: compiled.error, code: 'POLICY_REGEX_INVALID', field: operator };
      const re = compiled.regex;
      test = (item) => path.some(item, (v) => typeof v === 'string' && re.test(v));
      break;
    }
    case 'under':
    case 'notUnder': {
      const prefixes = arg as string[];
      const bad = prefixes.find((p) => !p.startsWith('/'));
      if (bad !== undefined)
        return { error: `prefix "${bad}" must be an absolute path`, code: 'POLICY_SCHEMA_INVALID', field: operator };
      const isUnder = (v: string): boolean => prefixes.some((p) => isUnderPrefix(v, p));
      test =
        operator === 'under'
          ? (item) => path.some(item, (v) => typeof v === 'string' && isUnder(v))
          : (item) => path.some(item, (v) => typeof v === 'string' && !isUnder(v));
      break;
    }
    case 'detector':
    case 'noDetector': {
      const resolved = detectorNames(arg as string | string[]);
      if ('error' in resolved) return { error: resolved.error, code: 'POLICY_DETECTOR_UNKNOWN', field: operator };
      const find = findingsFor(resolved.names);
      if (operator === 'detector') {
        test = (item, itemPath, scope) => find(item, itemPath, path, scope);
      } else {
        test = (item, itemPath, scope) =>
          !find(item, itemPath, path, { root: undefined, findings: [], formats: scope.formats, memo: scope.memo });
      }
      break;
    }
    case 'writableMount': {
      const want = arg === true;
      test = (item, _itemPath, scope) =>
        path.some(item, (n) => typeof n === 'string' && isVolumeMountWritable(scope.root, n)) === want;
      break;
    }
  }
  return { condition: Object.freeze({ operator, path, arg, test }) };
}
