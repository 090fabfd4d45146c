/**
 * Fake, correctly shaped secrets for the detector tests.
 *
 * Every token is assembled from parts at run time (prefix and body joined in code, bodies drawn
 * from a seeded generator) so that secret scanners run over this repository do not flag the test
 * sources themselves. None of these values is, or was, a real credential.
 */
import { generateKeyPairSync } from 'node:crypto';
import { base62 as base62Number, crc32 } from '../../src/detect/formats/checksum.js';

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const BASE64 = `${BASE62}+/`;

/** A deterministic generator (mulberry32), so failures reproduce. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `length` characters drawn from `alphabet` with seed `seed`. */
export function randomText(alphabet: string, length: number, seed: number): string {
  const next = seeded(seed);
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[Math.floor(next() * alphabet.length)];
  return out;
}

export const base62 = (length: number, seed = 1): string => randomText(BASE62, length, seed);
export const base64 = (length: number, seed = 1): string => randomText(BASE64, length, seed);

/** Joins parts; used so no complete token literal appears in the sources. */
export const join = (...parts: string[]): string => parts.join('');

export const fake = {
  awsKeyId: (prefix = 'AKIA', seed = 3): string => join(prefix, randomText(BASE32, 16, seed)),
  /** A GitHub token whose last six characters are the CRC-32 checksum GitHub puts there. */
  githubToken: (prefix = 'ghp', seed = 4): string => fake.githubTokenOf(base62(30, seed), prefix),
  /** A GitHub token around a chosen 30-character body, with its checksum. */
  githubTokenOf: (body: string, prefix = 'ghp'): string => join(prefix, '_', body, base62Number(crc32(body), 6)),
  githubFineGrained: (seed = 5): string => join('github', '_pat_', base62(22, seed), '_', base62(59, seed + 1)),
  gitlabToken: (seed = 6): string => join('gl', 'pat-', base62(20, seed)),
  slackToken: (kind = 'b', seed = 7): string =>
    join(
      'xox',
      kind,
      '-',
      randomText('0123456789', 10, seed),
      '-',
      randomText('0123456789', 11, seed + 1),
      '-',
      base62(24, seed),
    ),
  slackWebhook: (seed = 8): string =>
    join(
      'https://hooks.',
      'slack.com/services/',
      'T0',
      randomText(BASE32, 8, seed),
      '/B0',
      randomText(BASE32, 8, seed + 1),
      '/',
      base62(24, seed + 2),
    ),
  stripeKey: (prefix = 'sk_live_', seed = 9): string => join(prefix, base62(24, seed)),
  googleApiKey: (seed = 10): string => join('AI', 'za', 'Sy', base62(33, seed)),
  jwt: (header: object = { alg: 'HS256', typ: 'JWT' }, signature = base62(43, 11)): string =>
    join(
      Buffer.from(JSON.stringify(header)).toString('base64url'),
      '.',
      Buffer.from(JSON.stringify({ sub: 'user-1', iat: 1700000000 })).toString('base64url'),
      '.',
      signature,
    ),
  /** A PEM block with `label` and a random body (not a real key or certificate). */
  pem: (label: string, seed = 12, lines = 6): string => {
    const body: string[] = [];
    for (let i = 0; i < lines; i++) body.push(base64(64, seed + i));
    return join('-----BEGIN ', label, '-----\n', body.join('\n'), '\n-----END ', label, '-----\n');
  },
};

/** Real freshly generated private keys in the PEM encodings Node can write. */
export function generatedPrivateKeys(): { name: string; pem: string }[] {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ed = generateKeyPairSync('ed25519');
  return [
    { name: 'RSA PKCS#1', pem: rsa.privateKey.export({ type: 'pkcs1', format: 'pem' }) as string },
    { name: 'RSA PKCS#8', pem: rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string },
    { name: 'EC SEC1', pem: ec.privateKey.export({ type: 'sec1', format: 'pem' }) as string },
    { name: 'Ed25519 PKCS#8', pem: ed.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string },
    {
      name: 'encrypted PKCS#8',
      pem: ec.privateKey.export({
        type: 'pkcs8',
        format: 'pem',
        cipher: 'aes-256-cbc',
        passphrase: join('pass', 'phrase'),
      }) as string,
    },
  ];
}

/** Real public keys: never secrets. */
export function generatedPublicKeys(): { name: string; pem: string }[] {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return [
    { name: 'RSA PKCS#1 public', pem: rsa.publicKey.export({ type: 'pkcs1', format: 'pem' }) as string },
    { name: 'SPKI public', pem: ec.publicKey.export({ type: 'spki', format: 'pem' }) as string },
  ];
}
