import type { Logger } from '../log/logger.js';
import { watchDir, type DirWatcher } from './dir-watcher.js';
import type { ReadinessCheck } from '../health/readiness.js';

/** A problem found while loading, located in a file when it can be. */
export interface LoadIssue {
  code: string;
  message: string;
  file?: string;
  line?: number;
  column?: number;
}

/** Loaders collect: they return what they could build and every issue they met. */
export type DirLoader<T> = (dir: string) => Promise<{ value: T; issues: readonly LoadIssue[] }>;

export interface ReloadingStore<T> {
  /** The set in force: the last one that loaded without issues. Swapped atomically. */
  current(): T;
  /** How many sets have been put in force (1 after the first load). */
  generation(): number;
  /** For /readyz: the generation, when it loaded, and the issues (as data) of the last failed load. */
  readiness(): ReadinessCheck;
  /** Loads the folder again now; true when the new set is in force. */
  reload(): Promise<boolean>;
  close(): void;
}

export interface ReloadingStoreOptions<T> {
  dir: string;
  load: DirLoader<T>;
  logger: Logger;
  /** What the store holds, for log lines ("policies"). */
  what: string;
  pollMs?: number;
  debounceMs?: number;
}

/** Thrown by openReloadingStore when the first load has issues: there is no good set to fall back on. */
export class InitialLoadError extends Error {
  readonly issues: readonly LoadIssue[];
  constructor(what: string, issues: readonly LoadIssue[]) {
    super(`${what} did not load: ${issues.length} problem(s)`);
    this.name = 'InitialLoadError';
    this.issues = issues;
  }
}

/**
 * Loads a folder, keeps the result in force, and reloads it when the folder changes. A load
 * with any issue is reported (logged with file and line, shown on /readyz) and discarded: the
 * last good set stays in force. Nothing is ever half-applied.
 * @throws InitialLoadError when the first load reports issues.
 */
export async function openReloadingStore<T>(options: ReloadingStoreOptions<T>): Promise<ReloadingStore<T>> {
  const { logger, what } = options;
  const first = await options.load(options.dir);
  if (first.issues.length > 0) throw new InitialLoadError(what, first.issues);

  let value = first.value;
  let generation = 1;
  let loadedAt = new Date().toISOString();
  let lastError: { at: string; issues: readonly LoadIssue[] } | undefined;
  logger.info({ what, dir: options.dir, generation }, 'loaded');

  const reload = async (): Promise<boolean> => {
    let result: Awaited<ReturnType<DirLoader<T>>>;
    try {
      result = await options.load(options.dir);
    } catch (err) {
      result = { value, issues: [{ code: 'INTERNAL', message: (err as Error).message }] };
    }
    if (result.issues.length > 0) {
      lastError = { at: new Date().toISOString(), issues: result.issues };
      for (const issue of result.issues) logger.error({ what, ...issue }, 'reload rejected; keeping the last good set');
      return false;
    }
    value = result.value;
    generation++;
    loadedAt = new Date().toISOString();
    lastError = undefined;
    logger.info({ what, dir: options.dir, generation }, 'reloaded');
    return true;
  };

  const watcher: DirWatcher = await watchDir({
    dir: options.dir,
    recursive: true,
    onChange: async () => {
      await reload();
    },
    ...(options.pollMs === undefined ? {} : { pollMs: options.pollMs }),
    ...(options.debounceMs === undefined ? {} : { debounceMs: options.debounceMs }),
  });

  return {
    current: () => value,
    generation: () => generation,
    readiness: () => ({
      ok: true,
      generation,
      loadedAt,
      pendingSince: watcher.pendingSince()?.toISOString() ?? null,
      lastError: lastError ?? null,
    }),
    reload,
    close: () => watcher.close(),
  };
}
