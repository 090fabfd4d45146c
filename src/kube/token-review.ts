/**
 * TokenReview over the Kubernetes API: the one place Shroud asks kube-apiserver who holds a
 * token. Uses @kubernetes/client-node with an in-cluster config or a kubeconfig file.
 */
import { existsSync } from 'node:fs';
import { Agent, type AgentOptions } from 'node:https';
import { AuthenticationV1Api, KubeConfig, Observable, type V1TokenReview } from '@kubernetes/client-node';
import { ShroudError } from '../errors.js';

/** What kube-apiserver said about a token (status.* of a TokenReview). */
export interface TokenReviewResult {
  authenticated: boolean;
  /** Audiences the token is valid for, of those asked (empty when the API server does not say). */
  audiences: readonly string[];
  username: string | undefined;
  uid: string | undefined;
  /** user.extra, as sent (pod-name, pod-uid, node-name... for bound service-account tokens). */
  extra: Readonly<Record<string, readonly string[]>>;
  /** status.error: why the token did not authenticate (kube-apiserver's words; never the token). */
  error: string | undefined;
}

/** Asks kube-apiserver about one token. */
export interface TokenReviewer {
  /**
   * @throws ShroudError KUBE_UNAVAILABLE (unreachable, timed out, 5xx, 429),
   *   KUBE_REQUEST_REFUSED (the API server refused Shroud's own request: 401, 403, other 4xx)
   */
  review(token: string, options?: { signal?: AbortSignal }): Promise<TokenReviewResult>;
  /** Where the reviews go (`https://host:port`), for logs and /readyz. */
  readonly server: string;
}

export interface TokenReviewClientOptions {
  /** A kubeconfig file (its current context); without it, the in-cluster service account. */
  kubeconfigPath?: string | undefined;
  /** Audiences every review asks for. */
  audiences: readonly string[];
  /** One review must answer within this (default 5000 ms). */
  timeoutMs?: number;
}

const IN_CLUSTER_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/** True when this process runs in a pod with a service account token mounted (in-cluster config works). */
export function inClusterAvailable(env: Readonly<Record<string, string | undefined>>): boolean {
  return env.KUBERNETES_SERVICE_HOST !== undefined && existsSync(IN_CLUSTER_TOKEN);
}

/** Loads a kubeconfig file, or the in-cluster config without one, and checks it has a current cluster and user. */
export function loadKubeConfig(path: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (path === undefined) kc.loadFromCluster();
    else kc.loadFromFile(path);
  } catch (err) {
    throw new ShroudError(
      'KUBE_CONFIG_INVALID',
      path === undefined
        ? `the in-cluster Kubernetes config could not be loaded (${(err as Error).message}); give --kubeconfig FILE`
        : `the kubeconfig ${path} could not be read (${(err as Error).message}); check --kubeconfig or SHROUD_KUBECONFIG`,
      { cause: err, ...(path === undefined ? {} : { details: { file: path } }) },
    );
  }
  const cluster = kc.getCurrentCluster();
  if (cluster === null || kc.getCurrentUser() === null) {
    throw new ShroudError(
      'KUBE_CONFIG_INVALID',
      `the kubeconfig ${path ?? '(in-cluster)'} has no current context with a cluster and a user; set current-context`,
      { ...(path === undefined ? {} : { details: { file: path } }) },
    );
  }
  return kc;
}

function asStrings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function toResult(review: V1TokenReview): TokenReviewResult {
  const status = review.status ?? {};
  const extra: Record<string, readonly string[]> = {};
  for (const [name, values] of Object.entries(status.user?.extra ?? {})) extra[name] = asStrings(values);
  return {
    authenticated: status.authenticated === true,
    audiences: asStrings(status.audiences),
    username: typeof status.user?.username === 'string' ? status.user.username : undefined,
    uid: typeof status.user?.uid === 'string' ? status.user.uid : undefined,
    extra,
    error: typeof status.error === 'string' && status.error !== '' ? status.error : undefined,
  };
}

/** The TLS options of an agent that decide which server it trusts and who it is. */
const TLS_FIELDS = ['ca', 'cert', 'key', 'pfx', 'passphrase', 'servername', 'rejectUnauthorized'] as const;

function sameTls(a: AgentOptions, b: AgentOptions): boolean {
  return TLS_FIELDS.every((field) => {
    const x = a[field] as unknown;
    const y = b[field] as unknown;
    return Buffer.isBuffer(x) && Buffer.isBuffer(y) ? x.equals(y) : x === y;
  });
}

/**
 * client-node makes a new https.Agent for every request (so a new TCP and TLS connection: ~5 ms
 * of CPU each, measured in bench/unseal.bench.ts). This keeps one keep-alive agent per set of
 * TLS options it asked for, and makes a new one when they change (a rotated client
 * certificate). Proxy agents and anything else are left alone.
 */
function keepAliveAgents(): (agent: unknown) => unknown {
  let shared: { options: AgentOptions; agent: Agent } | undefined;
  return (agent) => {
    if (!(agent instanceof Agent) || agent.constructor !== Agent) return agent;
    const options = (agent as Agent & { options?: AgentOptions }).options;
    if (options === undefined) return agent;
    if (shared === undefined || !sameTls(shared.options, options)) {
      shared?.agent.destroy();
      shared = { options, agent: new Agent({ ...options, keepAlive: true, maxSockets: 64 }) };
    }
    return shared.agent;
  };
}

/** The HTTP status of a client-node failure, when the API server answered. */
function statusOf(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

/**
 * A TokenReviewer over the Kubernetes API.
 * @throws ShroudError KUBE_CONFIG_INVALID when the kubeconfig (or in-cluster config) cannot be loaded
 */
export function createTokenReviewClient(options: TokenReviewClientOptions): TokenReviewer {
  const kc = loadKubeConfig(options.kubeconfigPath);
  const api = kc.makeApiClient(AuthenticationV1Api);
  const server = kc.getCurrentCluster()!.server;
  const timeoutMs = options.timeoutMs ?? 5000;
  const audiences = [...options.audiences];
  const reuse = keepAliveAgents();
  return {
    server,
    async review(token, callOptions = {}) {
      // A referenced timer (AbortSignal.timeout is unref'd and would let a hung call outlive the process's work).
      const timeout = new AbortController();
      const timer = setTimeout(
        () => timeout.abort(new DOMException('TokenReview timed out', 'TimeoutError')),
        timeoutMs,
      );
      const signal = callOptions.signal ? AbortSignal.any([callOptions.signal, timeout.signal]) : timeout.signal;
      try {
        const answer = await api.createTokenReview(
          { body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, audiences } } },
          {
            middleware: [
              {
                pre: (context) => {
                  context.setSignal(signal);
                  context.setAgent(reuse(context.getAgent()) as Agent);
                  return new Observable(Promise.resolve(context));
                },
                post: (context) => new Observable(Promise.resolve(context)),
              },
            ],
            middlewareMergeStrategy: 'append',
          },
        );
        return toResult(answer);
      } catch (err) {
        const status = statusOf(err);
        if (timeout.signal.aborted) {
          throw new ShroudError('KUBE_UNAVAILABLE', `TokenReview at ${server} did not answer within ${timeoutMs} ms`, {
            details: { server, timeoutMs },
          });
        }
        if (status !== undefined && status >= 400 && status < 500 && status !== 429) {
          throw new ShroudError(
            'KUBE_REQUEST_REFUSED',
            `the API server at ${server} refused Shroud's TokenReview with HTTP ${status}; ` +
              "give Shroud's service account RBAC to create tokenreviews.authentication.k8s.io (system:auth-delegator)",
            { details: { server, status } },
          );
        }
        // The client's error text can echo the request body (and so the token): never kept.
        throw new ShroudError(
          'KUBE_UNAVAILABLE',
          status === undefined
            ? `TokenReview at ${server} failed: ${errorKind(err)}`
            : `TokenReview at ${server} answered HTTP ${status}`,
          { details: { server, ...(status === undefined ? {} : { status }) } },
        );
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** A transport failure named without its message (which may quote the request). */
function errorKind(err: unknown): string {
  const e = err as { code?: unknown; type?: unknown; name?: unknown } | null;
  if (typeof e?.code === 'string' && /^[A-Z_]+$/.test(e.code)) return e.code;
  if (typeof e?.type === 'string' && /^[a-z-]+$/.test(e.type)) return e.type;
  return typeof e?.name === 'string' ? e.name : 'unknown error';
}

/**
 * A reviewer for when no Kubernetes API is configured (`shroud serve --role all` on a laptop):
 * every review fails with KUBE_UNAVAILABLE saying what to configure.
 */
export function unconfiguredReviewer(): TokenReviewer {
  return {
    server: 'none',
    review: async () => {
      throw new ShroudError(
        'KUBE_UNAVAILABLE',
        'no Kubernetes API is configured for TokenReviews: give --kubeconfig FILE (or SHROUD_KUBECONFIG), or run in a cluster',
      );
    },
  };
}
