/**
 * A fake kube-apiserver for tests: HTTPS on 127.0.0.1 (ephemeral port, its own CA), answering
 * `POST /apis/authentication.k8s.io/v1/tokenreviews` from a table of tokens, with the
 * `user.extra` claims a real API server puts on pod-bound service-account tokens. Reached
 * through @kubernetes/client-node with the kubeconfig it writes (CA pinned, bearer credential).
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { generateCertBundle } from '../../src/tls/index.js';

/** What the fake API server answers for one token (status of the TokenReview). */
export interface FakeTokenStatus {
  authenticated: boolean;
  /** The audiences the token carries; the answer lists those asked for that it has. */
  audiences?: string[];
  /** Answer these status.audiences verbatim instead (an authenticator that ignores audiences: []). */
  statusAudiences?: string[];
  username?: string;
  uid?: string;
  extra?: Record<string, string[]>;
  error?: string;
}

export interface PodTokenOptions {
  namespace: string;
  serviceAccount: string;
  pod?: string;
  node?: string;
  audiences?: string[];
}

/** The status a real API server gives a projected, pod-bound token (Kubernetes 1.30+ claims). */
export function podToken(options: PodTokenOptions): FakeTokenStatus {
  const pod = options.pod ?? `${options.serviceAccount}-7d9f8-abcde`;
  return {
    authenticated: true,
    audiences: options.audiences ?? ['shroud'],
    username: `system:serviceaccount:${options.namespace}:${options.serviceAccount}`,
    uid: randomUUID(),
    extra: {
      'authentication.kubernetes.io/credential-id': [`JTI=${randomUUID()}`],
      'authentication.kubernetes.io/node-name': [options.node ?? 'node-1'],
      'authentication.kubernetes.io/node-uid': [randomUUID()],
      'authentication.kubernetes.io/pod-name': [pod],
      'authentication.kubernetes.io/pod-uid': [randomUUID()],
    },
  };
}

/** A legacy Secret-based token: a service account, no audience binding, no pod claims. */
export function legacyToken(namespace: string, serviceAccount: string): FakeTokenStatus {
  return {
    authenticated: true,
    audiences: ['https://kubernetes.default.svc'],
    statusAudiences: ['shroud'],
    username: `system:serviceaccount:${namespace}:${serviceAccount}`,
    uid: randomUUID(),
  };
}

/** A JWT-shaped token (unsigned: the fake decides by table) whose `exp` is `expSeconds` from now. */
export function jwtLike(expSeconds: number, nonce = randomUUID()): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'RS256', kid: 'test' })}.${part({ exp: Math.floor(Date.now() / 1000) + expSeconds, jti: nonce })}.c2ln`;
}

export interface FakeApiServer {
  /** `https://127.0.0.1:port`. */
  url: string;
  /** A kubeconfig (CA pinned, bearer credential) written into the given folder. */
  kubeconfig: string;
  /** The tokens it knows, by token. Tests add and change entries at will. */
  tokens: Map<string, FakeTokenStatus>;
  /** TokenReviews received: the token and audiences asked (tests only). */
  calls: { token: string; audiences: string[] }[];
  /** Delay before each answer (a slow API server). */
  delayMs: number;
  /** Answer every review with this HTTP status and a Status body instead (a failing API server). */
  failWith: number | undefined;
  close(): Promise<void>;
}

/** Starts the fake API server and writes its kubeconfig into `dir`. */
export async function startFakeApiServer(dir: string): Promise<FakeApiServer> {
  const bundle = generateCertBundle({ names: ['127.0.0.1', 'localhost'], days: 2 });
  const credential = `reviewer-${randomUUID()}`;
  const state = {
    tokens: new Map<string, FakeTokenStatus>(),
    calls: [] as { token: string; audiences: string[] }[],
    delayMs: 0,
    failWith: undefined as number | undefined,
  };
  const server: Server = createServer({ cert: bundle.cert, key: bundle.key }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const send = (status: number, body: object) => {
          if (res.destroyed) return;
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(body));
        };
        const status = (code: number, reason: string) =>
          send(code, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, code });
        if (req.method !== 'POST' || req.url?.split('?')[0] !== '/apis/authentication.k8s.io/v1/tokenreviews') {
          status(404, 'NotFound');
          return;
        }
        if (req.headers.authorization !== `Bearer ${credential}`) {
          status(401, 'Unauthorized');
          return;
        }
        const review = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          spec?: { token?: string; audiences?: string[] };
        };
        const token = review.spec?.token ?? '';
        const asked = review.spec?.audiences ?? [];
        state.calls.push({ token, audiences: asked });
        if (state.delayMs > 0) await sleep(state.delayMs);
        if (state.failWith !== undefined) {
          status(state.failWith, 'InternalError');
          return;
        }
        const entry = state.tokens.get(token);
        const base = { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: review.spec };
        if (entry === undefined || !entry.authenticated) {
          send(201, {
            ...base,
            status: { authenticated: false, error: entry?.error ?? '[invalid bearer token, token lookup failed]' },
          });
          return;
        }
        const audiences = entry.statusAudiences ?? asked.filter((a) => (entry.audiences ?? []).includes(a));
        if (entry.statusAudiences === undefined && asked.length > 0 && audiences.length === 0) {
          // What a real API server does with a token of other audiences.
          send(201, {
            ...base,
            status: {
              authenticated: false,
              error: '[invalid bearer token, token audiences is invalid for the target audiences]',
            },
          });
          return;
        }
        send(201, {
          ...base,
          status: {
            authenticated: true,
            audiences,
            user: {
              username: entry.username,
              uid: entry.uid,
              groups: ['system:serviceaccounts', `system:serviceaccounts:${entry.username?.split(':')[2] ?? ''}`],
              ...(entry.extra === undefined ? {} : { extra: entry.extra }),
            },
          },
        });
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const kubeconfig = writeFakeKubeconfig(dir, url, bundle.caCert, 'shroud-unseal', credential);
  const fake: FakeApiServer = {
    url,
    kubeconfig,
    tokens: state.tokens,
    calls: state.calls,
    get delayMs() {
      return state.delayMs;
    },
    set delayMs(ms: number) {
      state.delayMs = ms;
    },
    get failWith() {
      return state.failWith;
    },
    set failWith(code: number | undefined) {
      state.failWith = code;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return fake;
}

/**
 * Writes a kubeconfig for a fake API server into `dir`: the server's URL with its CA pinned, and a
 * bearer credential for `user`. Returns the file's path.
 */
export function writeFakeKubeconfig(dir: string, url: string, caCert: string, user: string, token: string): string {
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'fake',
          cluster: { server: url, 'certificate-authority-data': Buffer.from(caCert).toString('base64') },
        },
      ],
      users: [{ name: user, user: { token } }],
      contexts: [{ name: 'fake', context: { cluster: 'fake', user } }],
      'current-context': 'fake',
    }),
    { mode: 0o600 },
  );
  return kubeconfig;
}
