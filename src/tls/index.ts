/** TLS material: reading and checking serving pairs, keeping them current, writing dev certificates. */
export { CERT_FILES, hasServingPair, writeCertFiles } from './cert-files.js';
export { type CertBundle, type CertOptions, caBundleOf, DEFAULT_CERT_NAMES, generateCertBundle } from './dev-certs.js';
export { serverTlsOptions } from './server-options.js';
export { loadTlsPair, type TlsPair } from './tls-files.js';
export { openTlsSource, type TlsSource, type TlsSourceOptions } from './tls-source.js';
