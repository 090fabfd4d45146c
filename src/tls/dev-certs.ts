import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import forge from 'node-forge';

/** The names a certificate made by `shroud certs` answers to when none are given. */
export const DEFAULT_CERT_NAMES = [
  'localhost',
  '127.0.0.1',
  'shroud-webhook.shroud.svc',
  'shroud-webhook.shroud.svc.cluster.local',
] as const;

export interface CertBundle {
  /** PEM of the CA certificate: what goes (base64) into a webhook configuration's caBundle. */
  caCert: string;
  /** PEM of the serving certificate. */
  cert: string;
  /** PEM (PKCS#8) of the serving certificate's private key. */
  key: string;
  /** When the serving certificate stops being valid. */
  notAfter: Date;
}

export interface CertOptions {
  /** DNS names and IP addresses for the subjectAltName; IPs become IP SANs. */
  names: readonly string[];
  /** Validity of the serving certificate and its CA, in days. */
  days: number;
  /** Clock, for tests. */
  now?: Date;
  /**
   * What the leaf certificate is for: `server` (default; serverAuth) or `client` (clientAuth,
   * e.g. kube-apiserver's certificate for calling a webhook that verifies clients).
   */
  usage?: 'server' | 'client';
}

function newRsaKey(): { privateKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey; pem: string } {
  // node:crypto makes the key natively (forge's pure-JS RSA keygen takes seconds); forge signs.
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const forgeKey = forge.pki.privateKeyFromPem(pem) as forge.pki.rsa.PrivateKey;
  return { privateKey: forgeKey, publicKey: forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e), pem };
}

function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f; // positive, as RFC 5280 requires
  return bytes.toString('hex');
}

function validity(cert: forge.pki.Certificate, now: Date, days: number): void {
  cert.validity.notBefore = new Date(now.getTime() - 60 * 60 * 1000); // tolerate clock skew
  cert.validity.notAfter = new Date(now.getTime() + days * 24 * 60 * 60 * 1000);
}

/**
 * Makes a fresh CA and a serving certificate signed by it. The CA's private key is used once
 * and thrown away: nothing can mint further certificates under this caBundle.
 */
export function generateCertBundle(options: CertOptions): CertBundle {
  const now = options.now ?? new Date();
  const ca = newRsaKey();
  const caCert = forge.pki.createCertificate();
  caCert.publicKey = ca.publicKey;
  caCert.serialNumber = serialNumber();
  validity(caCert, now, options.days);
  const caSubject = [
    { name: 'commonName', value: 'shroud-webhook-ca' },
    { name: 'organizationName', value: 'Shroud' },
  ];
  caCert.setSubject(caSubject);
  caCert.setIssuer(caSubject);
  caCert.setExtensions([
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  caCert.sign(ca.privateKey, forge.md.sha256.create());

  const leaf = newRsaKey();
  const cert = forge.pki.createCertificate();
  cert.publicKey = leaf.publicKey;
  cert.serialNumber = serialNumber();
  validity(cert, now, options.days);
  const commonName = options.names.find((n) => isIP(n) === 0) ?? options.names[0] ?? 'localhost';
  cert.setSubject([{ name: 'commonName', value: commonName }]);
  cert.setIssuer(caSubject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    options.usage === 'client' ? { name: 'extKeyUsage', clientAuth: true } : { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: options.names.map((n) => (isIP(n) !== 0 ? { type: 7, ip: n } : { type: 2, value: n })),
    },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(ca.privateKey, forge.md.sha256.create());

  return {
    caCert: forge.pki.certificateToPem(caCert),
    cert: forge.pki.certificateToPem(cert),
    key: leaf.pem,
    notAfter: cert.validity.notAfter,
  };
}

/** The caBundle value of a Validating/MutatingWebhookConfiguration: base64 of the CA PEM. */
export function caBundleOf(caCertPem: string): string {
  return Buffer.from(caCertPem, 'utf8').toString('base64');
}
