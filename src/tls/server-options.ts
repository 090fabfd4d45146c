import type { SecureContextOptions } from 'node:tls';
import type { TlsPair } from './tls-files.js';

/**
 * The TLS settings every Shroud listener uses, in one place so the webhook and the unseal
 * service cannot drift apart. TLS 1.2 is the floor: kube-apiserver speaks 1.3 and 1.2.
 */
export function serverTlsOptions(pair: TlsPair): SecureContextOptions & { minVersion: 'TLSv1.2' } {
  return { cert: pair.cert, key: pair.key, minVersion: 'TLSv1.2' };
}
