import type { ReadinessCheck } from '../health/index.js';
import { ensureKeyring, type Keyring, loadKeyring, primaryVersion } from '../crypto/index.js';
import { ShroudError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { DEFAULT_CERT_NAMES, generateCertBundle, hasServingPair, writeCertFiles } from '../tls/index.js';

/** Where a role says things meant for the person who started it (the CLI prints them). */
export type Notify = (line: string) => void;

/**
 * Makes dev certificates on first run when `devCerts` is on; otherwise a missing pair is an
 * error. `host` joins the certificate's names so the printed curl line verifies.
 * @throws ShroudError TLS_FILES_MISSING when the pair is missing and dev certificates are off.
 */
export async function ensureCertificates(
  certDir: string,
  options: { devCerts: boolean; host: string },
  logger: Logger,
  notify: Notify,
): Promise<void> {
  if (hasServingPair(certDir)) return;
  if (!options.devCerts) {
    throw new ShroudError(
      'TLS_FILES_MISSING',
      `no tls.crt and tls.key in ${certDir}, and dev certificates are off (--no-dev-certs)`,
    );
  }
  const names = [...new Set([...DEFAULT_CERT_NAMES, options.host].filter((n) => n !== '0.0.0.0' && n !== '::'))];
  const bundle = generateCertBundle({ names, days: 365 });
  await writeCertFiles(certDir, bundle, { force: false });
  logger.info({ certDir, names, notAfter: bundle.notAfter.toISOString() }, 'generated dev certificates');
  notify(`generated a dev CA and serving certificate in ${certDir} (for ${names.join(', ')})`);
}

/**
 * Checks the keyring at start-up (permissions, integrity, a primary version) so a broken one is
 * found now, not at the first unseal; creates a dev keyring on first run when `devKeyring` is on.
 * Returns the /readyz facts: versions and states, never key material.
 * @throws ShroudError CRYPTO_KEYRING_* when the keyring is missing (dev keyring off), unreadable or corrupt.
 */
export async function checkKeyring(
  path: string,
  options: { devKeyring: boolean },
  logger: Logger,
  notify: Notify,
): Promise<ReadinessCheck> {
  let keyring: Keyring;
  if (options.devKeyring) {
    const ensured = await ensureKeyring(path);
    keyring = ensured.keyring;
    if (ensured.created) {
      logger.info({ keyring: path }, 'generated dev keyring');
      notify(`generated a dev keyring at ${path} (mode 0600; back it up before sealing anything real)`);
    }
  } else {
    keyring = await loadKeyring(path);
  }
  const primary = primaryVersion(keyring);
  return {
    ok: true,
    path,
    keyringId: keyring.keyringId,
    primaryVersion: primary.version,
    versions: keyring.versions.map((v) => ({ version: v.version, state: v.state })),
  };
}
