import cluster, { type Worker } from 'node:cluster';
import type { Logger } from '../log/logger.js';
import type { Notify } from './dev-material.js';

export interface SuperviseOptions {
  /** How many worker processes share the listening socket (node:cluster). */
  workers: number;
  logger: Logger;
  notify: Notify;
  /** Resolves with the signal that should stop the workers (SIGTERM, SIGINT). */
  stopSignal: Promise<NodeJS.Signals>;
  /** A worker that dies on its own is replaced, at most this many times a minute. Default 10. */
  maxRestartsPerMinute?: number;
}

/**
 * The primary process of `shroud serve --workers N`: forks N workers that run the same command
 * line and share one listening socket, replaces a worker that dies (a crash in one worker must
 * not take admission down), and on SIGTERM/SIGINT passes the signal on so every worker drains
 * the way a single process does. Resolves with the exit code when every worker has exited.
 */
export async function superviseWorkers(options: SuperviseOptions): Promise<number> {
  const { logger, notify } = options;
  const maxRestarts = options.maxRestartsPerMinute ?? 10;
  const restarts: number[] = [];
  let stopping: NodeJS.Signals | undefined;
  let failed = false;
  const live = new Set<Worker>();

  const allExited = new Promise<void>((resolve) => {
    const fork = (): void => {
      const worker = cluster.fork();
      live.add(worker);
      worker.once('exit', (code, signal) => {
        live.delete(worker);
        if (stopping !== undefined) {
          if (code !== 0 && code !== null) failed = true;
          if (live.size === 0) resolve();
          return;
        }
        logger.error({ worker: worker.id, code, signal }, 'worker exited; starting another');
        const now = Date.now();
        while (restarts.length > 0 && now - (restarts[0] ?? now) > 60_000) restarts.shift();
        if (restarts.length >= maxRestarts) {
          logger.fatal({ restarts: restarts.length }, 'workers keep dying; giving up');
          notify(`workers keep dying (${restarts.length} restarts in a minute); stopping`);
          failed = true;
          stopping = 'SIGTERM';
          for (const w of live) w.process.kill('SIGTERM');
          if (live.size === 0) resolve();
          return;
        }
        restarts.push(now);
        fork();
      });
    };
    for (let i = 0; i < options.workers; i++) fork();
  });

  notify(`started ${options.workers} workers sharing one listener`);
  void options.stopSignal.then((signal) => {
    if (stopping !== undefined) return;
    stopping = signal;
    logger.info({ signal, workers: live.size }, 'stopping workers');
    for (const worker of live) worker.process.kill(signal);
  });
  await allExited;
  return failed ? 3 : 0;
}

/** True in a process forked by superviseWorkers. */
export function isClusterWorker(): boolean {
  return cluster.isWorker;
}

/**
 * Ends a worker's IPC channel to the primary once it has stopped serving; the channel would
 * otherwise keep the worker's event loop, and so the worker, alive.
 */
export function leaveCluster(): void {
  if (cluster.isWorker) cluster.worker?.disconnect();
}
