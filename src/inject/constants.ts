/**
 * The names and paths of docs/injection.md, declared once: the planner writes them, the unseal
 * service and `shroud unseal-init` read them. Changing one is changing the contract.
 */

/** The label that opts a pod in (a label, so the webhook configuration's objectSelector can pick these pods). */
export const INJECT_LABEL = 'shroud.dev/inject';
/** The annotation naming the ConfigMaps of sealed values, comma-separated. */
export const SEALED_ANNOTATION = 'shroud.dev/sealed';
/** The annotation that moves where containers see the files. */
export const MOUNT_PATH_ANNOTATION = 'shroud.dev/mount-path';
/** Where containers see the files when the pod does not say. */
export const DEFAULT_MOUNT_PATH = '/run/secrets/shroud';

/** The in-memory volume the init container fills and every container mounts read-only. */
export const SECRETS_VOLUME = 'shroud-secrets';
/** The projected service-account token volume, mounted only into the init container. */
export const TOKEN_VOLUME = 'shroud-token';
/** Prefix of the configMap volumes, one per sealed ConfigMap: `shroud-sealed-0`, `-1`, ... */
export const SEALED_VOLUME_PREFIX = 'shroud-sealed-';
/** The init container, placed first among init containers. */
export const INIT_CONTAINER = 'shroud-unseal';
/** Its arguments: the `shroud unseal-init` command. */
export const INIT_ARGS: readonly string[] = ['unseal-init'];

/** The audience of the projected token; the unseal service's TokenReview asks for exactly this one. */
export const TOKEN_AUDIENCE = 'shroud';
/** Lifetime of the projected token (the kubelet refreshes it long before; the init container needs it once). */
export const TOKEN_EXPIRATION_SECONDS = 600;
/** Inside the init container: the folder of the token volume, and the token file in it. */
export const TOKEN_DIR = '/var/run/shroud/token';
export const TOKEN_FILE = `${TOKEN_DIR}/token`;
/** Inside the init container: one sub-folder per sealed ConfigMap, named as the ConfigMap. */
export const SEALED_DIR = '/var/run/shroud/sealed';
/** The folder that holds both; a pod's mount path may not overlap it. */
export const INIT_PRIVATE_DIR = '/var/run/shroud';

/** How long `shroud unseal-init` keeps retrying an unavailable unseal service. */
export const DEADLINE_SECONDS = 120;
/** User and group of the init container when the pod names none. */
export const DEFAULT_RUN_AS = 65532;

/**
 * Requests and limit of the init container, from a measurement (README, "Secret injection"): a
 * Node process that reads a token and five sealed files, makes one HTTPS call with a pinned CA
 * and writes five files peaked at 47 MiB RSS and used 65 ms of CPU; loading the whole `shroud`
 * command line as well peaks at 70 MiB and 230 ms. The memory request covers the first with
 * margin, the limit covers the second twice over; no CPU limit, so the short start-up is never
 * throttled.
 */
export const INIT_RESOURCES = {
  requests: { cpu: '10m', memory: '64Mi' },
  limits: { memory: '128Mi' },
} as const;
