/**
 * `unseal-init --watch`: fetch once, then keep the files current as a native sidecar. The
 * kubelet updates a configMap volume by writing a new timestamped folder and swapping the
 * `..data` link to it, so a change of any sealed ConfigMap is a change of one of those links.
 * They are polled (readlink is cheap, and works where inotify on a swapped link does not); a
 * change re-reads every sealed folder and re-fetches, replacing the files atomically one by one.
 * A refresh that fails keeps the files as they are and is tried again with backoff.
 */
import { readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { isShroudError, type ShroudError } from '../../errors.js';
import { type UnsealInitDeps, type UnsealInitOptions, type UnsealInitReport, unsealInit } from './init-client.js';

export interface WatchOptions {
  /** How often the `..data` links are read. */
  intervalMs: number;
  /** Aborted to stop (SIGTERM): the loop returns after the current step. */
  signal: AbortSignal;
  /** After a failed refresh, the first wait before trying again (doubling, at most `maxRetryMs`). */
  retryMs?: number;
  maxRetryMs?: number;
}

export interface WatchDeps extends UnsealInitDeps {
  /** Told of each successful fetch (the first included). */
  fetched: (report: UnsealInitReport) => void;
  /** Told of each failed refresh; the files stay as they were. */
  failed: (err: ShroudError) => void;
  /** Waits `ms` or until the signal is aborted. */
  pause: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** Each sealed ConfigMap folder's `..data` target (`''` when it has none). */
export async function dataLinks(sealedDir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const names = await readdir(sealedDir).catch(() => [] as string[]);
  for (const name of names.sort()) {
    if (name.startsWith('.')) continue;
    out.set(name, await readlink(join(sealedDir, name, '..data')).catch(() => ''));
  }
  return out;
}

function changes(before: Map<string, string>, after: Map<string, string>): string[] {
  const names = new Set([...before.keys(), ...after.keys()]);
  return [...names].filter((name) => before.get(name) !== after.get(name)).sort();
}

/**
 * Fetches once (a failure here is thrown: the sidecar exits and the kubelet restarts it), then
 * refreshes on every change until `signal` is aborted.
 */
export async function watchSealed(options: UnsealInitOptions, watch: WatchOptions, deps: WatchDeps): Promise<void> {
  let seen = await dataLinks(options.sealedDir);
  deps.fetched(await unsealInit(options, deps));
  const retryMs = watch.retryMs ?? 30_000;
  const maxRetryMs = watch.maxRetryMs ?? 600_000;
  let failures = 0;
  let retryAt: number | undefined;
  deps.say(`watching ${seen.size} sealed ConfigMap(s) for changes every ${watch.intervalMs / 1000} s`);
  while (!watch.signal.aborted) {
    await deps.pause(watch.intervalMs, watch.signal);
    if (watch.signal.aborted) break;
    const now = await dataLinks(options.sealedDir);
    const changed = changes(seen, now);
    const due = retryAt !== undefined && deps.now() >= retryAt;
    if (changed.length === 0 && !due) continue;
    seen = now;
    deps.say(
      changed.length > 0
        ? `sealed ConfigMap(s) changed: ${changed.join(', ')}; fetching again`
        : `trying the failed refresh again (attempt ${failures + 1})`,
    );
    try {
      deps.fetched(await unsealInit(options, deps));
      failures = 0;
      retryAt = undefined;
    } catch (err) {
      if (!isShroudError(err)) throw err;
      failures++;
      retryAt = deps.now() + Math.min(maxRetryMs, retryMs * 2 ** Math.min(failures - 1, 20));
      deps.failed(err);
    }
  }
}
