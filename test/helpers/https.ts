import { request as httpsRequest, type Agent } from 'node:https';
import { checkServerIdentity, connect, type PeerCertificate } from 'node:tls';

export interface HttpsResult {
  status: number;
  body: string;
  reusedSocket: boolean;
  /** The Connection response header, when there is one. */
  connection: string | undefined;
}

/** POSTs (or GETs) to 127.0.0.1:port over TLS, trusting only `ca`. */
export function httpsCall(
  port: number,
  ca: string,
  path: string,
  options: { body?: unknown; agent?: Agent; method?: string; cert?: string; key?: string } = {},
): Promise<HttpsResult> {
  return new Promise((resolve, reject) => {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port,
        path,
        method: options.method ?? (payload === undefined ? 'GET' : 'POST'),
        ca,
        servername: 'localhost',
        ...(options.agent ? { agent: options.agent } : {}),
        ...(options.cert === undefined ? {} : { cert: options.cert, key: options.key }),
        headers:
          payload === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body,
            reusedSocket: req.reusedSocket,
            connection: res.headers.connection,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** Opens a TLS connection as a client for `servername` and returns the certificate it was shown. */
export function peerCertificate(
  port: number,
  ca: string,
  servername: string,
  extra: { minVersion?: 'TLSv1' | 'TLSv1.2'; maxVersion?: 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3'; ciphers?: string } = {},
): Promise<{ authorized: boolean; error: string | undefined; cert: PeerCertificate; protocol: string | null }> {
  return new Promise((resolve, reject) => {
    const isIp = /^[\d.]+$/.test(servername);
    const socket = connect({
      host: '127.0.0.1',
      port,
      ca,
      ...(isIp ? {} : { servername }),
      rejectUnauthorized: false,
      checkServerIdentity: () => undefined,
      ...extra,
    });
    socket.once('secureConnect', () => {
      const cert = socket.getPeerCertificate();
      // The chain is checked by TLS against `ca`; the name is checked here, so the result says
      // whether this exact name is covered.
      const identityError = socket.authorized
        ? checkServerIdentity(servername, cert)?.message
        : String(socket.authorizationError);
      resolve({
        authorized: socket.authorized && identityError === undefined,
        error: identityError,
        cert,
        protocol: socket.getProtocol(),
      });
      socket.end();
    });
    socket.once('error', reject);
  });
}
