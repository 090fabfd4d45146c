/**
 * Reads a pod's opt-in (docs/injection.md, "The pod's opt-in"): the label, the ConfigMaps named
 * by `shroud.dev/sealed` and the mount path. Values in, an answer out: what to inject, nothing to
 * do, or the problems a developer must fix.
 */
import { isRecord } from '../util/is-record.js';
import {
  DEFAULT_MOUNT_PATH,
  INIT_PRIVATE_DIR,
  INJECT_LABEL,
  MOUNT_PATH_ANNOTATION,
  SEALED_ANNOTATION,
} from './constants.js';

export interface OptIn {
  /** The sealed ConfigMaps, in annotation order, no duplicates. */
  configMaps: string[];
  /** Where containers see the files: absolute, canonical, never `/`. */
  mountPath: string;
}

export type OptInResult =
  | { kind: 'inject'; optIn: OptIn }
  | { kind: 'skip'; warnings: string[] }
  | { kind: 'invalid'; problems: string[] };

/** A DNS subdomain (RFC 1123), what a ConfigMap's name must be. */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Text from the pod, quoted in a message only when short: annotations are not secrets, but they are not ours to echo at length. */
function quote(text: string): string {
  return text.length <= 63 ? JSON.stringify(text) : `a value of ${text.length} characters`;
}

function stringMap(metadata: Record<string, unknown>, key: 'labels' | 'annotations'): Record<string, unknown> {
  const map = metadata[key];
  return isRecord(map) ? map : {};
}

/** The segments of an absolute path (`/a/b/` → [a, b]). */
export function pathSegments(path: string): string[] {
  return path.split('/').filter((s) => s !== '');
}

/** Whether two absolute paths are the same, or one holds the other: `equal`, `inside` (a in b), `above` (a holds b). */
export function pathRelation(a: string, b: string): 'equal' | 'inside' | 'above' | undefined {
  const x = pathSegments(a);
  const y = pathSegments(b);
  const common = Math.min(x.length, y.length);
  for (let i = 0; i < common; i++) if (x[i] !== y[i]) return undefined;
  if (x.length === y.length) return 'equal';
  return x.length > y.length ? 'inside' : 'above';
}

function readConfigMaps(value: unknown, namespace: string, problems: string[]): string[] {
  const where = `annotation ${SEALED_ANNOTATION}`;
  if (value === undefined) {
    problems.push(
      `the pod has label ${INJECT_LABEL}: "true" but no ${where}; add ${SEALED_ANNOTATION}: "<configmap>[,<configmap>...]" ` +
        `naming the ConfigMaps of sealed values in namespace ${namespace} (made with shroud encrypt), or remove the label`,
    );
    return [];
  }
  if (typeof value !== 'string' || value.trim() === '') {
    problems.push(`${where} is empty; name at least one ConfigMap of sealed values in namespace ${namespace}`);
    return [];
  }
  const names: string[] = [];
  for (const [i, raw] of value.split(',').entries()) {
    const name = raw.trim();
    if (name.length === 0 || name.length > 253 || !DNS_SUBDOMAIN.test(name)) {
      problems.push(
        `${where}: entry ${i + 1} (${quote(name)}) is not a ConfigMap name (lowercase letters, digits, '-' and '.', ` +
          'at most 253 characters); separate names with commas and leave no empty entry',
      );
    } else if (names.includes(name)) {
      problems.push(`${where} names ConfigMap "${name}" twice; list each ConfigMap once`);
    } else {
      names.push(name);
    }
  }
  return names;
}

function readMountPath(value: unknown, problems: string[]): string {
  if (value === undefined) return DEFAULT_MOUNT_PATH;
  const where = `annotation ${MOUNT_PATH_ANNOTATION}`;
  if (typeof value !== 'string' || !value.startsWith('/')) {
    problems.push(`${where} must be an absolute path such as ${DEFAULT_MOUNT_PATH} (got ${quote(String(value))})`);
    return DEFAULT_MOUNT_PATH;
  }
  const segments = pathSegments(value);
  if (segments.length === 0) {
    problems.push(`${where} may not be "/": pick a folder of its own, such as ${DEFAULT_MOUNT_PATH}`);
  } else if (segments.some((s) => s === '..' || s === '.')) {
    problems.push(`${where} ${quote(value)} has a "." or ".." segment; write the path without them`);
  } else if (value.includes(':') || value.includes('\\')) {
    problems.push(`${where} ${quote(value)} has a ':' or '\\'; pick a plain folder such as ${DEFAULT_MOUNT_PATH}`);
  } else if (pathRelation(value, INIT_PRIVATE_DIR) !== undefined) {
    problems.push(
      `${where} ${quote(value)} overlaps ${INIT_PRIVATE_DIR}, where the shroud-unseal init container keeps its token ` +
        `and sealed values; pick another folder, such as ${DEFAULT_MOUNT_PATH}`,
    );
  }
  return `/${segments.join('/')}`;
}

/**
 * The pod's opt-in. Pods without the label are skipped (with a warning when they look as if they
 * meant to opt in); labelled pods with a missing or bad annotation are invalid, each problem a
 * sentence that says what to change.
 */
export function readOptIn(pod: Record<string, unknown>, namespace: string): OptInResult {
  const metadata = isRecord(pod.metadata) ? pod.metadata : {};
  const labels = stringMap(metadata, 'labels');
  const annotations = stringMap(metadata, 'annotations');
  const label = labels[INJECT_LABEL];
  if (label !== 'true') {
    const warnings: string[] = [];
    if (label !== undefined) {
      warnings.push(`label ${INJECT_LABEL} is ${quote(String(label))}, not "true": Shroud injected nothing`);
    } else if (annotations[SEALED_ANNOTATION] !== undefined) {
      warnings.push(
        `annotation ${SEALED_ANNOTATION} is set but label ${INJECT_LABEL}: "true" is not: Shroud injected nothing; add the label`,
      );
    }
    return { kind: 'skip', warnings };
  }
  const problems: string[] = [];
  const configMaps = readConfigMaps(annotations[SEALED_ANNOTATION], namespace, problems);
  const mountPath = readMountPath(annotations[MOUNT_PATH_ANNOTATION], problems);
  return problems.length > 0 ? { kind: 'invalid', problems } : { kind: 'inject', optIn: { configMaps, mountPath } };
}
