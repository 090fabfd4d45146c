import { resolve } from 'node:path';
import type { CliIO } from './io.js';

/** Default keyring location, relative to the working directory (what `shroud serve` creates). */
export const DEFAULT_KEYRING = '.shroud/keyring.json';

/** The keyring file to use: `--keyring`, else SHROUD_KEYRING (when not empty), else .shroud/keyring.json; resolved against io.cwd. */
export function keyringPath(flag: string | undefined, io: CliIO): string {
  return resolve(io.cwd, flag ?? (io.env.SHROUD_KEYRING || DEFAULT_KEYRING));
}
