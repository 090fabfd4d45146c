/**
 * The injection planner: a Pod (the object of a CREATE review) and the webhook's settings in, a
 * JSON Patch (RFC 6902) or a denial out. Pure: no I/O, no clock, no process globals. The patch is
 * exactly docs/injection.md, "The patch".
 */
import type { JsonPatchOp } from '../admission/index.js';
import { isRecord } from '../util/is-record.js';
import {
  DEADLINE_SECONDS,
  DEFAULT_RUN_AS,
  INIT_ARGS,
  INIT_CONTAINER,
  INIT_RESOURCES,
  SEALED_DIR,
  SEALED_VOLUME_PREFIX,
  SECRETS_VOLUME,
  TOKEN_AUDIENCE,
  TOKEN_DIR,
  TOKEN_EXPIRATION_SECONDS,
  TOKEN_FILE,
  TOKEN_VOLUME,
} from './constants.js';
import { type OptIn, pathRelation, readOptIn } from './opt-in.js';
import { pointer } from './pointer.js';

/** What the webhook passes the planner, from `--inject-image`, `--unseal-url`, `--unseal-ca` and `--inject-size-limit`. */
export interface InjectionSettings {
  /** The image of the init container (it runs `shroud unseal-init`). */
  image: string;
  /** The unseal service, as the init container reaches it. */
  unsealUrl: string;
  /**
   * The PEM certificates that sign the unseal service's certificate; the init container trusts
   * only these. Undefined: injection is not configured, and labelled pods are denied.
   */
  unsealCaPem: string | undefined;
  /** sizeLimit of the in-memory volume (a Kubernetes quantity, `1Mi`). */
  sizeLimit: string;
}

/** What to do with one pod. */
export type InjectionPlan =
  /** Change nothing: not labelled, or everything is already there. */
  | { action: 'none'; warnings: string[] }
  | { action: 'patch'; patch: JsonPatchOp[]; warnings: string[] }
  /** Refuse the pod: `message` says what to change. */
  | { action: 'deny'; message: string };

type Obj = Record<string, unknown>;

/** The lists a plan reads; a list the pod has in the wrong shape is a denial, never a guess. */
interface PodLists {
  spec: Obj;
  containers: Obj[];
  initContainers: Obj[] | undefined;
  volumes: Obj[] | undefined;
}

function list(owner: Obj, key: string, where: string, problems: string[]): Obj[] | undefined {
  const value = owner[key];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every(isRecord)) {
    problems.push(`${where}.${key} is not a list of objects; fix the manifest`);
    return undefined;
  }
  return value;
}

function readLists(pod: Obj, problems: string[]): PodLists | undefined {
  if (!isRecord(pod.spec)) {
    problems.push('the pod has no spec');
    return undefined;
  }
  const spec = pod.spec;
  const containers = list(spec, 'containers', 'spec', problems) ?? [];
  const initContainers = list(spec, 'initContainers', 'spec', problems);
  const volumes = list(spec, 'volumes', 'spec', problems);
  return { spec, containers, initContainers, volumes };
}

/** A container's name for messages, or where it is when it has none. */
function nameOf(item: Obj, where: string): string {
  return typeof item.name === 'string' ? item.name : where;
}

function securityContextOf(owner: Obj): Obj {
  return isRecord(owner.securityContext) ? owner.securityContext : {};
}

function integerAt(owner: Obj, key: string): number | undefined {
  const value = owner[key];
  return typeof value === 'number' && Number.isSafeInteger(value) ? value : undefined;
}

/** The volumes Shroud adds, in the order they are added. */
function plannedVolumes(optIn: OptIn, settings: InjectionSettings): Obj[] {
  return [
    { name: SECRETS_VOLUME, emptyDir: { medium: 'Memory', sizeLimit: settings.sizeLimit } },
    {
      name: TOKEN_VOLUME,
      projected: {
        sources: [
          {
            serviceAccountToken: {
              audience: TOKEN_AUDIENCE,
              expirationSeconds: TOKEN_EXPIRATION_SECONDS,
              path: 'token',
            },
          },
        ],
      },
    },
    ...optIn.configMaps.map((name, n) => ({
      name: `${SEALED_VOLUME_PREFIX}${n}`,
      configMap: { name, optional: false },
    })),
  ];
}

/**
 * Whether a volume of one of Shroud's names is Shroud's own (from an earlier invocation; the
 * API server may have added defaults since, such as `defaultMode`), judged on what matters.
 */
function isOurVolume(existing: Obj, planned: Obj): boolean {
  if (planned.emptyDir !== undefined) return isRecord(existing.emptyDir) && existing.emptyDir.medium === 'Memory';
  if (planned.projected !== undefined) {
    const sources = isRecord(existing.projected) ? existing.projected.sources : undefined;
    return (
      Array.isArray(sources) &&
      sources.some(
        (s) =>
          isRecord(s) &&
          isRecord(s.serviceAccountToken) &&
          s.serviceAccountToken.audience === TOKEN_AUDIENCE &&
          s.serviceAccountToken.path === 'token',
      )
    );
  }
  const want = (planned.configMap as Obj).name;
  return isRecord(existing.configMap) && existing.configMap.name === want;
}

function isOurInitContainer(container: Obj): boolean {
  return (
    container.name === INIT_CONTAINER &&
    Array.isArray(container.args) &&
    container.args.length === INIT_ARGS.length &&
    container.args.every((a, i) => a === INIT_ARGS[i])
  );
}

/**
 * The user and group shroud-unseal runs as, and the mode of the files it writes (docs/injection.md):
 * the pod's runAsUser, else the one non-root user every container runs as, else 65532; never
 * root. Root containers are left out of "every container": with CAP_DAC_OVERRIDE they read any
 * file, and without it (a mesh's network init container) they have no business reading secrets.
 */
function identity(
  lists: PodLists,
  others: { container: Obj; where: string }[],
  problems: string[],
  warnings: string[],
): { user: number; group: number; fileMode: string } {
  const pod = securityContextOf(lists.spec);
  const podUser = integerAt(pod, 'runAsUser');
  const podGroup = integerAt(pod, 'runAsGroup');
  const fsGroup = integerAt(pod, 'fsGroup');
  const users = new Map<number, string[]>(); // non-root users that are known, with their containers
  const groups = new Set<number>();
  const seen: { name: string; user: number | undefined }[] = [];
  for (const { container, where } of others) {
    const own = securityContextOf(container);
    const user = integerAt(own, 'runAsUser') ?? podUser;
    const group = integerAt(own, 'runAsGroup') ?? podGroup;
    const name = nameOf(container, where);
    seen.push({ name, user });
    if (user !== undefined && user !== 0) users.set(user, [...(users.get(user) ?? []), name]);
    if (group !== undefined) groups.add(group);
  }
  if (fsGroup === undefined && users.size > 1) {
    const who = [...users].map(([user, names]) => `${names.map((n) => `"${n}"`).join(', ')} as ${user}`).join('; ');
    problems.push(
      `the containers run as different users (${who}) and the pod sets no securityContext.fsGroup, so secret files ` +
        'of mode 0400 could not be read by all of them; set spec.securityContext.fsGroup, or one runAsUser for every container',
    );
  }
  const everyoneKnown = seen.every((c) => c.user !== undefined);
  const only = users.size === 1 && everyoneKnown ? [...users.keys()][0] : undefined;
  const user = podUser !== undefined && podUser !== 0 ? podUser : (only ?? DEFAULT_RUN_AS);
  const unsure = seen.filter((c) => c.user !== user);
  if (fsGroup === undefined && users.size <= 1 && unsure.length > 0) {
    const list = unsure
      .map((c) => `"${c.name}" (${c.user === undefined ? 'no runAsUser' : c.user === 0 ? 'root' : `user ${c.user}`})`)
      .join(', ');
    warnings.push(
      `Shroud injection: the secret files (mode 0400) belong to user ${user} and the pod sets no fsGroup, so ` +
        `container ${list} can read them only as user ${user} or with CAP_DAC_OVERRIDE; ` +
        'set spec.securityContext.fsGroup to make them group-readable',
    );
  }
  const group = podGroup ?? (groups.size === 1 ? [...groups][0]! : DEFAULT_RUN_AS);
  return { user, group, fileMode: fsGroup === undefined ? '0400' : '0440' };
}

function initContainer(
  optIn: OptIn,
  settings: InjectionSettings,
  caPem: string,
  id: { user: number; group: number; fileMode: string },
): Obj {
  return {
    name: INIT_CONTAINER,
    image: settings.image,
    imagePullPolicy: 'IfNotPresent',
    args: [...INIT_ARGS],
    env: [
      { name: 'SHROUD_UNSEAL_URL', value: settings.unsealUrl },
      { name: 'SHROUD_UNSEAL_CA_PEM', value: caPem },
      { name: 'SHROUD_TOKEN_FILE', value: TOKEN_FILE },
      { name: 'SHROUD_SEALED_DIR', value: SEALED_DIR },
      { name: 'SHROUD_OUTPUT_DIR', value: optIn.mountPath },
      { name: 'SHROUD_FILE_MODE', value: id.fileMode },
      { name: 'SHROUD_DEADLINE_SECONDS', value: String(DEADLINE_SECONDS) },
    ],
    volumeMounts: [
      { name: SECRETS_VOLUME, mountPath: optIn.mountPath },
      { name: TOKEN_VOLUME, mountPath: TOKEN_DIR, readOnly: true },
      ...optIn.configMaps.map((name, n) => ({
        name: `${SEALED_VOLUME_PREFIX}${n}`,
        mountPath: `${SEALED_DIR}/${name}`,
        readOnly: true,
      })),
    ],
    resources: {
      requests: { ...INIT_RESOURCES.requests },
      limits: { ...INIT_RESOURCES.limits },
    },
    securityContext: {
      runAsNonRoot: true,
      runAsUser: id.user,
      runAsGroup: id.group,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    },
  };
}

/**
 * Checks one container's mounts against the injection mount path. True when it already has
 * Shroud's read-only mount; collisions are pushed to `problems` naming the container and path.
 */
function checkMounts(container: Obj, where: string, mountPath: string, problems: string[]): boolean {
  const mounts = container.volumeMounts;
  if (mounts === undefined || mounts === null) return false;
  const name = nameOf(container, where);
  if (!Array.isArray(mounts) || !mounts.every(isRecord)) {
    problems.push(`container "${name}" (${where}.volumeMounts) is not a list of objects; fix the manifest`);
    return false;
  }
  let present = false;
  for (const [j, mount] of mounts.entries()) {
    const at = `${where}.volumeMounts[${j}]`;
    const path = typeof mount.mountPath === 'string' ? mount.mountPath : '';
    if (mount.name === SECRETS_VOLUME) {
      if (pathRelation(path, mountPath) === 'equal' && mount.readOnly === true) {
        present = true;
        continue;
      }
      problems.push(
        `container "${name}" mounts volume ${SECRETS_VOLUME} at ${JSON.stringify(path)}${mount.readOnly === true ? '' : ' writable'} (${at}); ` +
          `Shroud mounts it read-only at ${mountPath} itself: remove that mount`,
      );
      continue;
    }
    const relation = pathRelation(path, mountPath);
    if (relation === undefined || path === '') continue;
    const how = { equal: 'at', inside: 'inside', above: 'above' }[relation];
    problems.push(
      `container "${name}" mounts volume "${String(mount.name)}" at ${path} (${at}), ${how} the injection mount path ` +
        `${mountPath}; move that mount, or set annotation shroud.dev/mount-path to a folder no container uses`,
    );
  }
  return present;
}

function deny(problems: string[]): InjectionPlan {
  const lines = problems.map((p) => `- ${p}`).join('\n');
  return {
    action: 'deny',
    message: `Shroud injection (label shroud.dev/inject: "true") cannot proceed:\n${lines}`,
  };
}

/**
 * Plans the injection into one pod. Not labelled: nothing. Labelled and valid: the patch that
 * adds what is missing (nothing when all is there; only the mounts of containers added since an
 * earlier pass). A bad opt-in, a name or mount-path collision, or users that could not all read
 * the files: a denial naming the container and path.
 * @param namespace the request's namespace, for messages.
 */
export function planInjection(pod: Obj, settings: InjectionSettings, namespace = 'default'): InjectionPlan {
  const opt = readOptIn(pod, namespace);
  if (opt.kind === 'skip') return { action: 'none', warnings: opt.warnings };
  if (opt.kind === 'invalid') return deny(opt.problems);
  const { optIn } = opt;
  const caPem = settings.unsealCaPem;
  if (caPem === undefined) {
    return deny([
      'injection is not configured on this Shroud webhook (no --unseal-ca, so shroud-unseal could not trust the unseal ' +
        'service); ask the platform team to set it, or remove the label',
    ]);
  }
  const problems: string[] = [];
  const warnings: string[] = [];
  const lists = readLists(pod, problems);
  if (lists === undefined || problems.length > 0) return deny(problems);

  // Volumes: add the missing ones; one of our names that is not ours is a collision.
  const newVolumes: Obj[] = [];
  for (const planned of plannedVolumes(optIn, settings)) {
    const index = (lists.volumes ?? []).findIndex((v) => v.name === planned.name);
    if (index < 0) newVolumes.push(planned);
    else if (!isOurVolume(lists.volumes![index]!, planned)) {
      problems.push(
        `the pod already has a volume named "${String(planned.name)}" (spec.volumes[${index}]) that is not Shroud's; ` +
          'rename it: Shroud adds a volume of that name',
      );
    }
  }

  // Our init container: absent, present and ours, or a foreign one of our name.
  const inits = lists.initContainers ?? [];
  let ourIndex = -1;
  for (const [i, c] of inits.entries()) {
    if (c.name !== INIT_CONTAINER) continue;
    if (isOurInitContainer(c)) ourIndex = i;
    else {
      problems.push(
        `the pod already has an init container named "${INIT_CONTAINER}" (spec.initContainers[${i}]) that is not Shroud's; rename it`,
      );
    }
  }
  for (const [i, c] of lists.containers.entries()) {
    if (c.name === INIT_CONTAINER) {
      problems.push(
        `the pod already has a container named "${INIT_CONTAINER}" (spec.containers[${i}]); rename it: Shroud adds an init container of that name`,
      );
    }
  }

  // Every other container, init container and native sidecar gets the read-only mount.
  const targets = [
    ...lists.containers.map((container, i) => ({ container, where: `spec.containers[${i}]`, path: ['containers', i] })),
    ...inits
      .map((container, i) => ({ container, where: `spec.initContainers[${i}]`, path: ['initContainers', i] }))
      .filter((_, i) => i !== ourIndex),
  ];
  const mountOps: JsonPatchOp[] = [];
  const mount = { name: SECRETS_VOLUME, mountPath: optIn.mountPath, readOnly: true };
  for (const { container, where, path } of targets) {
    if (checkMounts(container, where, optIn.mountPath, problems)) continue;
    mountOps.push(
      Array.isArray(container.volumeMounts)
        ? { op: 'add', path: pointer('spec', ...path, 'volumeMounts', '-'), value: { ...mount } }
        : { op: 'add', path: pointer('spec', ...path, 'volumeMounts'), value: [{ ...mount }] },
    );
  }

  // Who shroud-unseal runs as is settled when it is added; containers other webhooks add later
  // are theirs, not the developer's, and do not turn an injected pod into a denied one.
  const id = ourIndex < 0 ? identity(lists, targets, problems, warnings) : undefined;
  if (problems.length > 0) return deny(problems);

  const patch: JsonPatchOp[] = [];
  if (newVolumes.length > 0) {
    if (lists.volumes === undefined) patch.push({ op: 'add', path: pointer('spec', 'volumes'), value: newVolumes });
    else for (const v of newVolumes) patch.push({ op: 'add', path: pointer('spec', 'volumes', '-'), value: v });
  }
  patch.push(...mountOps);
  // Last, so the indices above still name the init containers as the pod has them.
  if (id !== undefined) {
    const ours = initContainer(optIn, settings, caPem, id);
    patch.push(
      lists.initContainers === undefined
        ? { op: 'add', path: pointer('spec', 'initContainers'), value: [ours] }
        : { op: 'add', path: pointer('spec', 'initContainers', 0), value: ours },
    );
  } else if (ourIndex > 0) {
    // Another webhook put an init container before ours since the first pass: ours goes first again.
    patch.push({
      op: 'move',
      from: pointer('spec', 'initContainers', ourIndex),
      path: pointer('spec', 'initContainers', 0),
    });
  }
  return patch.length === 0 ? { action: 'none', warnings } : { action: 'patch', patch, warnings };
}
