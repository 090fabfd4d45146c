import { request } from 'node:https';

export interface UnsealAnswer {
  status: number;
  body: string;
  retryAfter: string | undefined;
  /** The parsed body, when it is JSON. */
  json: {
    items?: { configMap: string; key: string; value?: string; code?: string }[];
    error?: { code: string; message: string };
  };
}

/** POST /v1/unseal on 127.0.0.1:port over TLS (trusting only `ca`), with `token` as the Bearer token. */
export function unsealCall(
  port: number,
  ca: string,
  token: string | undefined,
  body: unknown,
  options: { contentType?: string; raw?: string } = {},
): Promise<UnsealAnswer> {
  const payload = options.raw ?? JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/v1/unseal',
        method: 'POST',
        ca,
        servername: 'localhost',
        agent: false,
        headers: {
          'content-type': options.contentType ?? 'application/json',
          'content-length': Buffer.byteLength(payload),
          ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          let json: UnsealAnswer['json'] = {};
          try {
            json = JSON.parse(text) as UnsealAnswer['json'];
          } catch {
            // not JSON: json stays empty
          }
          const retry = res.headers['retry-after'];
          resolve({
            status: res.statusCode ?? 0,
            body: text,
            retryAfter: Array.isArray(retry) ? retry[0] : retry,
            json,
          });
        });
        res.on('error', reject);
      },
    );
    // The server may answer (401, 413) before reading a large body; that is not a test failure.
    req.on('error', (err: NodeJS.ErrnoException) =>
      err.code === 'EPIPE' || err.code === 'ECONNRESET' ? undefined : reject(err),
    );
    req.end(payload);
  });
}
