import type { ReadinessCheck } from '../health/readiness.js';
import type { Logger } from '../log/logger.js';
import { dirname, resolve } from 'node:path';
import { type DirWatcher, watchDir } from '../watch/dir-watcher.js';
import { loadTlsPair, type TlsPair } from './tls-files.js';

/** A serving pair read from a folder and kept current as the folder changes. */
export interface TlsSource {
  /** The pair in use: the last one that loaded as a valid pair. */
  current(): TlsPair;
  /** Reads the folder again now; false (and the old pair kept) when the new files are bad. */
  reload(): Promise<boolean>;
  /** Called with each new pair after it replaced the old one. */
  onChange(listener: (pair: TlsPair) => void): void;
  /** For /readyz: fingerprint, expiry and the last reload error. */
  readiness(): ReadinessCheck;
  close(): void;
}

export interface TlsSourceOptions {
  /** Folder with tls.crt and tls.key (a mounted kubernetes.io/tls Secret). */
  certDir: string;
  logger: Logger;
  /** Re-check interval besides file events. Default 10 s. */
  pollMs?: number;
  /** A CA bundle (PEM) that client certificates must chain to; watched like the pair. */
  clientCaFile?: string;
}

/**
 * Loads the serving pair from `certDir` and watches the folder: cert-manager and the kubelet
 * rewrite mounted Secrets in place, so a new pair is checked and then handed to the listeners,
 * and a bad one is logged while the old pair stays in use.
 * @throws ShroudError TLS_FILES_MISSING / TLS_PAIR_INVALID when the first pair cannot load.
 */
export async function openTlsSource(options: TlsSourceOptions): Promise<TlsSource> {
  const { logger, certDir, clientCaFile } = options;
  let pair = await loadTlsPair(certDir, clientCaFile);
  let lastError: string | undefined;
  const listeners: Array<(pair: TlsPair) => void> = [];

  const reload = async (): Promise<boolean> => {
    try {
      const next = await loadTlsPair(certDir, clientCaFile);
      lastError = undefined;
      if (next.fingerprint === pair.fingerprint) return true;
      pair = next;
      for (const listener of listeners) listener(next);
      logger.info({ fingerprint: pair.fingerprint, notAfter: pair.notAfter }, 'tls certificate reloaded');
      return true;
    } catch (err) {
      lastError = (err as Error).message;
      logger.error({ err, certDir }, 'tls reload failed; keeping the previous certificate');
      return false;
    }
  };
  const dirs = new Set([resolve(certDir), ...(clientCaFile === undefined ? [] : [dirname(resolve(clientCaFile))])]);
  const watchers: DirWatcher[] = [];
  for (const dir of dirs) {
    watchers.push(
      await watchDir({
        dir,
        onChange: async () => {
          await reload();
        },
        pollMs: options.pollMs ?? 10_000,
      }),
    );
  }

  return {
    current: () => pair,
    reload,
    onChange: (listener) => {
      listeners.push(listener);
    },
    readiness: () => ({
      ok: true,
      fingerprint: pair.fingerprint,
      notAfter: pair.notAfter,
      clientCertificates: pair.clientCa === undefined ? 'not required' : 'required on admission endpoints',
      lastError: lastError ?? null,
    }),
    close: () => {
      for (const watcher of watchers) watcher.close();
    },
  };
}
