/**
 * The three AdmissionReview bodies the webhook benchmarks send: a small Pod, the ~8 KB
 * Deployment (deployment-review.ts) and a ~200 KB ConfigMap of ordinary configuration files.
 * All three pass every built-in policy, so each review walks the policies fully and is allowed,
 * as nearly every real review is.
 */
import { deploymentReview } from './deployment-review.js';

/** A small, clean Pod review (~1 KB): one container, a ConfigMap env ref, an emptyDir. */
export function smallPodReview(): Record<string, unknown> {
  const object = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-7d9f8', namespace: 'shop', labels: { app: 'web' } },
    spec: {
      containers: [
        {
          name: 'web',
          image: 'registry.example.com/shop/web:4.12.0',
          ports: [{ containerPort: 8080 }],
          env: [
            { name: 'LOG_LEVEL', valueFrom: { configMapKeyRef: { name: 'web-config', key: 'log-level' } } },
            { name: 'PORT', value: '8080' },
          ],
          resources: { requests: { cpu: '100m', memory: '128Mi' } },
          volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
        },
      ],
      volumes: [{ name: 'tmp', emptyDir: {} }],
    },
  };
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: '0b5e0f4c-2c1a-4d7e-9a55-1f3b9d2e8c01',
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      name: 'web-7d9f8',
      namespace: 'shop',
      operation: 'CREATE',
      userInfo: {
        username: 'system:serviceaccount:kube-system:replicaset-controller',
        groups: ['system:authenticated'],
      },
      object,
      oldObject: null,
      dryRun: false,
    },
  };
}

/** One ~5 KB configuration file: an nginx-style server block, properties and feature flags. */
function configFile(i: number): string {
  const lines: string[] = [`# service ${i}: generated configuration, no credentials here`];
  for (let j = 0; lines.join('\n').length < 5000; j++) {
    switch (j % 5) {
      case 0:
        lines.push(`location /api/v${i}/items/${j} { proxy_pass http://items-${j}.shop.svc.cluster.local:8080; }`);
        break;
      case 1:
        lines.push(`shop.catalog.page-size.${j}=${(j * 7) % 100}`);
        break;
      case 2:
        lines.push(`feature.checkout_flow_${j}: enabled`);
        break;
      case 3:
        lines.push(`timeouts.upstream_${j}_ms = ${1000 + j}`);
        break;
      default:
        lines.push(`  - name: route-${i}-${j}\n    weight: ${j % 10}\n    path: /shop/${i}/${j}`);
    }
  }
  return lines.join('\n');
}

/** A ~200 KB ConfigMap review: 40 keys, each an ordinary ~5 KB configuration file. */
export function largeConfigMapReview(): Record<string, unknown> {
  const data: Record<string, string> = {};
  for (let i = 0; i < 40; i++) data[`service-${i}.conf`] = configFile(i);
  const object = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'shop-routing', namespace: 'shop', labels: { app: 'shop' } },
    data,
  };
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: '5d0a7a3e-6a8f-4a52-8c0e-2b61f1d0c7aa',
      kind: { group: '', version: 'v1', kind: 'ConfigMap' },
      resource: { group: '', version: 'v1', resource: 'configmaps' },
      name: 'shop-routing',
      namespace: 'shop',
      operation: 'CREATE',
      userInfo: {
        username: 'system:serviceaccount:argocd:argocd-application-controller',
        groups: ['system:authenticated'],
      },
      object,
      oldObject: null,
      dryRun: false,
    },
  };
}

/** The bodies by name, as the bench tables label them. */
export const BENCH_BODIES: ReadonlyArray<{ name: string; review: () => Record<string, unknown> }> = [
  { name: 'small Pod', review: smallPodReview },
  { name: '8 KB Deployment', review: deploymentReview },
  { name: '200 KB ConfigMap', review: largeConfigMapReview },
];
