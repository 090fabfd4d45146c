import { X509Certificate, createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import { ShroudError } from '../errors.js';
import { CERT_FILES } from './cert-files.js';

/** A serving certificate and key that have been checked to load together. */
export interface TlsPair {
  cert: Buffer;
  key: Buffer;
  /** SHA-256 of the certificate (DER), for logs and /readyz. */
  fingerprint: string;
  notAfter: string;
  subjectAltName: string | undefined;
  /**
   * PEM of the CA that client certificates must chain to, when client verification is on.
   * Its fingerprint is part of `fingerprint`, so a new CA counts as a change.
   */
  clientCa?: Buffer;
}

/**
 * Reads tls.crt and tls.key from `dir` and proves they form a usable pair; with `clientCaFile`,
 * also reads the CA bundle that client certificates must chain to.
 * @throws ShroudError TLS_FILES_MISSING, TLS_PAIR_INVALID or TLS_CLIENT_CA_INVALID.
 */
export async function loadTlsPair(dir: string, clientCaFile?: string): Promise<TlsPair> {
  const pair = await loadServingPair(dir);
  if (clientCaFile === undefined) return pair;
  const clientCa = await loadClientCa(clientCaFile);
  const fingerprint = createHash('sha256').update(pair.fingerprint).update(clientCa.fingerprint).digest('hex');
  return { ...pair, fingerprint, clientCa: clientCa.pem };
}

async function loadClientCa(file: string): Promise<{ pem: Buffer; fingerprint: string }> {
  let pem: Buffer;
  try {
    pem = await readFile(file);
  } catch (err) {
    throw new ShroudError('TLS_FILES_MISSING', `cannot read the client CA bundle ${file}; check --client-ca`, {
      cause: err,
      details: { file },
    });
  }
  try {
    createSecureContext({ ca: pem });
    const x509 = new X509Certificate(pem); // the first certificate: proves the file is PEM, not junk
    return { pem, fingerprint: createHash('sha256').update(x509.raw).update(pem).digest('hex') };
  } catch (err) {
    throw new ShroudError(
      'TLS_CLIENT_CA_INVALID',
      `${file} is not a PEM certificate bundle: ${(err as Error).message}`,
      {
        cause: err,
        details: { file },
      },
    );
  }
}

async function loadServingPair(dir: string): Promise<TlsPair> {
  let cert: Buffer;
  let key: Buffer;
  try {
    [cert, key] = await Promise.all([readFile(join(dir, CERT_FILES.cert)), readFile(join(dir, CERT_FILES.key))]);
  } catch (err) {
    throw new ShroudError(
      'TLS_FILES_MISSING',
      `cannot read ${CERT_FILES.cert} and ${CERT_FILES.key} in ${dir}; run 'shroud certs' or set --cert-dir`,
      {
        cause: err,
        details: { dir },
      },
    );
  }
  try {
    createSecureContext({ cert, key }); // throws when the key does not match the certificate
    const x509 = new X509Certificate(cert);
    return {
      cert,
      key,
      fingerprint: createHash('sha256').update(x509.raw).digest('hex'),
      notAfter: new Date(x509.validTo).toISOString(),
      subjectAltName: x509.subjectAltName,
    };
  } catch (err) {
    // OpenSSL's messages name the problem ("key values mismatch") and never the key itself.
    throw new ShroudError(
      'TLS_PAIR_INVALID',
      `${CERT_FILES.cert} and ${CERT_FILES.key} in ${dir} do not load as a pair: ${(err as Error).message}`,
      {
        cause: err,
        details: { dir },
      },
    );
  }
}
