/**
 * Reads a server's output stream as it comes: counts lines, bytes and levels, keeps the
 * longest line's length and a few error messages, and counts occurrences of planted secret
 * values (also across chunk boundaries). Never keeps the output itself.
 */
import type { Readable } from 'node:stream';

export interface OutputStats {
  lines: number;
  bytes: number;
  longestLine: number;
  levels: Map<string, number>;
  /** Occurrences of each planted value, by its first 12 characters. */
  secretHits: Map<string, number>;
  /** `msg` of the first error and warn lines, deduplicated (log messages are fixed strings). */
  messages: Map<string, number>;
}

export function scanOutput(stream: Readable, secrets: readonly string[]): OutputStats {
  const stats: OutputStats = {
    lines: 0,
    bytes: 0,
    longestLine: 0,
    levels: new Map(),
    secretHits: new Map(),
    messages: new Map(),
  };
  const overlap = Math.max(...secrets.map((s) => s.length)) - 1;
  let tail = '';
  let partialLine = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    stats.bytes += Buffer.byteLength(chunk);
    const text = tail + chunk;
    for (const secret of secrets) {
      let from = 0;
      for (;;) {
        const at = text.indexOf(secret, from);
        if (at === -1) break;
        // A hit wholly inside the carried-over tail was counted with the previous chunk.
        if (at + secret.length > tail.length) {
          const key = secret.slice(0, 12);
          stats.secretHits.set(key, (stats.secretHits.get(key) ?? 0) + 1);
        }
        from = at + 1;
      }
    }
    tail = text.slice(-overlap);
    const lines = (partialLine + chunk).split('\n');
    partialLine = lines.pop() ?? '';
    if (partialLine.length > 1_000_000) partialLine = partialLine.slice(0, 200);
    for (const line of lines) {
      stats.lines++;
      stats.longestLine = Math.max(stats.longestLine, Buffer.byteLength(line));
      const level = /"level":"(\w+)"/.exec(line.slice(0, 200))?.[1] ?? 'not JSON';
      stats.levels.set(level, (stats.levels.get(level) ?? 0) + 1);
      if (level === 'error' || level === 'warn' || level === 'fatal') {
        const msg = /"msg":"([^"]{0,120})/.exec(line.slice(-400))?.[1] ?? /"msg":"([^"]{0,120})/.exec(line)?.[1];
        const key = `${level}: ${msg ?? '?'}`;
        if (stats.messages.size < 30 || stats.messages.has(key))
          stats.messages.set(key, (stats.messages.get(key) ?? 0) + 1);
      }
    }
  });
  return stats;
}
