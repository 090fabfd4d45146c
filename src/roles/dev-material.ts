import { existsSync } from 'node:fs';
import type { ReadinessCheck } from '../health/index.js';
import { ensureKeyring, type Keyring, loadKeyring, primaryVersion } from '../crypto/index.js';
import { ShroudError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { ShroudMetrics } from '../metrics/index.js';
import { DEFAULT_CERT_NAMES, generateCertBundle, hasServingPair, writeCertFiles } from '../tls/index.js';

/** Where a role says things meant for the person who started it (the CLI prints them). */
export type Notify = (line: string) => void;

/** What a serving role gets from the process that starts it. */
export interface RoleEnv {
  cwd: string;
  logger: Logger;
  notify: Notify;
  metrics?: ShroudMetrics | undefined;
  /** The environment, for a PKCS#11 PIN in SHROUD_PKCS11_PIN (default process.env). */
  environment?: Readonly<Record<string, string | undefined>>;
}

/** Whether dev material may be made: switched on, and the place is the default one, not one given. */
export interface DevMaterialOptions {
  devCerts: boolean;
  /** The cert folder was given (--cert-dir / SHROUD_CERT_DIR): dev certificates are never written there. */
  certDirExplicit: boolean;
  devKeyring: boolean;
  /** The keyring path was given (--keyring / SHROUD_KEYRING): a dev keyring is never written there. */
  keyringPathExplicit: boolean;
}

function refuseMissingPair(certDir: string, options: Omit<DevMaterialOptions, 'devKeyring' | 'keyringPathExplicit'>) {
  if (hasServingPair(certDir)) return;
  if (options.certDirExplicit) {
    throw new ShroudError(
      'TLS_FILES_MISSING',
      `no tls.crt and tls.key in ${certDir}, the folder given by --cert-dir or SHROUD_CERT_DIR; ` +
        'dev certificates are only made in the default folder when none is given: put the pair there (shroud certs --cert-dir DIR)',
    );
  }
  if (!options.devCerts) {
    throw new ShroudError(
      'TLS_FILES_MISSING',
      `no tls.crt and tls.key in ${certDir}, and dev certificates are off (--no-dev-certs)`,
    );
  }
}

function refuseMissingKeyring(path: string, options: Omit<DevMaterialOptions, 'devCerts' | 'certDirExplicit'>) {
  if (existsSync(path)) return;
  if (options.keyringPathExplicit) {
    throw new ShroudError(
      'CRYPTO_KEYRING_NOT_FOUND',
      `no keyring at ${path}, the file given by --keyring or SHROUD_KEYRING; a dev keyring is only made at the ` +
        `default path when none is given: create it with "shroud keys init --keyring ${path}" or mount the real one`,
      { details: { file: path } },
    );
  }
  if (!options.devKeyring) {
    throw new ShroudError(
      'CRYPTO_KEYRING_NOT_FOUND',
      `no keyring at ${path}, and dev keyrings are off (--no-dev-keyring): create one with "shroud keys init"`,
      { details: { file: path } },
    );
  }
}

/**
 * Fails before anything is written when the certificates or the keyring (when the role needs
 * one) are missing and may not be made, so a start that fails leaves no dev material behind.
 * @throws ShroudError TLS_FILES_MISSING, CRYPTO_KEYRING_NOT_FOUND
 */
export function refuseMissingMaterial(
  paths: { certDir: string; keyringPath?: string },
  options: DevMaterialOptions,
): void {
  refuseMissingPair(paths.certDir, options);
  if (paths.keyringPath !== undefined) refuseMissingKeyring(paths.keyringPath, options);
}

/**
 * Makes dev certificates on first run when `devCerts` is on and the folder is the default one;
 * otherwise a missing pair is an error. `host` joins the certificate's names so the printed curl
 * line verifies.
 * @throws ShroudError TLS_FILES_MISSING when the pair is missing and may not be made.
 */
export async function ensureCertificates(
  certDir: string,
  options: { devCerts: boolean; certDirExplicit: boolean; host: string },
  logger: Logger,
  notify: Notify,
): Promise<void> {
  if (hasServingPair(certDir)) return;
  refuseMissingPair(certDir, options);
  const names = [...new Set([...DEFAULT_CERT_NAMES, options.host].filter((n) => n !== '0.0.0.0' && n !== '::'))];
  const bundle = generateCertBundle({ names, days: 365 });
  await writeCertFiles(certDir, bundle, { force: false });
  logger.info({ certDir, names, notAfter: bundle.notAfter.toISOString() }, 'generated dev certificates');
  notify(`generated a dev CA and serving certificate in ${certDir} (for ${names.join(', ')})`);
}

/**
 * Checks the keyring at start-up (permissions, integrity, a primary version) so a broken one is
 * found now, not at the first unseal; creates a dev keyring on first run when `devKeyring` is on
 * and the path is the default one. Returns the /readyz facts: versions and states, never key material.
 * @throws ShroudError CRYPTO_KEYRING_* when the keyring is missing (and may not be made), unreadable or corrupt.
 */
export async function checkKeyring(
  path: string,
  options: { devKeyring: boolean; keyringPathExplicit: boolean },
  logger: Logger,
  notify: Notify,
): Promise<ReadinessCheck> {
  refuseMissingKeyring(path, options);
  let keyring: Keyring;
  if (options.devKeyring && !options.keyringPathExplicit) {
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
