/**
 * The denials of `/mutate` for a cluster that injects with the exported MutatingAdmissionPolicy
 * alone: a ValidatingAdmissionPolicy (`shroud-inject-guard`) over the same variables. Validation
 * runs after every mutation, so a labelled pod reaches it injected, or not injected because
 * `/mutate` would have denied it (each reason is one validation, with its message), or not
 * injected at all (neither the policy nor the webhook ran). Pure: settings in, objects out.
 */
import {
  INIT_CONTAINER,
  INIT_PRIVATE_DIR,
  INJECT_LABEL,
  MOUNT_PATH_ANNOTATION,
  SEALED_ANNOTATION,
} from '../inject/index.js';
import {
  hasOurMount,
  mountProblem,
  injectionVariables,
  LABELLED,
  MAP_NAME,
  type MapSettings,
  METADATA_LABELS,
  matchConstraints,
} from './map.js';
import { celString as s } from './map-cel.js';

export const GUARD_NAME = `${MAP_NAME}-guard`;

type Obj = Record<string, unknown>;

const PREFIX = `Shroud injection (label ${INJECT_LABEL}: "true") cannot proceed: `;

/** One validation per reason `/mutate` denies (docs/injection.md, README "Collisions"), then "was it injected". */
const VALIDATIONS: { expression: string; message: string; messageExpression?: string }[] = [
  {
    expression: 'variables.configMapsValid',
    message:
      `${PREFIX}annotation ${SEALED_ANNOTATION} must name the ConfigMaps of sealed values in the pod's namespace, ` +
      "comma-separated, each once, each a ConfigMap name (lowercase letters, digits, '-' and '.'); add or fix it, or remove the label",
  },
  {
    expression: 'variables.mountPathValid',
    message:
      `${PREFIX}annotation ${MOUNT_PATH_ANNOTATION} must be an absolute path other than /, without a "." or ".." ` +
      `segment, ':' or '\\', and not overlapping ${INIT_PRIVATE_DIR}; pick a folder such as /run/secrets/shroud`,
  },
  {
    expression: '!variables.nameTaken',
    message: `${PREFIX}the pod has a container or init container named "${INIT_CONTAINER}" that is not Shroud's; rename it`,
  },
  {
    expression: '!variables.volumeTaken',
    message: `${PREFIX}the pod has a volume named shroud-secrets, shroud-token or shroud-sealed-N that is not Shroud's; rename it`,
  },
  {
    expression: '!variables.mountTaken',
    message:
      `${PREFIX}a container mounts a volume at, inside or above the injection mount path, or mounts shroud-secrets ` +
      `elsewhere or writable; move that mount, or set annotation ${MOUNT_PATH_ANNOTATION} to a folder no container uses`,
    // The same, naming the containers and the mount path.
    messageExpression:
      `${s(`${PREFIX}container `)} + (variables.containers + variables.initContainers.filter(c, c.name != ${s(INIT_CONTAINER)}))` +
      `.filter(c, ${mountProblem('c')}).map(c, ${s('"')} + c.name + ${s('"')}).join(", ") + ` +
      `${s(' mounts a volume at, inside or above the injection mount path ')} + variables.mountPath + ` +
      `${s(`, or mounts shroud-secrets elsewhere or writable; move that mount, or set annotation ${MOUNT_PATH_ANNOTATION} to a folder no container uses`)}`,
  },
  {
    expression: '!variables.usersCannotShare',
    message:
      `${PREFIX}the containers run as different users and the pod sets no securityContext.fsGroup, so secret files of ` +
      'mode 0400 could not be read by all of them; set spec.securityContext.fsGroup, or one runAsUser for every container',
  },
  {
    expression:
      '!variables.inject || (variables.ourIndex == 0 && size(variables.missingVolumes) == 0 && ' +
      `variables.containers.all(c, ${hasOurMount('c')}) && ` +
      `variables.initContainers.all(c, c.name == ${s(INIT_CONTAINER)} || ${hasOurMount('c')}))`,
    message:
      `${PREFIX}the pod was not injected: neither MutatingAdmissionPolicy ${MAP_NAME} nor the Shroud webhook ` +
      'added shroud-unseal; check that one of them is installed and bound',
  },
];

/**
 * The ValidatingAdmissionPolicy and its binding (`validationActions: [Deny]`), scoped as the
 * mutating policy; `failurePolicy: Fail`.
 */
export function exportInjectionGuard(settings: MapSettings): { policy: Obj; binding: Obj } {
  const variables = injectionVariables(settings).filter((v) => v.name !== 'secretsMount' && v.name !== 'initContainer');
  const policy = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicy',
    metadata: { name: GUARD_NAME, labels: { ...METADATA_LABELS } },
    spec: {
      failurePolicy: 'Fail',
      matchConstraints: matchConstraints(),
      matchConditions: [{ name: 'labelled', expression: LABELLED }],
      variables,
      validations: VALIDATIONS.map((v) => ({ ...v })),
    },
  };
  const binding = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicyBinding',
    metadata: { name: GUARD_NAME, labels: { ...METADATA_LABELS } },
    spec: { policyName: GUARD_NAME, validationActions: ['Deny'] },
  };
  return { policy, binding };
}
