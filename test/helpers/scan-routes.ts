/** The recorded API of test/fixtures/scan: URL path -> fixture file. */
export const SCAN_FIXTURES = new URL('../fixtures/scan/', import.meta.url).pathname;

export const SCAN_ROUTES: Readonly<Record<string, string>> = {
  '/api/v1/pods': 'pods.pages.json',
  '/apis/apps/v1/deployments': 'deployments.json',
  '/apis/apps/v1/statefulsets': 'statefulsets.json',
  '/apis/apps/v1/daemonsets': 'daemonsets.json',
  '/apis/apps/v1/replicasets': 'replicasets.json',
  '/apis/batch/v1/jobs': 'jobs.json',
  '/apis/batch/v1/cronjobs': 'cronjobs.json',
  '/api/v1/replicationcontrollers': 'replicationcontrollers.json',
  '/apis/rbac.authorization.k8s.io/v1/roles': 'roles.json',
  '/apis/rbac.authorization.k8s.io/v1/clusterroles': 'clusterroles.json',
  '/apis/rbac.authorization.k8s.io/v1/rolebindings': 'rolebindings.json',
  '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings': 'clusterrolebindings.json',
  '/api/v1/configmaps': 'configmaps.json',
  '/api/v1/persistentvolumes': 'persistentvolumes.json',
  '/apis/argoproj.io': 'discovery-argoproj.io.json',
  '/apis/argoproj.io/v1alpha1': 'discovery-argoproj.io-v1alpha1.json',
  '/apis/argoproj.io/v1alpha1/rollouts': 'rollouts.json',
};

/** The continue tokens of the recorded pod pages (pods.pages.json), in order. */
export const POD_PAGE_TOKENS = [
  'eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6NTI4MTcsInN0YXJ0IjoidGVhbS1iL2FwaS01YzlmOGI3ZDYtYWJjZGVcdTAwMDAifQ',
  'eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6NTI4MTcsInN0YXJ0IjoidGVhbS1jL2xlZ2FjeS04NGM2ZDVmN2I5LWtrMmxwXHUwMDAwIn0',
] as const;
