/**
 * Where each workload kind keeps its pod template. A policy that matches `Pod` runs on these
 * templates too, so developers see a rejection when they apply the Deployment, not later as a
 * ReplicaSet event nobody reads.
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

/** The value at `path` inside `object`, or undefined. */
export function readAt(object: unknown, path: readonly string[]): unknown {
  let cur = object;
  for (const k of path) {
    if (!isRecord(cur)) return undefined;
    cur = cur[k];
  }
  return cur;
}
