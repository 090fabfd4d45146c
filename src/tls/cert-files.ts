import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ShroudError } from '../errors.js';
import { writeFileAtomic } from '../fs/write-file-atomic.js';
import type { CertBundle } from './dev-certs.js';

/** File names inside a cert dir: the same keys a kubernetes.io/tls Secret (plus ca.crt) mounts. */
export const CERT_FILES = { cert: 'tls.crt', key: 'tls.key', ca: 'ca.crt' } as const;

/** True when the serving pair exists in `dir`. */
export function hasServingPair(dir: string): boolean {
  return existsSync(join(dir, CERT_FILES.cert)) && existsSync(join(dir, CERT_FILES.key));
}

/**
 * Writes ca.crt, tls.crt and tls.key (0600) into `dir`, creating it (0700).
 * The key goes last so a watcher never sees a new key beside an old certificate for long.
 * @throws ShroudError TLS_KEY_EXISTS when tls.key exists and `force` is not set.
 */
export async function writeCertFiles(dir: string, bundle: CertBundle, options: { force: boolean }): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if (!options.force && existsSync(join(dir, CERT_FILES.key))) {
    throw new ShroudError(
      'TLS_KEY_EXISTS',
      `${join(dir, CERT_FILES.key)} exists; pass --force to replace the certificates`,
      {
        details: { dir },
      },
    );
  }
  await writeFileAtomic(join(dir, CERT_FILES.ca), bundle.caCert, 0o644);
  await writeFileAtomic(join(dir, CERT_FILES.cert), bundle.cert, 0o644);
  await writeFileAtomic(join(dir, CERT_FILES.key), bundle.key, 0o600);
}
