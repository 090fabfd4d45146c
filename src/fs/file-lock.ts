/**
 * An exclusive lock on a file shared by separate processes (the keyring, the known-keys file):
 * FILE.lock created with O_EXCL, holding the holder's pid, host and start time. Not a kernel lock,
 * so it also works where flock does not (network file systems), and a crashed holder's lock is
 * recognised and broken.
 */
import { randomBytes } from 'node:crypto';
import { link, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';

function errno(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | null)?.code;
}

const LOCK_WAIT_MS = 10_000;
const LOCK_STALE_MS = 30_000;

interface LockHolder {
  pid?: number;
  host?: string;
  since?: string;
}

/** The lock file of `path`: FILE.lock, holding the holder's pid, host and start time. */
export function fileLockPath(path: string): string {
  return `${path}.lock`;
}

/** How long to wait for a lock, when to break one, and the error when it stays taken. */
export interface FileLockOptions {
  /** How long to wait for another holder before failing with `busy`. Default 10 s. */
  waitMs?: number | undefined;
  /** A lock older than this is stale (its holder hung or crashed) and is broken. Default 30 s. */
  staleMs?: number | undefined;
  /** The error when the lock is not had in time; `holder` describes who holds it. */
  busy: (holder: string, lockPath: string) => Error;
}

/**
 * Runs `fn` holding the exclusive lock of `path` (FILE.lock, created with O_EXCL), so processes
 * that change the same file take turns. Waits (bounded, with retries) for another holder; breaks a
 * stale lock: its holder's pid is gone (same host) or it is older than `staleMs`.
 * @throws what `busy` returns when the lock is not had within `waitMs`
 */
export async function withFileLock<T>(path: string, fn: () => Promise<T>, options: FileLockOptions): Promise<T> {
  const lockPath = fileLockPath(path);
  const waitMs = options.waitMs ?? LOCK_WAIT_MS;
  const staleMs = options.staleMs ?? LOCK_STALE_MS;
  const mine = `${JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString(), nonce: randomBytes(8).toString('hex') })}\n`;
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      const handle = await open(lockPath, 'wx', 0o600);
      try {
        await handle.writeFile(mine, 'utf8');
      } finally {
        await handle.close();
      }
      break;
    } catch (err) {
      if (errno(err) !== 'EEXIST') throw err;
    }
    const seen = await readLock(lockPath);
    if (seen === undefined) continue; // released meanwhile: try again at once
    if (isStale(seen, staleMs)) {
      await breakLock(lockPath, seen.text);
      continue;
    }
    if (Date.now() >= deadline) {
      const h = seen.holder;
      const holder = `${h.pid !== undefined ? `pid ${h.pid}` : 'unknown pid'}${h.host !== undefined ? ` on ${h.host}` : ''}, since ${h.since ?? new Date(seen.mtimeMs).toISOString()}`;
      throw options.busy(holder, lockPath);
    }
    await sleep(10 + Math.floor(Math.random() * 40));
  }
  try {
    return await fn();
  } finally {
    // Release only our own lock: a holder judged stale must not delete its successor's.
    if ((await readLock(lockPath))?.text === mine) await unlink(lockPath).catch(() => undefined);
  }
}

async function readLock(lockPath: string): Promise<{ text: string; holder: LockHolder; mtimeMs: number } | undefined> {
  try {
    const [text, info] = await Promise.all([readFile(lockPath, 'utf8'), stat(lockPath)]);
    let holder: LockHolder = {};
    try {
      const parsed = JSON.parse(text) as Record<string, unknown>;
      holder = {
        ...(Number.isSafeInteger(parsed.pid) ? { pid: parsed.pid as number } : {}),
        ...(typeof parsed.host === 'string' ? { host: parsed.host } : {}),
        ...(typeof parsed.since === 'string' ? { since: parsed.since } : {}),
      };
    } catch {
      /* being written right now, or cut short by a crash: judged by its age alone */
    }
    return { text, holder, mtimeMs: info.mtimeMs };
  } catch (err) {
    if (errno(err) === 'ENOENT') return undefined;
    throw err;
  }
}

function isStale(seen: { holder: LockHolder; mtimeMs: number }, staleMs: number): boolean {
  if (Date.now() - seen.mtimeMs > staleMs) return true;
  const { pid, host } = seen.holder;
  if (pid === undefined || host !== hostname() || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return errno(err) === 'ESRCH';
  }
}

async function breakLock(lockPath: string, staleText: string): Promise<void> {
  // Move it aside first, then check it is the one judged stale: if another command broke it and
  // took the lock in between, that fresh lock is put back.
  const aside = `${lockPath}.stale-${randomBytes(6).toString('hex')}`;
  try {
    await rename(lockPath, aside);
  } catch (err) {
    if (errno(err) === 'ENOENT') return;
    throw err;
  }
  try {
    if ((await readFile(aside, 'utf8')) !== staleText) await link(aside, lockPath).catch(() => undefined);
  } finally {
    await unlink(aside).catch(() => undefined);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}
