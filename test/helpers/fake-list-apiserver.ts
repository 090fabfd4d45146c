/**
 * A fake kube-apiserver for `shroud scan` tests: HTTPS on 127.0.0.1 (ephemeral port, its own
 * CA), answering GET list and discovery requests from recorded responses in a folder, reached
 * through the kubeconfig it writes (CA pinned, bearer credential).
 *
 * `routes` maps a URL path to a file of the folder. A file holds one response body (a List, or
 * an APIGroup / APIResourceList for discovery), or an array of pages: recorded pages of one
 * list, each naming the next in `metadata.continue`; the first page answers a request without
 * `continue`, and page i+1 answers a request whose `continue` is page i's token.
 */
import { writeFakeKubeconfig } from './fake-apiserver.js';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { generateCertBundle } from '../../src/tls/index.js';

export interface FakeListApiServer {
  url: string;
  kubeconfig: string;
  /** Every request: path and query as sent. */
  requests: { path: string; query: URLSearchParams }[];
  /** Continue tokens answered with 410 Gone the first time they are presented. */
  expireOnce: Set<string>;
  /** Continue tokens answered with 410 Gone every time. */
  expireAlways: Set<string>;
  /** Paths answered with this HTTP status and a Status body. */
  failPaths: Map<string, number>;
  close(): Promise<void>;
}

function status(code: number, reason: string, message: string) {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

/** Starts the server on `routes` (path -> file in `fixtures`) and writes its kubeconfig into `dir`. */
export async function startFakeListApiServer(
  dir: string,
  fixtures: string,
  routes: Readonly<Record<string, string>>,
): Promise<FakeListApiServer> {
  const bundle = generateCertBundle({ names: ['127.0.0.1', 'localhost'], days: 2 });
  const credential = `scanner-${randomUUID()}`;
  const bodies = new Map<string, unknown>();
  for (const [path, file] of Object.entries(routes))
    bodies.set(path, JSON.parse(readFileSync(join(fixtures, file), 'utf8')));
  const state = {
    requests: [] as { path: string; query: URLSearchParams }[],
    expireOnce: new Set<string>(),
    expireAlways: new Set<string>(),
    failPaths: new Map<string, number>(),
  };
  const server: Server = createServer({ cert: bundle.cert, key: bundle.key }, (req, res) => {
    const send = (code: number, body: unknown) => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const url = new URL(req.url ?? '/', 'https://fake');
    state.requests.push({ path: url.pathname, query: url.searchParams });
    if (req.headers.authorization !== `Bearer ${credential}`)
      return send(401, status(401, 'Unauthorized', 'Unauthorized'));
    if (req.method !== 'GET') return send(405, status(405, 'MethodNotAllowed', 'only GET'));
    const fail = state.failPaths.get(url.pathname);
    if (fail !== undefined) return send(fail, status(fail, fail === 403 ? 'Forbidden' : 'InternalError', 'refused'));
    const body = bodies.get(url.pathname);
    if (body === undefined)
      return send(404, status(404, 'NotFound', 'the server could not find the requested resource'));
    const token = url.searchParams.get('continue');
    if (token !== null && (state.expireAlways.has(token) || state.expireOnce.delete(token)))
      return send(
        410,
        status(
          410,
          'Expired',
          'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
        ),
      );
    if (!Array.isArray(body)) return send(200, body);
    const pages = body as { metadata?: { continue?: string } }[];
    const at = token === null ? 0 : pages.findIndex((p) => p.metadata?.continue === token) + 1;
    if (at <= 0 && token !== null) return send(400, status(400, 'BadRequest', 'continue key is not valid'));
    return send(200, pages[at]);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const kubeconfig = writeFakeKubeconfig(dir, url, bundle.caCert, 'shroud-scan', credential);
  return {
    url,
    kubeconfig,
    ...state,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
