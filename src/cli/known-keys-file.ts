/**
 * The known-keys file on disk (trust on first use for `encrypt --public-key`): where it is, reading
 * it, and appending a first use. The format and the decisions are in src/crypto/known-keys.ts.
 *
 * Appends hold the file's lock (FILE.lock, as the keyring does), so concurrent `encrypt` runs take
 * turns: each reads, decides and appends while no other can, so no entry is lost and two first
 * uses of one key version with different keys cannot both win. The write itself is atomic (temp
 * file, fsync, rename) and compare-before-rename, against a writer that ignores the lock.
 */
import type { Stats } from 'node:fs';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { platform } from 'node:os';
import {
  appendKnownKey,
  decideTrust,
  type KnownKeyEntry,
  parseKnownKeys,
  type PublicSealingKey,
  type TrustDecision,
} from '../crypto/index.js';
import { ShroudError } from '../errors.js';
import { withFileLock } from '../fs/file-lock.js';
import { writeFileAtomic } from '../fs/write-file-atomic.js';

/** Largest known-keys file read (about 2,000 entries with 1 KiB key ids fit easily). */
export const MAX_KNOWN_KEYS_FILE_BYTES = 8 * 1024 * 1024;
const APPEND_ATTEMPTS = 5;

/**
 * The known-keys file: `--known-keys`/SHROUD_KNOWN_KEYS (resolved against `cwd`), else
 * `$XDG_CONFIG_HOME/shroud/known-keys` (an absolute XDG_CONFIG_HOME only, as the XDG spec says),
 * else `$HOME/.config/shroud/known-keys`; undefined when none of them is set.
 */
export function knownKeysPath(
  given: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
): string | undefined {
  if (given !== undefined) return resolve(cwd, given);
  const xdg = env.XDG_CONFIG_HOME;
  if (xdg !== undefined && xdg !== '' && isAbsolute(xdg)) return join(xdg, 'shroud', 'known-keys');
  const home = env.HOME;
  if (home !== undefined && home !== '' && isAbsolute(home)) return join(home, '.config', 'shroud', 'known-keys');
  return undefined;
}

function errno(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | null)?.code;
}

function unusable(path: string, reason: string): ShroudError {
  return new ShroudError('CRYPTO_KNOWN_KEYS_INVALID', `${path}: ${reason}`, { details: { file: path } });
}

/**
 * Reads and parses the known-keys file; a missing file is empty.
 * @throws CRYPTO_KNOWN_KEYS_INVALID (file:line of a bad line; not a regular file; too large;
 *   writable by group or others, since whoever can write it decides what `encrypt` trusts)
 */
export async function readKnownKeys(path: string): Promise<{ text: string; entries: KnownKeyEntry[] }> {
  let info: Stats;
  try {
    info = await stat(path);
  } catch (err) {
    if (errno(err) === 'ENOENT') return { text: '', entries: [] };
    throw err;
  }
  if (!info.isFile()) throw unusable(path, 'is not a regular file');
  if (info.size > MAX_KNOWN_KEYS_FILE_BYTES)
    throw unusable(path, `is larger than ${MAX_KNOWN_KEYS_FILE_BYTES} bytes; it is not a known-keys file`);
  // POSIX modes are not meaningful on Windows (ACLs), where Node reports 0o666.
  if (platform() !== 'win32' && (info.mode & 0o022) !== 0) {
    throw unusable(
      path,
      `has mode ${(info.mode & 0o777).toString(8).padStart(4, '0')}: group or others may write it, and so choose which keys are trusted. chmod 600 it after checking its lines`,
    );
  }
  const text = await readFile(path, 'utf8');
  return { text, entries: parseKnownKeys(text, path) };
}

class ChangedMeanwhile extends Error {}

/**
 * Decides trust in `key` from the known-keys file at `path` and, on a first use, appends the key
 * (creating the file 0600 and its folder 0700) before returning.
 * @returns the decision and, for a first use, the line now holding it
 * @throws CRYPTO_PUBLIC_KEY_UNTRUSTED, CRYPTO_KNOWN_KEYS_INVALID, CRYPTO_KNOWN_KEYS_BUSY
 */
export async function trustOnFirstUse(
  key: PublicSealingKey,
  source: string,
  path: string,
  now: Date,
): Promise<{ decision: TrustDecision; line: number }> {
  // A known key needs no lock: reading is enough.
  const first = await readKnownKeys(path);
  const known = decideTrust(key, source, { knownKeysFile: path, known: first.entries });
  if (known.kind === 'known') return { decision: known, line: known.line };
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  return withFileLock(path, () => appendFirstUse(key, source, path, now), {
    busy: (holder, lockPath) =>
      new ShroudError(
        'CRYPTO_KNOWN_KEYS_BUSY',
        `${path} is locked by another shroud command (${holder}); nothing was sealed. Retry; if no shroud command is running, delete ${lockPath}`,
        { details: { file: path } },
      ),
  });
}

async function appendFirstUse(
  key: PublicSealingKey,
  source: string,
  path: string,
  now: Date,
): Promise<{ decision: TrustDecision; line: number }> {
  for (let attempt = 1; ; attempt++) {
    const { text, entries } = await readKnownKeys(path);
    const decision = decideTrust(key, source, { knownKeysFile: path, known: entries });
    if (decision.kind === 'known') return { decision, line: decision.line };
    if (decision.kind !== 'first-use')
      throw new ShroudError('SHROUD_INTERNAL', 'a known-keys decision without a pin was a pin');
    const next = appendKnownKey(text, decision.record, now);
    try {
      await writeFileAtomic(path, next.text, {
        mode: 0o600,
        sync: true,
        beforeReplace: async () => {
          const current = await readFile(path, 'utf8').catch((err: unknown) => {
            if (errno(err) === 'ENOENT') return '';
            throw err;
          });
          if (current !== text) throw new ChangedMeanwhile();
        },
      });
      return { decision, line: next.line };
    } catch (err) {
      if (!(err instanceof ChangedMeanwhile)) throw err;
      if (attempt >= APPEND_ATTEMPTS)
        throw unusable(path, `kept changing while this command tried to add a line (${attempt} tries); retry`);
    }
  }
}
