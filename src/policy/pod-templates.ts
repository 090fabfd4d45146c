/**
 * Where each workload kind keeps its pod template. A policy that matches `Pod` runs on these
 * templates too, so developers see a rejection when they apply the Deployment, not later as a
 * ReplicaSet event nobody reads. These built-in kinds are matched by kind name; custom
 * workload kinds (`kind: WorkloadKinds` documents) are matched by API group and kind.
 */
import { isRecord } from '../util/is-record.js';

export const POD_TEMPLATE_PATHS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  Deployment: ['spec', 'template'],
  ReplicaSet: ['spec', 'template'],
  StatefulSet: ['spec', 'template'],
  DaemonSet: ['spec', 'template'],
  Job: ['spec', 'template'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template'],
  ReplicationController: ['spec', 'template'],
  PodTemplate: ['template'],
});

/** The key of a custom workload kind in PolicySet.byKind: `group/Kind`. */
export function qualifiedKind(group: string, kind: string): string {
  return `${group}/${kind}`;
}

/** The API group of an apiVersion (`apps/v1` -> `apps`, `v1` -> ''), or undefined when not a string. */
export function groupOfApiVersion(apiVersion: unknown): string | undefined {
  if (typeof apiVersion !== 'string') return undefined;
  const slash = apiVersion.lastIndexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/** The value at `path` inside `object`, or undefined. */
export function readAt(object: unknown, path: readonly string[]): unknown {
  let cur = object;
  for (const k of path) {
    if (!isRecord(cur)) return undefined;
    cur = cur[k];
  }
  return cur;
}
