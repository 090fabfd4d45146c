/**
 * Keyring persistence: the only file in src/crypto that touches the filesystem.
 *
 * Writes are atomic (a temp file in the same directory, created 0600, fsync, then rename, or link
 * when the target must not exist, so a crash leaves the old file or the new one, never half of
 * either) and go through an exclusive lock (FILE.lock), so concurrent commands serialise; a
 * crash's leftover temp files are swept by the next write.
 * The file is created mode 0600 in a 0700 directory; loading refuses a file that group or
 * others can access, the way ssh refuses a private key with loose permissions.
 */
import { createHash } from 'node:crypto';
import type { Stats } from 'node:fs';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { platform } from 'node:os';
import { dirname } from 'node:path';
import { ShroudError } from '../errors.js';
import { fileLockPath, withFileLock } from '../fs/file-lock.js';
import { writeFileAtomic } from '../fs/write-file-atomic.js';
import { zero } from './encoding.js';
import { createKeyring, type Keyring, type KeyringOptions } from './keyring.js';
import { parseKeyring, serializeKeyring } from './keyring-codec.js';

function errno(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | null)?.code;
}

/**
 * Loads and verifies a keyring file.
 * @throws CRYPTO_KEYRING_NOT_FOUND, CRYPTO_KEYRING_PERMISSIONS (mode allows group/other access),
 *   CRYPTO_KEYRING_CORRUPT
 */
export async function loadKeyring(path: string): Promise<Keyring> {
  let info: Stats;
  try {
    info = await stat(path);
  } catch (err) {
    if (errno(err) === 'ENOENT') {
      throw new ShroudError('CRYPTO_KEYRING_NOT_FOUND', `no keyring at ${path}; create one with "shroud keys init"`, {
        details: { file: path },
      });
    }
    throw err;
  }
  if (!info.isFile())
    throw new ShroudError('CRYPTO_KEYRING_CORRUPT', `${path} is not a regular file`, { details: { file: path } });
  // POSIX modes are not meaningful on Windows (ACLs), where Node reports 0o666.
  if (platform() !== 'win32' && (info.mode & 0o077) !== 0) {
    throw new ShroudError(
      'CRYPTO_KEYRING_PERMISSIONS',
      `${path} has mode ${(info.mode & 0o777).toString(8).padStart(4, '0')}; a keyring must be readable by its owner only (chmod 600)`,
      { details: { file: path } },
    );
  }
  // Read as bytes and zero them once decoded: the JSON text (a string) cannot be wiped, but this
  // copy of every key can (README, "What zeroing can and cannot do in Node").
  const bytes = await readFile(path);
  const text = bytes.toString('utf8');
  zero(bytes);
  try {
    return parseKeyring(text);
  } catch (err) {
    if (err instanceof ShroudError)
      throw new ShroudError(err.code, `${path}: ${err.message}`, { details: { file: path } });
    throw err;
  }
}

/** How saveKeyring treats an existing file. */
export interface SaveKeyringOptions extends KeyringLockOptions {
  /** Replace an existing file (rotate, retire, shred). Default false: refuse with CRYPTO_KEYRING_EXISTS. */
  overwrite?: boolean;
  /** Called once the temp file exists, before any key is written to it (tests). */
  onTempCreated?: (temp: string) => Promise<void> | void;
}

/** What a keyring write did besides writing. */
export interface SaveKeyringResult {
  /** Leftover temp files of earlier, interrupted writes (each may hold keys) that were removed. */
  swept: string[];
}

/**
 * Writes a keyring atomically with mode 0600, creating its directory (0700) if needed, under the
 * keyring's lock (see withKeyringLock). Leftover temp files of the keyring are swept.
 * @throws CRYPTO_KEYRING_EXISTS when the file exists and `overwrite` is not set; CRYPTO_KEYRING_BUSY
 */
export async function saveKeyring(
  path: string,
  keyring: Keyring,
  options: SaveKeyringOptions = {},
): Promise<SaveKeyringResult> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  return withKeyringLock(path, () => writeKeyringLocked(path, keyring, options), options);
}

async function writeKeyringLocked(
  path: string,
  keyring: Keyring,
  options: SaveKeyringOptions,
  beforeReplace?: () => Promise<void>,
): Promise<SaveKeyringResult> {
  try {
    return await writeFileAtomic(path, serializeKeyring(keyring), {
      mode: 0o600,
      overwrite: options.overwrite === true,
      sync: true,
      sweepAll: true, // the lock is held: no other writer has a temp file in use
      ...(options.onTempCreated !== undefined ? { onTempCreated: options.onTempCreated } : {}),
      ...(beforeReplace !== undefined ? { beforeReplace } : {}),
    });
  } catch (err) {
    if (errno(err) === 'EEXIST' && options.overwrite !== true) {
      throw new ShroudError('CRYPTO_KEYRING_EXISTS', `a keyring already exists at ${path}; it is not overwritten`, {
        details: { file: path },
      });
    }
    throw err;
  }
}

/**
 * Changes the keyring at `path` under its lock: loads it, applies `change`, and writes the result
 * only if the file is byte-for-byte what was loaded right before the rename (compare-before-rename,
 * against writers that bypass the lock), so no update is ever lost.
 * @throws whatever loadKeyring and `change` throw; CRYPTO_KEYRING_BUSY when the lock is not had in
 *   time or the file changed meanwhile
 */
export async function updateKeyring(
  path: string,
  change: (keyring: Keyring) => Keyring,
  options: SaveKeyringOptions = {},
): Promise<SaveKeyringResult & { keyring: Keyring }> {
  await loadKeyring(path); // a missing or unsafe keyring fails before any lock file is made
  return withKeyringLock(
    path,
    async () => {
      const before = await fileDigest(path);
      const next = change(await loadKeyring(path));
      const result = await writeKeyringLocked(path, next, { ...options, overwrite: true }, async () => {
        if (!(await fileDigest(path)).equals(before)) {
          throw new ShroudError(
            'CRYPTO_KEYRING_BUSY',
            `${path} was changed by another command while this one was changing it; nothing was written. Check it with "shroud keys status" and retry`,
            { details: { file: path } },
          );
        }
      });
      return { ...result, keyring: next };
    },
    options,
  );
}

/** SHA-256 of a file's bytes (of nothing when it is gone); the bytes, keys and all, are zeroed. */
async function fileDigest(path: string): Promise<Buffer> {
  const data = await readFile(path).catch(() => Buffer.alloc(0));
  const hash = createHash('sha256').update(data).digest();
  zero(data);
  return hash;
}

/** How long keyring commands wait for each other. */
export interface KeyringLockOptions {
  /** How long to wait for another command's lock before failing with CRYPTO_KEYRING_BUSY. Default 10 s. */
  lockWaitMs?: number;
  /** A lock older than this is stale (its holder hung or crashed) and is broken. Default 30 s. */
  lockStaleMs?: number;
}

/** The lock file of a keyring: FILE.lock, holding the holder's pid, host and start time. */
export function keyringLockPath(path: string): string {
  return fileLockPath(path);
}

/**
 * Runs `fn` holding the keyring's exclusive lock (FILE.lock, see fs/file-lock.ts).
 * @throws CRYPTO_KEYRING_BUSY when the lock is not had within `lockWaitMs`
 */
export function withKeyringLock<T>(path: string, fn: () => Promise<T>, options: KeyringLockOptions = {}): Promise<T> {
  return withFileLock(path, fn, {
    waitMs: options.lockWaitMs,
    staleMs: options.lockStaleMs,
    busy: (holder, lockPath) =>
      new ShroudError(
        'CRYPTO_KEYRING_BUSY',
        `${path} is locked by another shroud command (${holder}); nothing was written. Retry when it has finished; if no shroud command is running, delete ${lockPath}`,
        { details: { file: path } },
      ),
  });
}

/**
 * Loads the keyring at `path`, creating a new one (version 1 primary) if there is no file:
 * what `shroud serve` calls on first run. Two processes racing both end up with the same file.
 * @throws CRYPTO_KEYRING_PERMISSIONS, CRYPTO_KEYRING_CORRUPT for an existing bad file
 */
export async function ensureKeyring(
  path: string,
  options: KeyringOptions = {},
): Promise<{ keyring: Keyring; created: boolean }> {
  try {
    return { keyring: await loadKeyring(path), created: false };
  } catch (err) {
    if (!(err instanceof ShroudError) || err.code !== 'CRYPTO_KEYRING_NOT_FOUND') throw err;
  }
  const keyring = createKeyring(options);
  try {
    await saveKeyring(path, keyring);
    return { keyring, created: true };
  } catch (err) {
    if (err instanceof ShroudError && err.code === 'CRYPTO_KEYRING_EXISTS')
      return { keyring: await loadKeyring(path), created: false };
    throw err;
  }
}
