/**
 * A realistic ~8 KB Deployment AdmissionReview: three containers with env from ConfigMaps and
 * field refs, probes, resources, volumes (no secrets in env, no hostPath), so every built-in
 * policy walks it fully and passes.
 */
export function deploymentReview(): Record<string, unknown> {
  const container = (name: string, port: number) => ({
    name,
    image: `registry.example.com/shop/${name}@sha256:${'ab12'.repeat(16)}`,
    imagePullPolicy: 'IfNotPresent',
    args: ['--port', String(port), '--log-format=json', '--metrics-addr=:9090'],
    ports: [
      { name: 'http', containerPort: port, protocol: 'TCP' },
      { name: 'metrics', containerPort: 9090, protocol: 'TCP' },
    ],
    env: [
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
      { name: 'LOG_LEVEL', valueFrom: { configMapKeyRef: { name: 'shop-config', key: 'log-level' } } },
      { name: 'FEATURE_FLAGS', valueFrom: { configMapKeyRef: { name: 'shop-config', key: 'features' } } },
      { name: 'MEMORY_LIMIT', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
      { name: 'UPSTREAM_URL', value: 'http://inventory.shop.svc.cluster.local:8080' },
      { name: 'CACHE_TTL_SECONDS', value: '300' },
    ],
    envFrom: [{ configMapRef: { name: 'shop-env' } }],
    resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '1', memory: '512Mi' } },
    livenessProbe: {
      httpGet: { path: '/healthz', port },
      initialDelaySeconds: 10,
      periodSeconds: 10,
      failureThreshold: 3,
    },
    readinessProbe: { httpGet: { path: '/readyz', port }, initialDelaySeconds: 5, periodSeconds: 5 },
    securityContext: {
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    },
    volumeMounts: [
      { name: 'config', mountPath: '/etc/shop', readOnly: true },
      { name: 'tmp', mountPath: '/tmp' },
      { name: 'db-credentials', mountPath: '/run/secrets/db', readOnly: true },
    ],
  });
  const object = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'storefront',
      namespace: 'shop',
      labels: {
        app: 'storefront',
        tier: 'web',
        team: 'checkout',
        'app.kubernetes.io/part-of': 'shop',
        'app.kubernetes.io/version': '4.12.0',
      },
      annotations: {
        'deployment.kubernetes.io/revision': '42',
        'shop.example.com/owner': 'checkout-team@example.com',
        'shop.example.com/runbook': 'https://runbooks.example.com/shop/storefront#rollbacks-and-incident-response',
        'shop.example.com/description':
          'Customer-facing storefront: renders product pages, talks to inventory and pricing, and hands carts to checkout. Scales on request rate; pages the checkout on-call rotation.',
        'argocd.argoproj.io/tracking-id': 'shop:apps/Deployment:shop/storefront',
      },
    },
    spec: {
      replicas: 3,
      revisionHistoryLimit: 5,
      selector: { matchLabels: { app: 'storefront' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 } },
      template: {
        metadata: {
          labels: { app: 'storefront', tier: 'web', team: 'checkout' },
          annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9090' },
        },
        spec: {
          serviceAccountName: 'storefront',
          terminationGracePeriodSeconds: 30,
          securityContext: {
            runAsUser: 10001,
            runAsGroup: 10001,
            fsGroup: 10001,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          initContainers: [{ ...container('migrate', 8081), args: ['migrate', '--wait'] }],
          containers: [container('web', 8080), container('worker', 8082)],
          volumes: [
            { name: 'config', configMap: { name: 'shop-config', defaultMode: 0o444 } },
            { name: 'tmp', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } },
            { name: 'db-credentials', secret: { secretName: 'db-credentials', defaultMode: 0o400 } },
          ],
          affinity: {
            podAntiAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: [
                {
                  weight: 100,
                  podAffinityTerm: {
                    topologyKey: 'kubernetes.io/hostname',
                    labelSelector: { matchLabels: { app: 'storefront' } },
                  },
                },
              ],
            },
          },
          tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'shop', effect: 'NoSchedule' }],
        },
      },
    },
  };
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: '3c7f6a8e-8f4b-4a3e-9a41-5b2d7c1e0f99',
      kind: { group: 'apps', version: 'v1', kind: 'Deployment' },
      resource: { group: 'apps', version: 'v1', resource: 'deployments' },
      requestKind: { group: 'apps', version: 'v1', kind: 'Deployment' },
      requestResource: { group: 'apps', version: 'v1', resource: 'deployments' },
      name: 'storefront',
      namespace: 'shop',
      operation: 'CREATE',
      userInfo: {
        username: 'system:serviceaccount:argocd:argocd-application-controller',
        uid: 'f2d1',
        groups: ['system:serviceaccounts', 'system:serviceaccounts:argocd', 'system:authenticated'],
      },
      object,
      oldObject: null,
      dryRun: false,
      options: { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1', fieldManager: 'argocd-controller' },
    },
  };
}
