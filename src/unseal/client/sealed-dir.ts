/**
 * Reads the sealed ConfigMaps as the pod mounts them: one configMap volume per sub-folder of
 * SHROUD_SEALED_DIR, named as the ConfigMap. A configMap volume holds a timestamped folder
 * (`..2026_11_29_23_40_00.123456789`), a `..data` link to it, and one link per key into
 * `..data`; names starting with `..` are the volume's own and are never keys.
 */
import { lstat, open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ShroudError } from '../../errors.js';
import { isConfigMapKey, isConfigMapName, itemName, oneLine } from './names.js';

/** What marks a value as sealed; anything else in a sealed ConfigMap is counted and skipped. */
export const SEALED_PREFIX = 'shroud:v1:';

/** A ConfigMap holds at most 1 MiB in all (etcd's limit); one file larger than that is not a mounted key. */
export const MAX_VALUE_BYTES = 1024 * 1024;

export interface SealedItem {
  configMap: string;
  key: string;
  /** The sealed value (`shroud:v1:...`), surrounding whitespace removed. Public, but never printed. */
  value: string;
}

export interface ItemName {
  configMap: string;
  key: string;
}

export interface SealedDirContents {
  /** The ConfigMaps found, in name order. */
  configMaps: string[];
  /** Values that start with `shroud:v1:`, in ConfigMap then key order. */
  items: SealedItem[];
  /** Keys whose values are not sealed (or not regular files), not sent. */
  skipped: ItemName[];
}

function inputError(message: string, cause?: unknown): ShroudError {
  return new ShroudError('UNSEAL_INIT_INPUT', message, cause === undefined ? {} : { cause });
}

function reason(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : oneLine(err instanceof Error ? err.message : String(err));
}

/** Reads at most `max` bytes of a file expected to hold `expected`; undefined when it is larger. */
async function readBounded(path: string, expected: number, max: number): Promise<Buffer | undefined> {
  if (expected > max) return undefined;
  const handle = await open(path, 'r');
  try {
    // One byte more than expected shows a file that grew since it was looked at.
    const buffer = Buffer.alloc(expected + 1);
    let filled = 0;
    while (filled < buffer.length) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, null);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    if (filled <= expected) return buffer.subarray(0, filled);
  } finally {
    await handle.close();
  }
  // It grew: read again up to the bound itself.
  return expected === max ? undefined : readBounded(path, max, max);
}

/**
 * Lists every ConfigMap folder of `dir` and reads every key in it.
 * @throws ShroudError UNSEAL_INIT_INPUT when the folder cannot be read, holds a name that is not
 *   a ConfigMap name or key, or a key larger than a ConfigMap can be.
 */
export async function readSealedDir(dir: string): Promise<SealedDirContents> {
  let entries: string[];
  try {
    entries = (await readdir(dir)).sort();
  } catch (err) {
    throw inputError(
      `cannot read the sealed ConfigMaps folder ${dir} (${reason(err)}); mount each ConfigMap of the shroud.dev/sealed annotation at ${dir}/<name>`,
      err,
    );
  }
  const configMaps: string[] = [];
  const items: SealedItem[] = [];
  const skipped: ItemName[] = [];
  for (const configMap of entries) {
    if (configMap.startsWith('.')) continue;
    const folder = join(dir, configMap);
    const info = await stat(folder).catch((err: unknown) => {
      throw inputError(`cannot read ${folder} (${reason(err)})`, err);
    });
    if (!info.isDirectory()) continue;
    if (!isConfigMapName(configMap))
      throw inputError(
        `${folder} is not named as a ConfigMap (a DNS subdomain); each sub-folder must be one ConfigMap`,
      );
    configMaps.push(configMap);
    const keys = (
      await readdir(folder).catch((err: unknown) => {
        throw inputError(`cannot read ${folder} (${reason(err)})`, err);
      })
    ).sort();
    for (const key of keys) {
      if (key.startsWith('..')) continue; // `..data` and the timestamped folder it points to
      const path = join(folder, key);
      const name = { configMap, key };
      if (!isConfigMapKey(key))
        throw inputError(`${path} is not named as a ConfigMap key ([-._a-zA-Z0-9]+); it is not a mounted key`);
      // Follows the key's link into `..data`; anything but a regular file is no key.
      const target = await stat(path).catch(() => undefined);
      if (target === undefined || !target.isFile()) {
        const link = await lstat(path).catch(() => undefined);
        if (link !== undefined) skipped.push(name);
        continue;
      }
      const bytes = await readBounded(path, target.size, MAX_VALUE_BYTES).catch((err: unknown) => {
        throw inputError(`cannot read ${path} (${reason(err)})`, err);
      });
      if (bytes === undefined)
        throw inputError(`${itemName(name)} at ${path} is larger than a ConfigMap can hold (1 MiB)`);
      const value = bytes.toString('latin1').trim();
      if (value.startsWith(SEALED_PREFIX) && /^[\x21-\x7e]+$/.test(value)) items.push({ ...name, value });
      else skipped.push(name);
    }
  }
  return { configMaps, items, skipped };
}
