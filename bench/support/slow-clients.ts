/**
 * Clients that hold a server's connections without finishing a request, for the soak:
 * - slow clients (slowloris): a TLS connection that sends its headers one line a second and
 *   never ends them, or sends whole headers and then trickles the body a byte a second;
 * - idle connections: plain TCP connections that never start a TLS handshake, and TLS
 *   connections that never send a request.
 * Each records how long the server let it live. Only ever targets 127.0.0.1; every pool is
 * bounded and stops at `stop()`.
 */
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

const HOST = '127.0.0.1';

export interface HeldStats {
  opened: number;
  /** Connections the server closed, with how long each had lived (ms). */
  closedByServer: number[];
  /** Connections that failed to open (refused, reset during the handshake). */
  failed: number;
  /** Open right now. */
  open: number;
}

export interface HeldPool {
  stats: HeldStats;
  stop(): void;
}

type Kind = 'slow-headers' | 'slow-body' | 'idle-tcp' | 'idle-tls';

/**
 * Keeps `count` connections of `kind` open until `stop()`, reopening those the server closes
 * (after `reopenDelayMs`) when `reopen` is set. Opens at most `perTick` every 50 ms.
 */
export function holdConnections(
  port: number,
  kind: Kind,
  count: number,
  options: { reopen: boolean; perTick?: number; reopenDelayMs?: number },
): HeldPool {
  const stats: HeldStats = { opened: 0, closedByServer: [], failed: 0, open: 0 };
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let stopped = false;
  let wanted = count;

  const openOne = (): void => {
    const start = performance.now();
    let established = false;
    const socket: Socket =
      kind === 'idle-tcp'
        ? tcpConnect({ host: HOST, port })
        : tlsConnect({ host: HOST, port, rejectUnauthorized: false, servername: 'localhost' });
    sockets.add(socket);
    // Read (and drop) what the server says, such as a 408: a paused socket never sees 'close'.
    socket.resume();
    stats.opened++;
    stats.open++;
    let trickle: NodeJS.Timeout | undefined;
    socket.on(kind === 'idle-tcp' ? 'connect' : 'secureConnect', () => {
      established = true;
      if (kind === 'slow-headers') {
        socket.write(`POST /validate HTTP/1.1\r\nHost: ${HOST}\r\n`);
        let n = 0;
        trickle = setInterval(() => socket.write(`X-Slow-${n++}: ${'a'.repeat(8)}\r\n`), 1000);
      } else if (kind === 'slow-body') {
        socket.write(
          `POST /validate HTTP/1.1\r\nHost: ${HOST}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{`,
        );
        trickle = setInterval(() => socket.write(' '), 1000);
      }
      if (trickle) timers.add(trickle);
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      if (trickle) {
        clearInterval(trickle);
        timers.delete(trickle);
      }
      sockets.delete(socket);
      stats.open--;
      if (stopped) return;
      if (established) stats.closedByServer.push(performance.now() - start);
      else stats.failed++;
      if (options.reopen) {
        const t = setTimeout(() => {
          timers.delete(t);
          if (!stopped) openOne();
        }, options.reopenDelayMs ?? 100);
        timers.add(t);
      }
    });
  };

  const perTick = options.perTick ?? 100;
  const filler = setInterval(() => {
    for (let i = 0; i < perTick && wanted > 0; i++, wanted--) openOne();
    if (wanted === 0) clearInterval(filler);
  }, 50);
  timers.add(filler);

  return {
    stats,
    stop: () => {
      stopped = true;
      for (const t of timers) clearInterval(t);
      for (const s of sockets) s.destroy();
    },
  };
}
