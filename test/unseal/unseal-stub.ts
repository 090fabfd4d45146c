/**
 * A stand-in for the unseal service of docs/injection.md, for testing `shroud unseal-init`:
 * HTTPS on 127.0.0.1 (ephemeral port) with a dev CA, answering `POST /v1/unseal` from a script
 * of answers, and recording what it was sent (requests that reached HTTP, and TLS handshakes).
 * "Opening" is a lookup in a table of sealed value -> plaintext: the real cryptography is the
 * service's, tested with it; this stub checks what the client sends and how it reads answers.
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { CertBundle } from '../../src/tls/index.js';

export interface StubRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  contentType: string | undefined;
  body: unknown;
}

export interface StubAnswer {
  status: number;
  headers?: Record<string, string>;
  /** JSON-encoded unless a string. */
  body?: unknown;
  /** Never answer (the client's timeout must end the call). */
  hang?: boolean;
}

/** How the stub answers a request: `opened` is the contract's 200 answer for the request's items. */
export type Script = (request: StubRequest, opened: () => StubAnswer, index: number) => StubAnswer;

export interface UnsealStub {
  port: number;
  url: string;
  requests: StubRequest[];
  /** TLS handshakes that completed (a client that refused the certificate completes none). */
  secureConnections: number;
  close(): Promise<void>;
}

/** The contract's 200: every item opened from `plaintexts` (sealed value -> bytes), base64. */
export function openedAnswer(request: StubRequest, plaintexts: ReadonlyMap<string, Buffer>): StubAnswer {
  const items = (request.body as { items: Array<{ configMap: string; key: string; value: string }> }).items;
  const out = [];
  for (const item of items) {
    const plaintext = plaintexts.get(item.value);
    if (plaintext === undefined)
      return {
        status: 403,
        body: {
          error: { code: 'UNSEAL_FORBIDDEN', message: 'a value does not open for this identity' },
          items: [{ configMap: item.configMap, key: item.key, code: 'CRYPTO_INTEGRITY' }],
        },
      };
    out.push({ configMap: item.configMap, key: item.key, value: plaintext.toString('base64') });
  }
  return { status: 200, body: { items: out } };
}

export async function startUnsealStub(options: {
  tls: CertBundle;
  plaintexts: ReadonlyMap<string, Buffer>;
  script?: Script;
}): Promise<UnsealStub> {
  const requests: StubRequest[] = [];
  const hanging = new Set<() => void>();
  const stub = { port: 0, url: '', requests, secureConnections: 0 } as UnsealStub;
  const server: Server = createServer({ cert: options.tls.cert, key: options.tls.key }, (req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= 2 * 1024 * 1024) chunks.push(c);
    });
    req.on('end', () => {
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        body = undefined;
      }
      const request: StubRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        authorization: req.headers.authorization,
        contentType: req.headers['content-type'],
        body,
      };
      const index = requests.length;
      requests.push(request);
      const opened = () => openedAnswer(request, options.plaintexts);
      const answer = options.script ? options.script(request, opened, index) : opened();
      if (answer.hang) {
        const end = () => res.destroy();
        hanging.add(end);
        res.on('close', () => hanging.delete(end));
        return;
      }
      const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body ?? {});
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      res.end(text);
    });
  });
  server.on('secureConnection', () => stub.secureConnections++);
  // The client refusing our certificate shows up here; it is expected in some tests.
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  stub.port = (server.address() as AddressInfo).port;
  stub.url = `https://127.0.0.1:${stub.port}`;
  stub.close = async () => {
    for (const end of hanging) end();
    server.closeAllConnections();
    await new Promise<void>((done) => server.close(() => done()));
  };
  return stub;
}

/** One ConfigMap as the kubelet mounts it: a timestamped folder, `..data` linking to it, a link per key. */
export function configMapVolume(root: string, name: string, data: Record<string, string | Buffer>): void {
  const dir = join(root, name);
  const stamp = '..2026_11_29_23_40_00.123456789';
  mkdirSync(join(dir, stamp), { recursive: true });
  for (const [key, value] of Object.entries(data)) writeFileSync(join(dir, stamp, key), value);
  symlinkSync(stamp, join(dir, '..data'));
  for (const key of Object.keys(data)) symlinkSync(join('..data', key), join(dir, key));
}
