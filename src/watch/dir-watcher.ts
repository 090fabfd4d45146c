import { watch, type FSWatcher } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

export interface DirWatcherOptions {
  /** Folder to watch; may not exist yet. */
  dir: string;
  /** Called once per settled change (after `debounceMs` of quiet). Errors are the caller's to handle. */
  onChange: () => void | Promise<void>;
  /** Quiet time before onChange. Default 250 ms. */
  debounceMs?: number;
  /**
   * Longest a change waits for quiet: writes that keep coming faster than `debounceMs` would
   * otherwise postpone the check forever. Default 1000 ms.
   */
  maxWaitMs?: number;
  /** Re-check interval, the safety net for events fs.watch misses. Default 10 s. */
  pollMs?: number;
  /** Walk sub-folders (policies) or not (certificates). Default false. */
  recursive?: boolean;
}

export interface DirWatcher {
  /** When a change was first noticed that has not been handed to onChange yet; undefined when none. */
  pendingSince(): Date | undefined;
  close(): void;
}

/**
 * A fingerprint of every file under `dir`, following symlinks. Kubernetes updates mounted
 * ConfigMaps and Secrets by swapping the `..data` symlink to a new timestamped folder; the files
 * we see are symlinks through it, so stat (not lstat) sees new inodes even when the names stay.
 * Hidden entries (`..data`, `..2026_...`) are skipped; the visible links lead into them.
 */
export async function fingerprintDir(dir: string, recursive: boolean): Promise<string> {
  const parts: string[] = [];
  const walk = async (folder: string, depth: number): Promise<void> => {
    let names: string[];
    try {
      names = await readdir(folder);
    } catch {
      parts.push(`${folder}:absent`);
      return;
    }
    for (const name of names.sort()) {
      if (name.startsWith('.')) continue;
      const path = join(folder, name);
      try {
        const s = await stat(path);
        if (s.isDirectory()) {
          if (recursive && depth < 16) await walk(path, depth + 1);
        } else {
          parts.push(`${path}:${s.ino}:${s.size}:${s.mtimeMs}`);
        }
      } catch {
        parts.push(`${path}:dangling`);
      }
    }
  };
  await walk(dir, 0);
  return parts.join('\n');
}

/**
 * Watches a folder and calls onChange when its contents change: fs.watch for promptness, a
 * periodic fingerprint for certainty (fs.watch misses events on some volumes and after the
 * watched folder is replaced). onChange never runs twice at once.
 */
export async function watchDir(options: DirWatcherOptions): Promise<DirWatcher> {
  const recursive = options.recursive ?? false;
  const debounceMs = options.debounceMs ?? 250;
  const maxWaitMs = Math.max(debounceMs, options.maxWaitMs ?? 1000);
  let last = await fingerprintDir(options.dir, recursive);
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let watcher: FSWatcher | undefined;
  let pendingSince: number | undefined; // for reporting: noticed, not yet handed to onChange
  let burstStart: number | undefined; // for the debounce: first event since the last check was scheduled

  const check = async (): Promise<void> => {
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      do {
        again = false;
        const now = await fingerprintDir(options.dir, recursive);
        if (closed || now === last) continue;
        pendingSince ??= Date.now();
        last = now;
        await options.onChange();
      } while (again && !closed);
    })().finally(() => {
      running = undefined;
      if (timer === undefined) pendingSince = undefined;
    });
    await running;
  };
  const schedule = (): void => {
    if (closed) return;
    const now = Date.now();
    pendingSince ??= now;
    burstStart ??= now;
    // Wait for quiet, but never past maxWaitMs from the first event of the burst.
    const wait = Math.min(debounceMs, burstStart + maxWaitMs - now);
    clearTimeout(timer);
    timer = setTimeout(
      () => {
        timer = undefined;
        burstStart = undefined;
        void check().catch(() => undefined);
      },
      Math.max(0, wait),
    );
    timer.unref();
  };
  const arm = (): void => {
    try {
      watcher = watch(options.dir, { persistent: false }, schedule);
      watcher.on('error', () => {
        watcher?.close();
        watcher = undefined;
      });
    } catch {
      watcher = undefined; // the folder does not exist yet: the poll will notice it appear
    }
  };
  arm();
  const poll = setInterval(() => {
    if (watcher === undefined) arm();
    // A pending debounce will check soon anyway; re-arming it here would postpone it forever.
    if (timer === undefined) void check().catch(() => undefined);
  }, options.pollMs ?? 10_000);
  poll.unref();

  return {
    pendingSince: () => (pendingSince === undefined ? undefined : new Date(pendingSince)),
    close() {
      closed = true;
      clearTimeout(timer);
      clearInterval(poll);
      watcher?.close();
    },
  };
}
