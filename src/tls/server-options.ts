import type { SecureContextOptions, TlsOptions } from 'node:tls';
import type { TlsPair } from './tls-files.js';

/**
 * TLS 1.2 suites Shroud accepts: ECDHE key exchange (forward secrecy) with an AEAD cipher only;
 * no static-RSA key exchange, no CBC, no SHA-1 MACs, no CCM-8. TLS 1.3's suites are all
 * forward-secret AEADs and are listed too, so naming 1.2 suites does not drop them.
 * kube-apiserver (Go's crypto/tls) offers the ECDHE-GCM and ChaCha20 suites first.
 */
export const TLS_CIPHERS = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

/**
 * The TLS settings every Shroud listener uses, in one place so the webhook and the unseal
 * service cannot drift apart. TLS 1.2 is the floor: kube-apiserver speaks 1.3 and 1.2.
 * With a client CA in the pair, clients are asked for a certificate; whether a route requires
 * it is the route's decision (kubelet probes of /healthz present none), so the handshake does
 * not reject a client without one and `socket.authorized` tells the route.
 */
export function serverTlsOptions(pair: TlsPair): SecureContextOptions & TlsOptions {
  return {
    cert: pair.cert,
    key: pair.key,
    minVersion: 'TLSv1.2',
    ciphers: TLS_CIPHERS,
    honorCipherOrder: true,
    ...(pair.clientCa === undefined ? {} : { ca: pair.clientCa, requestCert: true, rejectUnauthorized: false }),
  };
}
