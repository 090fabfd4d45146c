/**
 * Writes opened values into SHROUD_OUTPUT_DIR/<configMap>/<key>, each atomically: a temp file
 * in the same folder, created exclusively (`wx`) with the final mode, written, fsynced and
 * renamed over the key's file, so a reader (an app container, or a --watch refresh) sees the
 * old file or the new one, never half of one. Temp files are named `..shroud-<hex>.tmp`: a
 * ConfigMap key never starts with `..`, so no temp file can ever be taken for a key.
 *
 * Folder modes: the ConfigMap's folder is the file mode plus the search bit where the file is
 * readable (0400 -> 0500, 0440 -> 0550), and the owner's write bit only while files are being
 * replaced. The owner (the pod's user, which unseal-init runs as) can list and open the files;
 * with fsGroup the emptyDir is setgid, so the folder and files belong to the fsGroup and 0550 /
 * 0440 let every container's user read them; nobody else can even list the names.
 */
import { randomBytes } from 'node:crypto';
import { chmod, lstat, mkdir, open, readdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ShroudError } from '../../errors.js';
import type { Plaintext } from './answer.js';
import { isConfigMapKey, itemName, oneLine } from './names.js';

/** The file modes the contract allows. */
export const FILE_MODES = [0o400, 0o440] as const;
export type FileMode = (typeof FILE_MODES)[number];

/** The folder mode for a file mode: read and search wherever the file can be read. */
export function folderModeFor(fileMode: FileMode): number {
  return fileMode === 0o440 ? 0o550 : 0o500;
}

const TEMP = /^\.\.shroud-[0-9a-f]{16}\.tmp$/;

function reason(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : oneLine(err instanceof Error ? err.message : String(err), 120);
}

function writeError(message: string, cause: unknown): ShroudError {
  return new ShroudError('UNSEAL_INIT_WRITE_FAILED', message, { cause });
}

async function syncFolder(folder: string): Promise<void> {
  const handle = await open(folder, 'r');
  try {
    await handle.sync();
  } catch {
    /* some filesystems cannot fsync a directory; the renames are still atomic */
  } finally {
    await handle.close();
  }
}

/** Writes one file atomically; the temp file is gone afterwards whatever happened. */
async function writeOne(folder: string, key: string, bytes: Buffer, mode: number): Promise<void> {
  const temp = join(folder, `..shroud-${randomBytes(8).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', mode);
  let renamed = false;
  try {
    try {
      await handle.chmod(mode); // the umask may have narrowed 0440 to 0400
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, join(folder, key));
    renamed = true;
  } finally {
    if (!renamed) await unlink(temp).catch(() => undefined);
  }
}

/** Makes (or reopens for writing) the ConfigMap's folder; refuses anything but a plain folder. */
async function openFolder(folder: string, writingMode: number): Promise<void> {
  const info = await lstat(folder).catch((err: unknown) => {
    if ((err as { code?: unknown }).code === 'ENOENT') return undefined;
    throw err;
  });
  if (info === undefined) await mkdir(folder, { mode: writingMode });
  else if (!info.isDirectory() || info.isSymbolicLink())
    throw new Error(`${folder} exists and is not a folder (a link or a file); remove it`);
  await chmod(folder, writingMode);
}

/**
 * Writes every plaintext, one folder per ConfigMap, and removes files of keys that are no
 * longer sealed in that ConfigMap (and temp files an interrupted run left).
 * @returns the paths written, in order
 * @throws ShroudError UNSEAL_INIT_WRITE_FAILED naming the path, the reason and how many files
 *   were written before it.
 */
export async function writePlaintexts(outputDir: string, plaintexts: readonly Plaintext[], fileMode: FileMode) {
  const info = await lstat(outputDir).catch(() => undefined);
  if (info === undefined || !info.isDirectory())
    throw writeError(
      `the output folder ${outputDir} does not exist or is not a folder; mount the shroud-secrets volume there (SHROUD_OUTPUT_DIR)`,
      undefined,
    );
  const byConfigMap = new Map<string, Plaintext[]>();
  for (const p of plaintexts) byConfigMap.set(p.configMap, [...(byConfigMap.get(p.configMap) ?? []), p]);
  const folderMode = folderModeFor(fileMode);
  const written: string[] = [];
  for (const [configMap, items] of byConfigMap) {
    const folder = join(outputDir, configMap);
    let current = folder;
    try {
      await openFolder(folder, folderMode | 0o200);
      for (const item of items) {
        current = join(folder, item.key);
        await writeOne(folder, item.key, item.bytes, fileMode);
        written.push(current);
      }
      current = folder;
      const keep = new Set(items.map((item) => item.key));
      for (const name of await readdir(folder)) {
        if (keep.has(name) || !(TEMP.test(name) || isConfigMapKey(name))) continue;
        const stale = await lstat(join(folder, name));
        if (stale.isFile()) await unlink(join(folder, name));
      }
      await syncFolder(folder);
      await chmod(folder, folderMode);
    } catch (err) {
      const which =
        current === folder ? folder : `${current} (${itemName({ configMap, key: current.slice(folder.length + 1) })})`;
      throw writeError(
        `cannot write ${which}: ${reason(err)}; ${written.length} of ${plaintexts.length} file(s) were written before it`,
        err,
      );
    }
  }
  return written;
}
