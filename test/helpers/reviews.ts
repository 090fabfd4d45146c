import type { KubeObject } from '../../src/admission/index.js';

/** A value planted in test objects that must never come back out in a response, log or message. */
export const CANARY = 'CANARY-s3cr3t-7f1d2c9a';

/** An AdmissionReview request body for `object`, with sensible defaults for the rest. */
export function admissionReview(
  object: KubeObject | null,
  overrides: Record<string, unknown> = {},
  apiVersion = 'admission.k8s.io/v1',
): Record<string, unknown> {
  const kind = typeof object?.kind === 'string' ? object.kind : 'Pod';
  const metadata = (object?.metadata ?? {}) as { name?: string; namespace?: string };
  return {
    apiVersion,
    kind: 'AdmissionReview',
    request: {
      uid: 'd9e4c7a1-0000-4000-8000-000000000001',
      kind: { group: '', version: 'v1', kind },
      resource: { group: '', version: 'v1', resource: `${kind.toLowerCase()}s` },
      name: metadata.name,
      namespace: metadata.namespace ?? 'default',
      operation: 'CREATE',
      userInfo: { username: 'alice@example.com', groups: ['system:authenticated'] },
      object,
      oldObject: null,
      dryRun: false,
      ...overrides,
    },
  };
}

/** A Pod whose env carries a literal secret value (the canary) and a secretKeyRef. */
export function podWithCanary(): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'shop' },
    spec: {
      containers: [
        {
          name: 'app',
          image: 'nginx:1.27',
          env: [
            { name: 'DB_PASSWORD', value: CANARY },
            { name: 'API_TOKEN', valueFrom: { secretKeyRef: { name: 'api', key: 'token' } } },
          ],
        },
      ],
    },
  };
}
