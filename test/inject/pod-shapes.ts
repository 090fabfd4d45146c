/**
 * Pods as they reach `/mutate`: the shapes injection must handle, each opted in. Shared by the
 * planner's tests, the `/mutate` route's tests and the policy check of injected pods.
 */
import type { InjectionSettings } from '../../src/inject/index.js';

type Obj = Record<string, unknown>;

/** PEM-shaped text standing for the unseal CA: the planner copies it into the pod and never parses it. */
export const TEST_CA_PEM = `-----BEGIN CERTIFICATE-----
MIIBdzCCAR2gAwIBAgIUShroudTestCaShroudTestCaShroudTestwCgYIKoZIzj0E
-----END CERTIFICATE-----
`;

export const SETTINGS: InjectionSettings = {
  image: 'ghcr.io/shroud-dev/shroud:0.0.0-test',
  unsealUrl: 'https://shroud-unseal.shroud.svc:8443',
  unsealCaPem: TEST_CA_PEM,
  sizeLimit: '1Mi',
};

/** A pod in namespace shop, labelled and annotated for injection unless `meta` says otherwise. */
export function pod(spec: Obj, meta: { labels?: Obj; annotations?: Obj } = {}): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'web',
      namespace: 'shop',
      labels: meta.labels ?? { app: 'web', 'shroud.dev/inject': 'true' },
      annotations: meta.annotations ?? { 'shroud.dev/sealed': 'web-secrets' },
    },
    spec,
  };
}

export const app = (extra: Obj = {}): Obj => ({ name: 'app', image: 'registry.example.com/shop/web:1.4.2', ...extra });

/** The kube-api-access volume and mount the ServiceAccount admission plugin adds before webhooks run. */
const apiAccessVolume = {
  name: 'kube-api-access-x7k2q',
  projected: {
    defaultMode: 420,
    sources: [
      { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
      { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
    ],
  },
};
const apiAccessMount = {
  name: 'kube-api-access-x7k2q',
  mountPath: '/var/run/secrets/kubernetes.io/serviceaccount',
  readOnly: true,
};

export interface PodShape {
  name: string;
  pod: Obj;
}

/** Every shape is a valid opted-in pod that gets injected. */
export const POD_SHAPES: PodShape[] = [
  { name: 'a plain pod: no volumes, no initContainers, no volumeMounts', pod: pod({ containers: [app()] }) },
  {
    name: 'a pod as the API server sends it: service-account volume and mount already there',
    pod: pod({
      serviceAccountName: 'web',
      containers: [app({ volumeMounts: [apiAccessMount] })],
      volumes: [apiAccessVolume],
    }),
  },
  {
    name: 'a pod with init containers',
    pod: pod({
      initContainers: [
        { name: 'migrate', image: 'registry.example.com/shop/migrate:1', args: ['up'] },
        {
          name: 'warm-cache',
          image: 'registry.example.com/shop/warm:1',
          volumeMounts: [{ name: 'cache', mountPath: '/cache' }],
        },
      ],
      containers: [app({ volumeMounts: [{ name: 'cache', mountPath: '/cache' }] })],
      volumes: [{ name: 'cache', emptyDir: {} }],
    }),
  },
  {
    name: 'a pod with a native sidecar (restartPolicy: Always) and two containers',
    pod: pod({
      initContainers: [
        {
          name: 'log-shipper',
          image: 'registry.example.com/ops/shipper:2',
          restartPolicy: 'Always',
          volumeMounts: [{ name: 'logs', mountPath: '/var/log/app' }],
        },
      ],
      containers: [
        app({ volumeMounts: [{ name: 'logs', mountPath: '/var/log/app' }] }),
        { name: 'metrics', image: 'registry.example.com/ops/metrics:3' },
      ],
      volumes: [{ name: 'logs', emptyDir: {} }],
    }),
  },
  {
    name: 'an Istio-injected pod: istio-init, then istio-proxy as a native sidecar',
    pod: pod({
      initContainers: [
        {
          name: 'istio-init',
          image: 'docker.io/istio/proxyv2:1.24.0',
          args: ['istio-iptables', '-p', '15001', '-z', '15006', '-u', '1337'],
          securityContext: {
            capabilities: { add: ['NET_ADMIN', 'NET_RAW'], drop: ['ALL'] },
            runAsUser: 0,
            runAsNonRoot: false,
          },
        },
        {
          name: 'istio-proxy',
          image: 'docker.io/istio/proxyv2:1.24.0',
          restartPolicy: 'Always',
          securityContext: { runAsUser: 1337, runAsGroup: 1337 },
          volumeMounts: [{ name: 'istio-envoy', mountPath: '/etc/istio/proxy' }],
        },
      ],
      containers: [app()],
      volumes: [{ name: 'istio-envoy', emptyDir: { medium: 'Memory' } }],
      securityContext: { fsGroup: 1337 },
    }),
  },
  {
    name: 'an Istio-injected pod without fsGroup (istio-init as root, the proxy as 1337, the app unsaid)',
    pod: pod({
      initContainers: [
        {
          name: 'istio-init',
          image: 'docker.io/istio/proxyv2:1.24.0',
          securityContext: { capabilities: { add: ['NET_ADMIN', 'NET_RAW'], drop: ['ALL'] }, runAsUser: 0 },
        },
      ],
      containers: [
        app(),
        { name: 'istio-proxy', image: 'docker.io/istio/proxyv2:1.24.0', securityContext: { runAsUser: 1337 } },
      ],
    }),
  },
  {
    name: 'existing volumes and mounts elsewhere, two sealed ConfigMaps, a custom mount path',
    pod: pod(
      {
        containers: [
          app({
            volumeMounts: [
              { name: 'config', mountPath: '/etc/app', readOnly: true },
              { name: 'tls', mountPath: '/run/secrets/tls', readOnly: true },
            ],
          }),
        ],
        volumes: [
          { name: 'config', configMap: { name: 'web-config' } },
          { name: 'tls', secret: { secretName: 'web-tls' } },
        ],
      },
      {
        annotations: {
          'shroud.dev/sealed': ' web-secrets , db.credentials ',
          'shroud.dev/mount-path': '/etc/secrets/',
        },
      },
    ),
  },
  {
    name: 'names with "~" and "/" (mutating webhooks run before validation)',
    pod: pod({
      initContainers: [{ name: 'init~/0', image: 'busybox' }],
      containers: [
        { name: 'a/b', image: 'busybox', volumeMounts: [{ name: 'v~1', mountPath: '/data/~/x' }] },
        { name: 'c~d', image: 'busybox' },
      ],
      volumes: [{ name: 'v~1', emptyDir: {} }],
    }),
  },
  {
    name: 'null lists, as some clients send them',
    pod: pod({ containers: [app({ volumeMounts: null })], initContainers: null, volumes: null }),
  },
  {
    name: 'empty lists',
    pod: pod({ containers: [app({ volumeMounts: [] })], initContainers: [], volumes: [] }),
  },
  {
    name: 'a restricted pod: runAsUser, runAsGroup and fsGroup on the pod',
    pod: pod({
      securityContext: {
        runAsNonRoot: true,
        runAsUser: 10001,
        runAsGroup: 10001,
        fsGroup: 10001,
        seccompProfile: { type: 'RuntimeDefault' },
      },
      containers: [app({ securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } })],
    }),
  },
];
