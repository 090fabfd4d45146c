/**
 * Lists of Kubernetes objects for `shroud scan`: every object of a resource across the cluster,
 * paged with `limit`/`continue`, a few lists at once, through the kubeconfig's (or the pod's
 * in-cluster) credentials as @kubernetes/client-node reads them. Response bodies are parsed and
 * handed back; nothing of them reaches an error message or the progress callback but counts.
 */
import { Agent, type RequestOptions, request } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { ShroudError } from '../errors.js';
import { isRecord } from '../util/is-record.js';
import { loadKubeConfig } from './token-review.js';

/** One resource to list, as the API names it. */
export interface ListTarget {
  /** API group ('' for the core group). */
  group: string;
  version: string;
  /** The plural resource name in URLs (`pods`, `rollouts`). */
  resource: string;
  /** The kind of its items (list responses leave kind and apiVersion off each item). */
  kind: string;
}

/** How one resource's list went. */
export interface ListResult {
  target: ListTarget;
  /** Objects listed (after a restart: of the list that completed). */
  items: number;
  pages: number;
  /** Times the list started over because its continue token expired (HTTP 410). */
  restarts: number;
}

/** Progress of one list, reported after every page. Counts only: never an object's content. */
export interface ListProgress {
  resource: string;
  items: number;
  pages: number;
  done: boolean;
}

export interface ListClientOptions {
  /** A kubeconfig file (its current context); without it, the in-cluster service account. */
  kubeconfigPath?: string | undefined;
  /** Items per page (`limit`); default 500. */
  pageSize?: number;
  /** Lists running at once; default 4. */
  concurrency?: number;
  /** One request must answer within this; default 30000 ms. */
  timeoutMs?: number;
}

/**
 * What receives the lists, page by page, so a large cluster is never held in memory at once.
 * Calls for one target come in order; pages of different targets interleave.
 */
export interface ListHandlers {
  /** One page's objects, each with `apiVersion` and `kind` filled in. */
  onPage(target: ListTarget, items: Record<string, unknown>[]): void;
  /** The target's list starts over (its continue token expired): forget every page it gave. */
  onRestart(target: ListTarget): void;
  onProgress?(progress: ListProgress): void;
}

/** Where a custom kind is served, or why it is not. */
export type Discovery = { found: ListTarget } | { missing: string };

export interface ListClient {
  /** `https://host:port`. */
  readonly server: string;
  /**
   * Lists every target, at most `concurrency` at once, handing each page to `handlers`;
   * results in the order of `targets`.
   * @throws ShroudError KUBE_REQUEST_REFUSED (401, 403, other 4xx), KUBE_UNAVAILABLE (no answer,
   *   timeout, 5xx, 429, a continue token that expired again after one restart)
   */
  listAll(targets: readonly ListTarget[], handlers: ListHandlers): Promise<ListResult[]>;
  /** Finds the resource serving `group`/`kind` in the group's preferred version (API discovery). */
  discover(group: string, kind: string): Promise<Discovery>;
  close(): void;
}

export const DEFAULT_PAGE_SIZE = 500;
export const DEFAULT_LIST_CONCURRENCY = 4;

/** An answer of the API server: status and parsed JSON body (undefined when not JSON). */
interface Answer {
  status: number;
  body: unknown;
}

/** The path of a resource's cluster-wide list. */
export function listPath(t: ListTarget): string {
  return t.group === '' ? `/api/${t.version}/${t.resource}` : `/apis/${t.group}/${t.version}/${t.resource}`;
}

/**
 * A client that lists resources.
 * @throws ShroudError KUBE_CONFIG_INVALID when the kubeconfig (or in-cluster config) cannot be loaded
 */
export function createListClient(options: ListClientOptions = {}): ListClient {
  const kc: KubeConfig = loadKubeConfig(options.kubeconfigPath);
  const server = kc.getCurrentCluster()!.server.replace(/\/+$/, '');
  const base = new URL(server);
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  const concurrency = Math.max(1, options.concurrency ?? DEFAULT_LIST_CONCURRENCY);
  const timeoutMs = options.timeoutMs ?? 30_000;
  let agent: Agent | undefined;

  async function get(path: string, what: string): Promise<Answer> {
    const opts: RequestOptions & { headers: Record<string, string> } = {
      protocol: base.protocol,
      hostname: base.hostname.replace(/^\[|\]$/g, ''),
      port: base.port === '' ? 443 : Number(base.port),
      path: `${base.pathname.replace(/\/+$/, '')}${path}`,
      method: 'GET',
      headers: { accept: 'application/json' },
    };
    // Client certificates, the CA and the bearer token (also from exec and token-file users).
    await kc.applyToHTTPSOptions(opts);
    agent ??= new Agent({
      ca: opts.ca,
      cert: opts.cert,
      key: opts.key,
      ...(opts.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: opts.rejectUnauthorized }),
      keepAlive: true,
      maxSockets: concurrency,
    });
    opts.agent = agent;
    return await new Promise<Answer>((resolve, reject) => {
      const req = request(opts, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          let body: unknown;
          try {
            body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch {
            body = undefined;
          }
          resolve({ status: res.statusCode ?? 0, body });
        });
      });
      req.setTimeout(timeoutMs, () =>
        req.destroy(
          new ShroudError('KUBE_UNAVAILABLE', `${what} at ${server} did not answer within ${timeoutMs} ms`, {
            details: { server, timeoutMs },
          }),
        ),
      );
      req.on('error', (err) =>
        reject(
          err instanceof ShroudError
            ? err
            : new ShroudError('KUBE_UNAVAILABLE', `${what} at ${server} failed: ${errorKind(err)}`, {
                details: { server },
              }),
        ),
      );
      req.end();
    });
  }

  function refused(status: number, what: string, t: ListTarget | undefined): ShroudError {
    const verb = t === undefined ? 'get' : 'list';
    const resource = t === undefined ? 'API discovery' : `${t.resource}${t.group === '' ? '' : `.${t.group}`}`;
    return new ShroudError(
      'KUBE_REQUEST_REFUSED',
      `the API server at ${server} refused ${what} with HTTP ${status}; ` +
        `the credentials need ${verb} on ${resource} (bind the read-only ClusterRole shroud-scan to them)`,
      { details: { server, status } },
    );
  }

  function failed(status: number, what: string): ShroudError {
    return new ShroudError('KUBE_UNAVAILABLE', `${what} at ${server} answered HTTP ${status}`, {
      details: { server, status },
    });
  }

  async function listOne(t: ListTarget, handlers: ListHandlers): Promise<ListResult> {
    const apiVersion = t.group === '' ? t.version : `${t.group}/${t.version}`;
    let restarts = 0;
    for (;;) {
      let items = 0;
      let pages = 0;
      let token: string | undefined;
      let expired = false;
      do {
        const query = new URLSearchParams({ limit: String(pageSize) });
        if (token !== undefined) query.set('continue', token);
        const what = `the list of ${t.resource} (page ${pages + 1})`;
        const answer = await get(`${listPath(t)}?${query.toString()}`, what);
        if (answer.status === 410 && token !== undefined) {
          expired = true;
          break;
        }
        if (answer.status === 401 || answer.status === 403) throw refused(answer.status, what, t);
        if (answer.status >= 500 || answer.status === 429 || answer.status === 0) throw failed(answer.status, what);
        if (answer.status !== 200) throw refused(answer.status, what, t);
        const body = answer.body;
        if (!isRecord(body) || !Array.isArray(body.items))
          throw new ShroudError('KUBE_UNAVAILABLE', `${what} at ${server} is not a Kubernetes list`, {
            details: { server },
          });
        const page: Record<string, unknown>[] = [];
        for (const item of body.items) if (isRecord(item)) page.push({ apiVersion, kind: t.kind, ...item });
        items += page.length;
        pages++;
        handlers.onPage(t, page);
        const next = isRecord(body.metadata) ? body.metadata.continue : undefined;
        token = typeof next === 'string' && next !== '' ? next : undefined;
        handlers.onProgress?.({ resource: t.resource, items, pages, done: token === undefined });
      } while (token !== undefined);
      if (!expired) return { target: t, items, pages, restarts };
      // The continue token outlived the API server's compaction window: a consistent list can only
      // start over. Once; a second expiry means the list is too slow for this cluster's churn.
      if (restarts >= 1)
        throw new ShroudError(
          'KUBE_UNAVAILABLE',
          `the list of ${t.resource} at ${server} expired twice while paging (HTTP 410 Gone for its continue token); ` +
            'run the scan again, closer to the API server or when the cluster changes less',
          { details: { server, status: 410 } },
        );
      restarts++;
      handlers.onRestart(t);
    }
  }

  return {
    server,
    async listAll(targets, handlers) {
      const results: ListResult[] = new Array(targets.length);
      let next = 0;
      let failure: unknown;
      const worker = async () => {
        while (failure === undefined && next < targets.length) {
          const i = next++;
          try {
            results[i] = await listOne(targets[i]!, handlers);
          } catch (err) {
            failure ??= err;
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, targets.length) }, worker));
      if (failure !== undefined) throw failure;
      return results;
    },
    async discover(group, kind) {
      const what = `API discovery of ${group}`;
      const groupAnswer = await get(`/apis/${group}`, what);
      if (groupAnswer.status === 404) return { missing: `the API server does not serve the group ${group}` };
      if (groupAnswer.status !== 200) {
        if (groupAnswer.status >= 500 || groupAnswer.status === 429) throw failed(groupAnswer.status, what);
        throw refused(groupAnswer.status, what, undefined);
      }
      const preferred = isRecord(groupAnswer.body) ? groupAnswer.body.preferredVersion : undefined;
      const version = isRecord(preferred) && typeof preferred.version === 'string' ? preferred.version : undefined;
      if (version === undefined) return { missing: `the API group ${group} names no preferred version` };
      const resources = await get(`/apis/${group}/${version}`, what);
      if (resources.status === 404) return { missing: `the API server does not serve ${group}/${version}` };
      if (resources.status !== 200) {
        if (resources.status >= 500 || resources.status === 429) throw failed(resources.status, what);
        throw refused(resources.status, what, undefined);
      }
      const list = isRecord(resources.body) && Array.isArray(resources.body.resources) ? resources.body.resources : [];
      for (const r of list) {
        if (!isRecord(r) || r.kind !== kind || typeof r.name !== 'string' || r.name.includes('/')) continue;
        return { found: { group, version, resource: r.name, kind } };
      }
      return { missing: `${group}/${version} has no resource of kind ${kind}` };
    },
    close() {
      agent?.destroy();
    },
  };
}

/** A transport failure named without its message. */
function errorKind(err: unknown): string {
  const e = err as { code?: unknown; name?: unknown } | null;
  if (typeof e?.code === 'string' && /^[A-Z_]+$/.test(e.code)) return e.code;
  return typeof e?.name === 'string' ? e.name : 'unknown error';
}

/** The built-in resources `shroud scan` lists, in the order it reports them. */
export const SCAN_TARGETS: readonly ListTarget[] = [
  { group: '', version: 'v1', resource: 'pods', kind: 'Pod' },
  { group: 'apps', version: 'v1', resource: 'deployments', kind: 'Deployment' },
  { group: 'apps', version: 'v1', resource: 'statefulsets', kind: 'StatefulSet' },
  { group: 'apps', version: 'v1', resource: 'daemonsets', kind: 'DaemonSet' },
  { group: 'apps', version: 'v1', resource: 'replicasets', kind: 'ReplicaSet' },
  { group: 'batch', version: 'v1', resource: 'jobs', kind: 'Job' },
  { group: 'batch', version: 'v1', resource: 'cronjobs', kind: 'CronJob' },
  { group: '', version: 'v1', resource: 'replicationcontrollers', kind: 'ReplicationController' },
  { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'roles', kind: 'Role' },
  { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'clusterroles', kind: 'ClusterRole' },
  { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'rolebindings', kind: 'RoleBinding' },
  { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'clusterrolebindings', kind: 'ClusterRoleBinding' },
  { group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap' },
  { group: '', version: 'v1', resource: 'persistentvolumes', kind: 'PersistentVolume' },
];
