/**
 * A small closed-loop HTTPS load generator for benchmarks: `connections` TLS sockets, each
 * sending one request, reading the whole response (Content-Length framing), then sending the
 * next. Bounded by both a request count and a time limit; only ever targets 127.0.0.1.
 */
import { connect, type TLSSocket } from 'node:tls';

export interface LoadOptions {
  port: number;
  path: string;
  body: string;
  connections: number;
  maxRequests: number;
  maxMs: number;
}

export interface LoadResult {
  requests: number;
  non200: number;
  elapsedMs: number;
  reqPerSec: number;
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const request = Buffer.from(
    `POST ${options.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(options.body)}\r\nConnection: keep-alive\r\n\r\n${options.body}`,
  );
  let sent = 0;
  let done = 0;
  let non200 = 0;
  const start = performance.now();
  const deadline = start + options.maxMs;

  const worker = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const socket: TLSSocket = connect({
        host: '127.0.0.1',
        port: options.port,
        rejectUnauthorized: false,
        servername: 'localhost',
      });
      let buffered: Buffer = Buffer.alloc(0);
      socket.setNoDelay(true);
      const next = (): void => {
        if (sent >= options.maxRequests || performance.now() > deadline) {
          socket.end();
          resolve();
          return;
        }
        sent++;
        socket.write(request);
      };
      socket.on('secureConnect', next);
      socket.on('data', (chunk: Buffer) => {
        buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
        for (;;) {
          const headerEnd = buffered.indexOf('\r\n\r\n');
          if (headerEnd < 0) return;
          const head = buffered.subarray(0, headerEnd).toString('latin1');
          const length = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? 0);
          if (buffered.length < headerEnd + 4 + length) return;
          if (!head.startsWith('HTTP/1.1 200')) non200++;
          buffered = buffered.subarray(headerEnd + 4 + length);
          done++;
          next();
        }
      });
      socket.on('error', reject);
    });

  await Promise.all(Array.from({ length: options.connections }, worker));
  const elapsedMs = performance.now() - start;
  return { requests: done, non200, elapsedMs, reqPerSec: (done / elapsedMs) * 1000 };
}
