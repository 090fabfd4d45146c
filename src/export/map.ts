/**
 * `shroud export map`: the injection of `/mutate` (docs/injection.md, "The patch") as a
 * MutatingAdmissionPolicy and its binding (admissionregistration.k8s.io/v1). The same settings
 * in (image, unseal URL, unseal CA, size limit), two objects out; the policy's CEL computes the
 * same JSON Patch as the planner for every pod the planner would inject, and no patch at all for
 * the pods the planner would deny (a policy cannot deny: see README, "Injection without the
 * webhook"). Pure: no I/O; same settings, same objects.
 */
import {
  DEADLINE_SECONDS,
  DEFAULT_MOUNT_PATH,
  DEFAULT_RUN_AS,
  INIT_ARGS,
  INIT_CONTAINER,
  INIT_PRIVATE_DIR,
  INIT_RESOURCES,
  INJECT_LABEL,
  MOUNT_PATH_ANNOTATION,
  SEALED_ANNOTATION,
  SEALED_DIR,
  SEALED_VOLUME_PREFIX,
  SECRETS_VOLUME,
  TOKEN_AUDIENCE,
  TOKEN_DIR,
  TOKEN_EXPIRATION_SECONDS,
  TOKEN_FILE,
  TOKEN_VOLUME,
} from '../inject/index.js';
import { celString as s, celValue, jsonPatch, jsonPatchMove } from './map-cel.js';

/** What the export needs: the settings `/mutate` gets, with the CA required (no CA, no injection). */
export interface MapSettings {
  image: string;
  unsealUrl: string;
  /** The certificates of `--unseal-ca`, as `readUnsealCa` returns them (LF, one trailing newline). */
  unsealCaPem: string;
  sizeLimit: string;
}

/** Name of the policy and of its binding. */
export const MAP_NAME = 'shroud-inject';
export const MAP_API_VERSION = 'admissionregistration.k8s.io/v1';

type Obj = Record<string, unknown>;

/** A named CEL expression of the policy, as the tests and the cost estimate read them. */
export interface MapExpression {
  /** `matchConditions/<name>`, `variables/<name>` or `mutations/0`. */
  where: string;
  expression: string;
}

/**
 * The whitespace a sealed-annotation entry may carry around its name. `/mutate` trims with
 * JavaScript's `trim()`, the policy with CEL's `trim()` (Go's `strings.TrimSpace`); the two agree
 * on these characters and differ on U+0085 (Go only) and U+FEFF (JavaScript only), which are left
 * out: an entry padded with them is not a name here, so such a pod is not injected.
 */
const ENTRY_SPACE = '\t\n\u000b\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000';
const DNS_LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
/** An entry of `shroud.dev/sealed`: a DNS subdomain between optional whitespace (opt-in.ts). */
const ENTRY_PATTERN = `^[${ENTRY_SPACE}]*${DNS_LABEL}([.]${DNS_LABEL})*[${ENTRY_SPACE}]*$`;

const ANNOTATIONS = 'object.metadata.annotations';
const annotation = (key: string, fallback: string): string =>
  `has(${ANNOTATIONS}) && ${s(key)} in ${ANNOTATIONS} ? ${ANNOTATIONS}[${s(key)}] : ${s(fallback)}`;
const listOrEmpty = (field: string): string => `has(object.spec.${field}) ? object.spec.${field} : []`;

/** A path as its canonical form: `/` + its non-empty segments (opt-in.ts `pathSegments`). */
const canonical = (path: string): string => `("/" + ${path}.split("/").filter(seg, seg != "").join("/"))`;
/** `p` (canonical) equals, holds or is inside the mount path (opt-in.ts `pathRelation` defined). */
const related = (p: string): string =>
  `(${p} == variables.mountPath || ${p} == "/" || ${p}.startsWith(variables.mountPath + "/") || variables.mountPath.startsWith(${p} + "/"))`;
const readOnly = (m: string): string => `(has(${m}.readOnly) && ${m}.readOnly == true)`;
/** Container `c` already has Shroud's read-only mount at the mount path (plan.ts `checkMounts` true). */
export const hasOurMount = (c: string): string =>
  `(has(${c}.volumeMounts) && ${c}.volumeMounts.exists(m, m.name == ${s(SECRETS_VOLUME)} && ${canonical('m.mountPath')} == variables.mountPath && ${readOnly('m')}))`;
/** Container `c` has a mount that collides with the injection (plan.ts `checkMounts` problems). */
export const mountProblem = (c: string): string =>
  `(has(${c}.volumeMounts) && ${c}.volumeMounts.exists(m, m.name == ${s(SECRETS_VOLUME)} ? !(${canonical('m.mountPath')} == variables.mountPath && ${readOnly('m')}) : (m.mountPath != "" && [${canonical('m.mountPath')}].exists(p, ${related('p')}))))`;
/** Whether init container `c` is Shroud's own (plan.ts `isOurInitContainer`: judged on `args`). */
const isOurInit = (c: string): string => `(has(${c}.args) && ${c}.args == ${celValue([...INIT_ARGS])})`;
/** The volume of the pod named by CEL string `name`, as the planner finds it (the first of that name), tested by `test` on `v`. */
const firstVolumeIs = (name: string, test: string): string =>
  `(${name} in variables.volumeNames && ![variables.volumes[variables.volumeNames.indexOf(${name})]].all(v, ${test}))`;
const sealedVolumeName = (n: string): string =>
  `(${s(SEALED_VOLUME_PREFIX)} + string(variables.configMaps.indexOf(${n})))`;
const userOf = (c: string, field: 'runAsUser' | 'runAsGroup', fallback: string): string =>
  `has(${c}.securityContext) && has(${c}.securityContext.${field}) ? ${c}.securityContext.${field} : ${fallback}`;
const podSecurity = (field: string): string =>
  `has(object.spec.securityContext) && has(object.spec.securityContext.${field})`;

/** The variables, in order (each may use the ones before it). */
export function injectionVariables(settings: MapSettings): { name: string; expression: string }[] {
  const secretsVolume = {
    name: SECRETS_VOLUME,
    emptyDir: { medium: 'Memory', sizeLimit: settings.sizeLimit },
  };
  const tokenVolume = {
    name: TOKEN_VOLUME,
    projected: {
      sources: [
        {
          serviceAccountToken: { audience: TOKEN_AUDIENCE, expirationSeconds: TOKEN_EXPIRATION_SECONDS, path: 'token' },
        },
      ],
    },
  };
  const env = (name: string, value: string): string => `{"name": ${s(name)}, "value": ${value}}`;
  const initContainer = [
    `{"name": ${s(INIT_CONTAINER)}, "image": ${s(settings.image)}, "imagePullPolicy": "IfNotPresent", "args": ${celValue([...INIT_ARGS])},`,
    ` "env": [${[
      env('SHROUD_UNSEAL_URL', s(settings.unsealUrl)),
      env('SHROUD_UNSEAL_CA_PEM', s(settings.unsealCaPem)),
      env('SHROUD_TOKEN_FILE', s(TOKEN_FILE)),
      env('SHROUD_SEALED_DIR', s(SEALED_DIR)),
      env('SHROUD_OUTPUT_DIR', 'variables.mountPath'),
      env('SHROUD_FILE_MODE', 'variables.fsGroupSet ? "0440" : "0400"'),
      env('SHROUD_DEADLINE_SECONDS', s(String(DEADLINE_SECONDS))),
    ].join(', ')}],`,
    ` "volumeMounts": [{"name": ${s(SECRETS_VOLUME)}, "mountPath": variables.mountPath}, {"name": ${s(TOKEN_VOLUME)}, "mountPath": ${s(TOKEN_DIR)}, "readOnly": true}]`,
    ` + variables.configMaps.map(n, {"name": ${sealedVolumeName('n')}, "mountPath": ${s(`${SEALED_DIR}/`)} + n, "readOnly": true}),`,
    ` "resources": ${celValue({ requests: { ...INIT_RESOURCES.requests }, limits: { ...INIT_RESOURCES.limits } })},`,
    ` "securityContext": {"runAsNonRoot": true, "runAsUser": variables.runAsUser, "runAsGroup": variables.runAsGroup, "readOnlyRootFilesystem": true,`,
    ` "allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}}}`,
  ].join('\n');
  const allContainers = '(variables.containers + variables.initContainers)';
  return [
    // The opt-in (opt-in.ts): the ConfigMaps and the mount path, and whether /mutate would accept them.
    { name: 'sealedAnnotation', expression: annotation(SEALED_ANNOTATION, '') },
    { name: 'configMaps', expression: 'variables.sealedAnnotation.split(",").map(e, e.trim())' },
    {
      name: 'configMapsValid',
      expression:
        `variables.sealedAnnotation.split(",").all(e, e.matches(${s(ENTRY_PATTERN)})) && ` +
        'variables.configMaps.all(n, size(n) <= 253 && variables.configMaps.indexOf(n) == variables.configMaps.lastIndexOf(n))',
    },
    { name: 'mountPathAnnotation', expression: annotation(MOUNT_PATH_ANNOTATION, DEFAULT_MOUNT_PATH) },
    { name: 'mountSegments', expression: 'variables.mountPathAnnotation.split("/").filter(seg, seg != "")' },
    { name: 'mountPath', expression: '"/" + variables.mountSegments.join("/")' },
    {
      name: 'mountPathValid',
      expression:
        'variables.mountPathAnnotation.startsWith("/") && size(variables.mountSegments) > 0 && ' +
        '!variables.mountSegments.exists(seg, seg == "." || seg == "..") && ' +
        `!variables.mountPathAnnotation.contains(":") && !variables.mountPathAnnotation.contains(${s('\\')}) && ` +
        `!(variables.mountPath == ${s(INIT_PRIVATE_DIR)} || variables.mountPath.startsWith(${s(`${INIT_PRIVATE_DIR}/`)}) || ` +
        `${s(INIT_PRIVATE_DIR)}.startsWith(variables.mountPath + "/"))`,
    },
    // The pod's lists (absent and empty alike: the API server drops empty lists before admission).
    { name: 'containers', expression: listOrEmpty('containers') },
    { name: 'initContainers', expression: listOrEmpty('initContainers') },
    { name: 'volumes', expression: listOrEmpty('volumes') },
    { name: 'containerNames', expression: 'variables.containers.map(c, c.name)' },
    { name: 'initContainerNames', expression: 'variables.initContainers.map(c, c.name)' },
    { name: 'volumeNames', expression: 'variables.volumes.map(v, v.name)' },
    // Shroud's init container: its index when present (-1: absent), and names Shroud needs that are taken.
    {
      name: 'ourIndex',
      expression: `variables.initContainers.exists(c, c.name == ${s(INIT_CONTAINER)} && ${isOurInit('c')}) ? variables.initContainerNames.indexOf(${s(INIT_CONTAINER)}) : -1`,
    },
    {
      name: 'nameTaken',
      expression:
        `variables.initContainers.exists(c, c.name == ${s(INIT_CONTAINER)} && !${isOurInit('c')}) || ` +
        `variables.containers.exists(c, c.name == ${s(INIT_CONTAINER)})`,
    },
    // The volumes Shroud adds, and whether a volume of one of their names is someone else's (plan.ts isOurVolume).
    {
      name: 'plannedVolumes',
      expression:
        `[${celValue(secretsVolume)}, ${celValue(tokenVolume)}] + ` +
        `variables.configMaps.map(n, {"name": ${sealedVolumeName('n')}, "configMap": {"name": n, "optional": false}})`,
    },
    { name: 'missingVolumes', expression: 'variables.plannedVolumes.filter(p, !(p.name in variables.volumeNames))' },
    {
      name: 'volumeTaken',
      expression: [
        firstVolumeIs(s(SECRETS_VOLUME), 'has(v.emptyDir) && has(v.emptyDir.medium) && v.emptyDir.medium == "Memory"'),
        firstVolumeIs(
          s(TOKEN_VOLUME),
          'has(v.projected) && has(v.projected.sources) && v.projected.sources.exists(src, has(src.serviceAccountToken) && ' +
            `has(src.serviceAccountToken.audience) && src.serviceAccountToken.audience == ${s(TOKEN_AUDIENCE)} && ` +
            'has(src.serviceAccountToken.path) && src.serviceAccountToken.path == "token")',
        ),
        `variables.configMaps.exists(n, ${firstVolumeIs(sealedVolumeName('n'), 'has(v.configMap) && has(v.configMap.name) && v.configMap.name == n')})`,
      ].join(' ||\n'),
    },
    // Mounts at, above or below the mount path, or of shroud-secrets elsewhere or writable, in any container but ours.
    {
      name: 'mountTaken',
      expression:
        `variables.containers.exists(c, ${mountProblem('c')}) ||\n` +
        `variables.initContainers.exists(c, c.name != ${s(INIT_CONTAINER)} && ${mountProblem('c')})`,
    },
    // Who shroud-unseal runs as (plan.ts identity): -1 stands for "not set" (the API refuses negative ids).
    { name: 'podUser', expression: `${podSecurity('runAsUser')} ? object.spec.securityContext.runAsUser : -1` },
    { name: 'podGroup', expression: `${podSecurity('runAsGroup')} ? object.spec.securityContext.runAsGroup : -1` },
    { name: 'fsGroupSet', expression: podSecurity('fsGroup') },
    { name: 'users', expression: `${allContainers}.map(c, ${userOf('c', 'runAsUser', 'variables.podUser')})` },
    { name: 'nonRootUsers', expression: 'variables.users.filter(u, u > 0)' },
    { name: 'usersDiffer', expression: 'variables.nonRootUsers.exists(u, u != variables.nonRootUsers[0])' },
    {
      name: 'groups',
      expression: `${allContainers}.map(c, ${userOf('c', 'runAsGroup', 'variables.podGroup')}).filter(g, g >= 0)`,
    },
    {
      name: 'runAsUser',
      expression:
        'variables.podUser > 0 ? variables.podUser : ' +
        'size(variables.nonRootUsers) > 0 && !variables.usersDiffer && variables.users.all(u, u >= 0) ? variables.nonRootUsers[0] : ' +
        String(DEFAULT_RUN_AS),
    },
    {
      name: 'runAsGroup',
      expression:
        'variables.podGroup >= 0 ? variables.podGroup : ' +
        'size(variables.groups) > 0 && variables.groups.all(g, g == variables.groups[0]) ? variables.groups[0] : ' +
        String(DEFAULT_RUN_AS),
    },
    // Containers as different users without fsGroup: /mutate denies when it adds shroud-unseal.
    {
      name: 'usersCannotShare',
      expression: 'variables.ourIndex < 0 && !variables.fsGroupSet && variables.usersDiffer',
    },
    // Everything /mutate would deny, in one: such a pod gets no patch.
    {
      name: 'inject',
      expression:
        'variables.configMapsValid && variables.mountPathValid && !variables.nameTaken && !variables.volumeTaken && ' +
        '!variables.mountTaken && !variables.usersCannotShare',
    },
    {
      name: 'secretsMount',
      expression: `{"name": ${s(SECRETS_VOLUME)}, "mountPath": variables.mountPath, "readOnly": true}`,
    },
    { name: 'initContainer', expression: initContainer },
  ];
}

/** The read-only mount for every container of list `field` that lacks it, by its index in the pod. */
function mountOps(field: 'containers' | 'initContainers', names: string, filter: string): string {
  const base = `${s(`/spec/${field}/`)} + string(${names}.indexOf(c.name)) + "/volumeMounts"`;
  return (
    `variables.${field}.filter(c, ${filter}!${hasOurMount('c')}).map(c, has(c.volumeMounts) && size(c.volumeMounts) > 0 ?\n` +
    `  ${jsonPatch('add', `${base} + "/-"`, 'variables.secretsMount')} :\n` +
    `  ${jsonPatch('add', base, '[variables.secretsMount]')})`
  );
}

/**
 * The mutation: the JSON Patch of plan.ts, in its order (volumes, mounts by the indices the pod
 * has, then the init container at index 0, or a `move` back to index 0), or `[]` when the pod
 * has everything already or would be denied by `/mutate`.
 */
function mutation(): string {
  return [
    '!variables.inject ? [] :',
    '(size(variables.missingVolumes) == 0 ? [] : size(variables.volumes) == 0 ?',
    `  [${jsonPatch('add', s('/spec/volumes'), 'variables.missingVolumes')}] :`,
    `  variables.missingVolumes.map(v, ${jsonPatch('add', s('/spec/volumes/-'), 'v')})) +`,
    `${mountOps('containers', 'variables.containerNames', '')} +`,
    `${mountOps('initContainers', 'variables.initContainerNames', `c.name != ${s(INIT_CONTAINER)} && `)} +`,
    '(variables.ourIndex < 0 ? (size(variables.initContainers) == 0 ?',
    `  [${jsonPatch('add', s('/spec/initContainers'), '[variables.initContainer]')}] :`,
    `  [${jsonPatch('add', s('/spec/initContainers/0'), 'variables.initContainer')}]) :`,
    ' variables.ourIndex > 0 ?',
    `  [${jsonPatchMove(`${s('/spec/initContainers/')} + string(variables.ourIndex)`, s('/spec/initContainers/0'))}] : [])`,
  ].join('\n');
}

/** The label match of `/mutate`'s objectSelector, again as a condition (a binding may widen the selector). */
export const LABELLED = `has(object.metadata.labels) && ${s(INJECT_LABEL)} in object.metadata.labels && object.metadata.labels[${s(INJECT_LABEL)}] == "true"`;

export const METADATA_LABELS = { 'app.kubernetes.io/name': 'shroud', 'app.kubernetes.io/component': 'inject' };

/** The scope of the MutatingWebhookConfiguration of manifests/: Pod CREATE, labelled, not in kube-system or shroud. */
export function matchConstraints(): Obj {
  return {
    namespaceSelector: {
      matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system', 'shroud'] }],
    },
    objectSelector: { matchLabels: { [INJECT_LABEL]: 'true' } },
    resourceRules: [
      { apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'], scope: 'Namespaced' },
    ],
  };
}

/**
 * The MutatingAdmissionPolicy and its binding. Scope as the MutatingWebhookConfiguration of
 * manifests/: Pod CREATE, label `shroud.dev/inject: "true"`, not in kube-system or shroud;
 * `failurePolicy: Fail` (an expression that fails must not start a labelled pod without its
 * secrets), `reinvocationPolicy: IfNeeded` (containers added later get their mount).
 */
export function exportInjectionPolicy(settings: MapSettings): { policy: Obj; binding: Obj } {
  const policy = {
    apiVersion: MAP_API_VERSION,
    kind: 'MutatingAdmissionPolicy',
    metadata: { name: MAP_NAME, labels: { ...METADATA_LABELS } },
    spec: {
      failurePolicy: 'Fail',
      reinvocationPolicy: 'IfNeeded',
      matchConstraints: matchConstraints(),
      matchConditions: [{ name: 'labelled', expression: LABELLED }],
      variables: injectionVariables(settings),
      mutations: [{ patchType: 'JSONPatch', jsonPatch: { expression: mutation() } }],
    },
  };
  const binding = {
    apiVersion: MAP_API_VERSION,
    kind: 'MutatingAdmissionPolicyBinding',
    metadata: { name: MAP_NAME, labels: { ...METADATA_LABELS } },
    spec: { policyName: MAP_NAME },
  };
  return { policy, binding };
}

/** Every CEL expression of an exported policy, in evaluation order. */
export function mapExpressions(policy: Obj): MapExpression[] {
  const spec = policy.spec as {
    matchConditions: { name: string; expression: string }[];
    variables: { name: string; expression: string }[];
    mutations: { jsonPatch: { expression: string } }[];
  };
  return [
    ...spec.matchConditions.map((c) => ({ where: `matchConditions/${c.name}`, expression: c.expression })),
    ...spec.variables.map((v) => ({ where: `variables/${v.name}`, expression: v.expression })),
    ...spec.mutations.map((m, i) => ({ where: `mutations/${i}`, expression: m.jsonPatch.expression })),
  ];
}
