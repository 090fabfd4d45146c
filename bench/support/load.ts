/**
 * Small HTTPS load generators for benchmarks, over raw TLS sockets (an HTTP client library
 * would cost more CPU than the servers measured): keep-alive connections, one request in flight
 * on each, responses framed by Content-Length. A connection the server closes is reopened.
 * Every run is bounded by a request count and a time limit, and only ever targets 127.0.0.1.
 *
 * - runLoad: closed loop, each connection sends its next request when the last one is answered
 *   (the maximum rate the server and this generator reach together).
 * - runOpenLoop: open loop at a fixed rate, latency counted from when each request was due, so
 *   a stalled server cannot hide its queue (no coordinated omission).
 */
import { connect, type TLSSocket } from 'node:tls';

const HOST = '127.0.0.1';

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
  /** Connections that failed or were closed by the server and reopened. */
  reconnects: number;
  elapsedMs: number;
  reqPerSec: number;
  /** Milliseconds per request, in completion order. */
  latenciesMs: number[];
}

/** The bytes of one POST with a JSON body. */
export function postRequest(path: string, body: string): Buffer {
  return Buffer.from(
    `POST ${path} HTTP/1.1\r\nHost: ${HOST}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: keep-alive\r\n\r\n${body}`,
  );
}

/**
 * One keep-alive TLS connection with at most one request in flight; reopens itself when the
 * server closes it, until `stop()`.
 */
class Connection {
  private socket: TLSSocket | undefined;
  private buffered: Buffer = Buffer.alloc(0);
  private pending: { request: Buffer; sentAt: number } | undefined;
  private ready = false;
  private stopped = false;
  reconnects = 0;

  constructor(
    private readonly port: number,
    private readonly onReady: (c: Connection) => void,
    private readonly onAnswer: (c: Connection, status: number, sentAt: number) => void,
  ) {
    this.open();
  }

  get idle(): boolean {
    return this.ready && this.pending === undefined && !this.stopped;
  }

  send(request: Buffer, sentAt = performance.now()): void {
    this.pending = { request, sentAt };
    this.socket?.write(request);
  }

  stop(): void {
    this.stopped = true;
    this.socket?.end();
    this.socket?.destroy();
  }

  private open(): void {
    this.ready = false;
    this.buffered = Buffer.alloc(0);
    const socket = connect({ host: HOST, port: this.port, rejectUnauthorized: false, servername: 'localhost' });
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('secureConnect', () => {
      this.ready = true;
      // A request cut off by a closed connection is sent again on the new one.
      if (this.pending) socket.write(this.pending.request);
      else this.onReady(this);
    });
    socket.on('data', (chunk: Buffer) => this.read(chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      if (this.stopped || socket !== this.socket) return;
      this.reconnects++;
      setTimeout(() => this.open(), 10);
    });
  }

  private read(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    for (;;) {
      const headerEnd = this.buffered.indexOf('\r\n\r\n');
      if (headerEnd < 0) return;
      const head = this.buffered.subarray(0, headerEnd).toString('latin1');
      const length = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? 0);
      if (this.buffered.length < headerEnd + 4 + length) return;
      this.buffered = this.buffered.subarray(headerEnd + 4 + length);
      const status = Number(head.slice(9, 12));
      const sentAt = this.pending?.sentAt ?? performance.now();
      this.pending = undefined;
      if (/\r\nconnection: *close/i.test(head)) this.socket?.destroy();
      this.onAnswer(this, status, sentAt);
    }
  }
}

/** Closed loop: every connection sends the next request as soon as the last is answered. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const request = postRequest(options.path, options.body);
  const latenciesMs: number[] = [];
  let sent = 0;
  let non200 = 0;
  const start = performance.now();
  const deadline = start + options.maxMs;
  let open = options.connections;
  const connections: Connection[] = [];
  await new Promise<void>((resolve) => {
    const next = (c: Connection): void => {
      if (sent >= options.maxRequests || performance.now() > deadline) {
        c.stop();
        if (--open === 0) resolve();
        return;
      }
      sent++;
      c.send(request);
    };
    for (let i = 0; i < options.connections; i++) {
      connections.push(
        new Connection(options.port, next, (c, status, sentAt) => {
          latenciesMs.push(performance.now() - sentAt);
          if (status !== 200) non200++;
          next(c);
        }),
      );
    }
    // A server that stops answering must not hold the run past its limit.
    setTimeout(() => {
      for (const c of connections) c.stop();
      resolve();
    }, options.maxMs + 10_000).unref();
  });
  const elapsedMs = performance.now() - start;
  return {
    requests: latenciesMs.length,
    non200,
    reconnects: connections.reduce((n, c) => n + c.reconnects, 0),
    elapsedMs,
    reqPerSec: (latenciesMs.length / elapsedMs) * 1000,
    latenciesMs,
  };
}

export interface OpenLoopOptions {
  port: number;
  path: string;
  body: string;
  /** Requests per second to offer. */
  rate: number;
  /** Connections to spread them over (enough that a slow answer does not hold up the rest). */
  connections: number;
  durationMs: number;
}

/** Open loop at a fixed rate; latency runs from when each request was due. */
export async function runOpenLoop(options: OpenLoopOptions): Promise<LoadResult> {
  const request = postRequest(options.path, options.body);
  const latenciesMs: number[] = [];
  const due: number[] = [];
  let non200 = 0;
  let scheduled = 0;
  const connections: Connection[] = [];
  const dispatch = (): void => {
    for (const c of connections) {
      if (due.length === 0) return;
      if (c.idle) c.send(request, due.shift()!);
    }
  };
  for (let i = 0; i < options.connections; i++) {
    connections.push(
      new Connection(options.port, dispatch, (_c, status, dueAt) => {
        latenciesMs.push(performance.now() - dueAt);
        if (status !== 200) non200++;
        dispatch();
      }),
    );
  }
  // Let the connections finish their handshakes before the clock starts.
  const ready = performance.now() + 5000;
  while (connections.some((c) => !c.idle) && performance.now() < ready) await new Promise((r) => setTimeout(r, 5));
  const start = performance.now();
  const total = Math.floor((options.rate * options.durationMs) / 1000);
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const now = performance.now();
      const target = Math.min(total, Math.floor(((now - start) * options.rate) / 1000));
      for (; scheduled < target; scheduled++) due.push(start + (scheduled * 1000) / options.rate);
      dispatch();
      const finished = scheduled >= total && due.length === 0 && connections.every((c) => c.idle);
      if (finished || now > start + options.durationMs + 10_000) {
        clearInterval(timer);
        resolve();
      }
    }, 1);
  });
  for (const c of connections) c.stop();
  const elapsedMs = performance.now() - start;
  return {
    requests: latenciesMs.length,
    non200,
    reconnects: connections.reduce((n, c) => n + c.reconnects, 0),
    elapsedMs,
    reqPerSec: (latenciesMs.length / elapsedMs) * 1000,
    latenciesMs,
  };
}

/** The p-th percentile (0-100) of `values`, nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** A number from the environment (a bench's size or duration), or `fallback` when unset, empty, not finite or under `min`. */
export function envNumber(name: string, fallback: number, min = 0): number {
  const text = process.env[name];
  const v = Number(text);
  return text !== undefined && text !== '' && Number.isFinite(v) && v >= min ? v : fallback;
}

/** One latency row: median and 99th percentile in ms, CPU time per call in µs. */
export interface LatencyRow {
  name: string;
  p50: number;
  p99: number;
  cpuUs: number;
}
