/**
 * Who owns an object, as far as the object itself shows: the controller ownerReference
 * (`controller: true`) is the first hop, and the controllers' naming is the hop the object does
 * not show (a Deployment's Pod names its ReplicaSet, not the Deployment). Exceptions use this to
 * follow a workload to the ReplicaSets, Jobs and Pods its controllers create.
 */
import { isRecord } from '../util/is-record.js';

/** A derived owner of an object: kind and name, in the object's own namespace. */
export interface Owner {
  kind: string;
  name: string;
}

/** The label the ReplicaSet controller puts on a Deployment's ReplicaSets and copies to their Pods. */
export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';

/** `<cronjob>-<scheduled time in minutes>`, the CronJob controller's Job name -> `<cronjob>`. */
function cronJobOf(jobName: string): string | undefined {
  const dash = jobName.lastIndexOf('-');
  if (dash <= 0 || dash === jobName.length - 1) return undefined;
  for (let i = dash + 1; i < jobName.length; i++) {
    const c = jobName.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
  }
  return jobName.slice(0, dash);
}

/** The ownerReference marked `controller: true`, when it has a kind and a name. */
export function controllerOf(metadata: unknown): Owner | undefined {
  if (!isRecord(metadata) || !Array.isArray(metadata.ownerReferences)) return undefined;
  for (const ref of metadata.ownerReferences) {
    if (!isRecord(ref) || ref.controller !== true) continue;
    if (typeof ref.kind !== 'string' || typeof ref.name !== 'string' || ref.kind === '' || ref.name === '')
      return undefined;
    return { kind: ref.kind, name: ref.name };
  }
  return undefined;
}

/**
 * The owners of an object, nearest first. Without a controller ownerReference there are none:
 * a name that looks like a controller's (`web-7d4b9c8f6d`) proves nothing on its own.
 * - First hop: the controller ownerReference, whatever its kind.
 * - ReplicaSet -> Deployment: when the first hop is a ReplicaSet whose name ends with
 *   `-<value of the object's pod-template-hash label>`, the name without that suffix (the
 *   Deployment controller names ReplicaSets `<deployment>-<hash>` and the hash label reaches
 *   the Pods through the template).
 * - Job -> CronJob: when the first hop is a Job whose name ends with `-<digits>`, the name
 *   without that suffix (the CronJob controller names Jobs `<cronjob>-<scheduled minute>`).
 */
export function ownersOf(object: unknown): Owner[] {
  const metadata = isRecord(object) ? object.metadata : undefined;
  const first = controllerOf(metadata);
  if (first === undefined) return [];
  const owners: Owner[] = [first];
  if (first.kind === 'ReplicaSet') {
    const labels = isRecord(metadata) ? metadata.labels : undefined;
    const hash = isRecord(labels) ? labels[POD_TEMPLATE_HASH_LABEL] : undefined;
    if (typeof hash === 'string' && hash !== '' && first.name.length > hash.length + 1) {
      const suffix = `-${hash}`;
      if (first.name.endsWith(suffix)) owners.push({ kind: 'Deployment', name: first.name.slice(0, -suffix.length) });
    }
  } else if (first.kind === 'Job') {
    const cronJob = cronJobOf(first.name);
    if (cronJob !== undefined) owners.push({ kind: 'CronJob', name: cronJob });
  }
  return owners;
}
