import { isShroudError } from '../errors.js';
import { type Issue, IssueError } from '../issues.js';
import type { Logger } from '../log/logger.js';
import { watchDir, type DirWatcher } from './dir-watcher.js';
import type { ReadinessCheck } from '../health/readiness.js';

/** Loaders collect: they return what they could build and every issue they met. */
export type DirLoader<T> = (dir: string) => Promise<{ value: T; issues: readonly Issue[] }>;

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
  /** Told the result of every reload (not the first load): the metrics layer counts them. */
  onReload?: (ok: boolean) => void;
}

/**
 * Thrown by openReloadingStore when the first load has issues: there is no good set to fall back
 * on. Its code is the first issue's (`POLICY_SCHEMA_INVALID`, ...), as `valueOrThrow` would
 * give: the cause a script branches on, already registered and documented. `issues` holds all.
 */
export class InitialLoadError extends IssueError {
  constructor(what: string, issues: readonly Issue[]) {
    super(issues, `${what} did not load`);
    this.name = 'InitialLoadError';
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
  let lastError: { at: string; issues: readonly Issue[] } | undefined;
  logger.info({ what, dir: options.dir, generation }, 'loaded');

  const reload = async (): Promise<boolean> => {
    let result: Awaited<ReturnType<DirLoader<T>>>;
    try {
      result = await options.load(options.dir);
    } catch (err) {
      // Loaders collect rather than throw, so this is a bug; the reload is rejected like any other.
      const issue: Issue = isShroudError(err)
        ? { code: err.code, message: err.message }
        : {
            code: 'SHROUD_INTERNAL',
            message: `the loader failed: ${err instanceof Error ? err.message : String(err)}; please report this bug`,
          };
      result = { value, issues: [issue] };
    }
    if (result.issues.length > 0) {
      lastError = { at: new Date().toISOString(), issues: result.issues };
      for (const issue of result.issues) logger.error({ what, ...issue }, 'reload rejected; keeping the last good set');
      options.onReload?.(false);
      return false;
    }
    value = result.value;
    generation++;
    loadedAt = new Date().toISOString();
    lastError = undefined;
    logger.info({ what, dir: options.dir, generation }, 'reloaded');
    options.onReload?.(true);
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
