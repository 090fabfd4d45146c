/**
 * Keyring persistence: the only file in src/crypto that touches the filesystem.
 *
 * Writes are atomic (a temp file in the same directory, fsync, then rename, or link when the
 * target must not exist, so a crash leaves the old file or the new one, never half of either).
 * The file is created mode 0600 in a 0700 directory; loading refuses a file that group or
 * others can access, the way ssh refuses a private key with loose permissions.
 */
import { randomBytes } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { chmod, link, mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { platform } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { ShroudError } from '../errors.js';
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
  const text = await readFile(path, 'utf8');
  try {
    return parseKeyring(text);
  } catch (err) {
    if (err instanceof ShroudError)
      throw new ShroudError(err.code, `${path}: ${err.message}`, { details: { file: path } });
    throw err;
  }
}

/** How saveKeyring treats an existing file. */
export interface SaveKeyringOptions {
  /** Replace an existing file (rotate, retire, shred). Default false: refuse with CRYPTO_KEYRING_EXISTS. */
  overwrite?: boolean;
}

/**
 * Writes a keyring atomically with mode 0600, creating its directory (0700) if needed.
 * @throws CRYPTO_KEYRING_EXISTS when the file exists and `overwrite` is not set
 */
export async function saveKeyring(path: string, keyring: Keyring, options: SaveKeyringOptions = {}): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const temp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    try {
      await handle.writeFile(serializeKeyring(keyring), 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await chmod(temp, 0o600);
    if (options.overwrite === true) {
      await rename(temp, path);
    } else {
      try {
        // link() fails with EEXIST atomically: no window where another writer's file is replaced.
        await link(temp, path);
      } catch (err) {
        if (errno(err) === 'EEXIST') {
          throw new ShroudError('CRYPTO_KEYRING_EXISTS', `a keyring already exists at ${path}; it is not overwritten`, {
            details: { file: path },
          });
        }
        throw err;
      }
    }
  } finally {
    await unlink(temp).catch(() => undefined);
  }
  await syncDir(dir);
}

async function syncDir(dir: string): Promise<void> {
  // Makes the rename durable; not possible on every platform, so best effort.
  try {
    const handle = await open(dir, constants.O_RDONLY);
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    /* directory fsync unsupported here */
  }
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
