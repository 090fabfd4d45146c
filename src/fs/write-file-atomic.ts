import { randomBytes } from 'node:crypto';
import { chmod, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Replaces a file's content via a temp file in the same folder and a rename, so a reader (or a
 * crash) never sees half a file. `mode` sets the permissions; without it the file keeps its own
 * (the file must then exist). The keyring has its own writer: it also fsyncs and can refuse to
 * overwrite.
 */
export async function writeFileAtomic(path: string, text: string, mode?: number): Promise<void> {
  const finalMode = mode ?? (await stat(path)).mode & 0o7777;
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(temp, text, { mode: finalMode, flag: 'wx' });
    await chmod(temp, finalMode); // the umask may have narrowed the mode asked for
    await rename(temp, path);
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}
