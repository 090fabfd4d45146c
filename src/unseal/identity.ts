/** Who is asking: the pod identity a TokenReview vouches for, or why it does not. */
import { isDnsLabel, isDnsSubdomain } from '../crypto/index.js';
import type { TokenReviewResult } from '../kube/index.js';

/** The audience every unseal token must carry (the projected volume's `audience`). */
export const UNSEAL_AUDIENCE = 'shroud';

/** `user.extra` keys kube-apiserver sets for a token bound to a pod. */
export const POD_CLAIMS = {
  podName: 'authentication.kubernetes.io/pod-name',
  podUid: 'authentication.kubernetes.io/pod-uid',
  nodeName: 'authentication.kubernetes.io/node-name',
} as const;

/** A verified pod identity: every field came from kube-apiserver, none from the caller. */
export interface PodIdentity {
  namespace: string;
  serviceAccount: string;
  podName: string;
  podUid: string;
  /** The node the pod runs on, when the API server says (Kubernetes 1.30+). */
  node: string | undefined;
}

export type IdentityCheck = { ok: true; identity: PodIdentity } | { ok: false; reason: string };

const SA_USER = /^system:serviceaccount:([^:]+):([^:]+)$/;

function single(extra: TokenReviewResult['extra'], name: string): string | undefined {
  const values = extra[name];
  return values !== undefined && values.length === 1 && values[0] !== '' ? values[0] : undefined;
}

/**
 * Checks a TokenReview answer: authenticated, the `shroud` audience, a service-account user and
 * a pod binding (legacy Secret tokens have none). Reasons are for the caller and the audit log;
 * they quote names, never the token.
 */
export function checkIdentity(review: TokenReviewResult): IdentityCheck {
  if (!review.authenticated) {
    return { ok: false, reason: 'the token is not authenticated (expired, revoked, or not from this cluster)' };
  }
  if (!review.audiences.includes(UNSEAL_AUDIENCE)) {
    return {
      ok: false,
      reason: `the token is not for audience "${UNSEAL_AUDIENCE}": mount a projected service-account token with audience ${UNSEAL_AUDIENCE}`,
    };
  }
  const user = SA_USER.exec(review.username ?? '');
  const namespace = user?.[1];
  const serviceAccount = user?.[2];
  if (
    namespace === undefined ||
    serviceAccount === undefined ||
    !isDnsLabel(namespace) ||
    !isDnsSubdomain(serviceAccount)
  ) {
    return {
      ok: false,
      reason: 'the token does not belong to a service account (system:serviceaccount:NAMESPACE:NAME)',
    };
  }
  const podName = single(review.extra, POD_CLAIMS.podName);
  const podUid = single(review.extra, POD_CLAIMS.podUid);
  if (podName === undefined || podUid === undefined) {
    return {
      ok: false,
      reason:
        'the token is not bound to a pod (a legacy Secret-based token, or a TokenRequest without a pod): use the projected token the injected volume mounts',
    };
  }
  return {
    ok: true,
    identity: { namespace, serviceAccount, podName, podUid, node: single(review.extra, POD_CLAIMS.nodeName) },
  };
}
