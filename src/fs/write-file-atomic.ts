import { randomBytes } from 'node:crypto';
import { chmod, link, lstat, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Leftover temp files older than this are swept by the next write of the same file. */
export const STALE_TEMP_MS = 60_000;

/** How writeFileAtomic writes. */
export interface WriteFileAtomicOptions {
  /** Final permissions; without it the file keeps its own (the file must then exist). */
  mode?: number;
  /** Replace an existing file (default). false: link the temp into place, failing with EEXIST if the file exists. */
  overwrite?: boolean;
  /** fsync the file and its directory, so the new content survives a power cut. */
  sync?: boolean;
  /**
   * Sweep every leftover temp file of this file, however recent. Only for callers that hold a
   * lock on the file (no other writer can be using one); otherwise only those older than a minute go.
   */
  sweepAll?: boolean;
  /** Called once the temp file exists, before any byte is written to it (tests, diagnostics). */
  onTempCreated?: (temp: string) => Promise<void> | void;
  /** Called when the temp file is complete, right before it replaces the file; throwing aborts the write. */
  beforeReplace?: () => Promise<void> | void;
}

/** What a write did besides writing. */
export interface WriteFileAtomicResult {
  /** Leftover temp files (from interrupted earlier writes) that were removed. */
  swept: string[];
}

/**
 * The temp file name for `path`: hidden, in the same folder, recognisable as belonging to it
 * (`.NAME.tmp-<12 hex>`), so a crash's leftover can be found and swept.
 */
export function tempFileFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${randomBytes(6).toString('hex')}`);
}

function isTempOf(name: string, base: string): boolean {
  const prefix = `.${base}.`;
  if (!name.startsWith(prefix)) return false;
  const rest = name.slice(prefix.length);
  // Today's name, and the one earlier versions used (`.NAME.<12 hex>.tmp`).
  return /^tmp-[0-9a-f]{12}$/.test(rest) || /^[0-9a-f]{12}\.tmp$/.test(rest);
}

/**
 * Removes leftover temp files of `path` (from writes interrupted by a crash): those older than
 * a minute, or all of them with `all` (only when holding a lock on the file).
 * @returns the paths removed
 */
export async function sweepTempFiles(path: string, all = false): Promise<string[]> {
  const dir = dirname(path);
  const base = basename(path);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const swept: string[] = [];
  for (const name of names) {
    if (!isTempOf(name, base)) continue;
    const temp = join(dir, name);
    try {
      const info = await lstat(temp);
      if (!info.isFile()) continue;
      if (!all && Date.now() - info.mtimeMs < STALE_TEMP_MS) continue;
      await unlink(temp);
      swept.push(temp);
    } catch {
      /* gone meanwhile (another writer swept it) */
    }
  }
  return swept;
}

/**
 * Replaces a file's content via a temp file in the same folder and a rename, so a reader (or a
 * crash) never sees half a file. The temp file is created mode 0600 (exclusively, so it is never
 * readable by others, whatever the final mode) and gets the final mode just before the rename.
 * Leftover temp files of the same file from interrupted writes are swept first.
 * A number as third argument is the mode (the older signature).
 */
export async function writeFileAtomic(
  path: string,
  text: string,
  modeOrOptions?: number | WriteFileAtomicOptions,
): Promise<WriteFileAtomicResult> {
  const options: WriteFileAtomicOptions =
    typeof modeOrOptions === 'number' ? { mode: modeOrOptions } : (modeOrOptions ?? {});
  const finalMode = options.mode ?? (await stat(path)).mode & 0o7777;
  const swept = await sweepTempFiles(path, options.sweepAll === true);
  const temp = tempFileFor(path);
  const handle = await open(temp, 'wx', 0o600);
  try {
    try {
      await options.onTempCreated?.(temp);
      await handle.writeFile(text, 'utf8');
      if (options.sync === true) await handle.sync();
    } finally {
      await handle.close();
    }
    await chmod(temp, finalMode); // also undoes any narrowing by the umask
    await options.beforeReplace?.();
    if (options.overwrite === false) {
      // link() fails with EEXIST atomically: no window where another writer's file is replaced.
      await link(temp, path);
    } else {
      await rename(temp, path);
    }
  } finally {
    await unlink(temp).catch(() => undefined);
  }
  if (options.sync === true) await syncDir(dirname(path));
  return { swept };
}

async function syncDir(dir: string): Promise<void> {
  // Makes the rename durable; not possible on every platform, so best effort.
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    /* directory fsync unsupported here */
  }
}
