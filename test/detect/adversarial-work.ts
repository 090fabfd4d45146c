/**
 * Hostile inputs for every detector, and the scan of them, for adversarial.test.ts (which runs
 * the scan in a worker thread so that a catastrophic regular expression fails by timeout).
 */
import { MAX_FINDINGS_PER_DETECTOR, scanEntry } from '../../src/detect/index.js';
import { base62, fake, join, randomText } from './fixtures.js';

/** The size of each hostile value. */
export const HOSTILE_SIZE = 100 * 1024;

/**
 * Whole shapes the detectors look for, written as they are found in values: repeating a shape,
 * or a prefix of it, makes every position a candidate that almost matches.
 */
export function shapes(): Array<{ name: string; text: string }> {
  const pem = fake.pem(join('RSA PRIVATE', ' KEY'));
  return [
    { name: 'private-key armor', text: pem },
    { name: 'private-key armor without END', text: pem.slice(0, pem.indexOf('-----END')) },
    { name: 'private-key base64-encoded', text: Buffer.from(pem).toString('base64') },
    { name: 'aws-access-key-id', text: fake.awsKeyId() },
    { name: 'github-token', text: fake.githubToken() },
    { name: 'github fine-grained token', text: fake.githubFineGrained() },
    { name: 'gitlab-token', text: fake.gitlabToken() },
    { name: 'slack-token', text: fake.slackToken() },
    { name: 'slack webhook', text: fake.slackWebhook() },
    { name: 'stripe-key', text: fake.stripeKey() },
    { name: 'google-api-key', text: fake.googleApiKey() },
    { name: 'mailchimp infix anchor', text: join(randomText('0123456789abcdef', 32, 27), '-us6 ') },
    { name: 'entra infix anchor', text: join('ab', '8Q~', base62(34, 28), ' ') },
    { name: 'new relic license infix', text: join(randomText('0123456789abcdef', 36, 29), 'NRAL ') },
    {
      name: 'npmrc authToken line',
      text: join('//registry.npmjs.org/:_auth', 'Token=6f1c2e4a-3b5d-4c7e-9f0a-1b2c3d4e5f60\n'),
    },
    { name: 'jwt', text: fake.jwt() },
    { name: 'url-credentials', text: join('postgres://', 'app', ':', base62(16, 21), '@', 'db:5432/x') },
    { name: 'config-file line', text: join('DB_', 'PASSWORD', '=', base62(16, 22), ' # note\n') },
    { name: 'config-file YAML item', text: join('- client_', 'secret: "', base62(16, 23), '"\n') },
    { name: 'config-file JSON member', text: join('{"api', 'Key": "', base62(16, 24), '", ') },
    // Keyed formats in JSON members: credential names over keyed-length placeholders, neutral
    // names over UUIDs, containers that open more than they close, all on one line.
    {
      name: 'keyed JSON members',
      text: join(
        '{"heroku":{"api_',
        'key":"00000000-0000-0000-0000-000000000000","request_id":"',
        [8, 4, 4, 4, 12].map((n, i) => randomText('0123456789abcdef', n, 31 + i)).join('-'),
        '"},',
      ),
    },
    { name: 'nested JSON names', text: join('{"datadog":[{"x":{"api_', 'key":"', 'a'.repeat(32), '","y":') },
    { name: 'placeholder templates', text: '${{{<#{@%(ENC(shroud:v1:' },
    { name: 'high-entropy token', text: base62(40, 25) },
    { name: 'high-entropy path-like token', text: join(base62(24, 26), '/') },
    { name: 'whitespace and quotes', text: ' \t"\'\n' },
    // The shared long-run search (runs.ts) and the native pre-searches of the detectors.
    { name: 'token runs one short of long', text: `${base62(19, 30)}.` },
    { name: 'armor word without dashes', text: 'BEGIN -BEGIN ----BEGIN ' },
    { name: 'jwt start without e', text: 'xyJ yJ eyJ' },
    { name: 'at signs without a scheme', text: 'a@b :/@ //@' },
    { name: 'hint lines', text: 'pat auth pw=\nPASSWORD=${X} key: \n' },
  ];
}

/** `text` repeated (and cut) to HOSTILE_SIZE characters. */
export function repeatTo(text: string, size = HOSTILE_SIZE): string {
  return text.repeat(Math.ceil(size / text.length)).slice(0, size);
}

/** Hostile values of one shape: the whole shape repeated, and its prefixes repeated. */
export function hostileValues(text: string): string[] {
  const cuts = new Set([1, 2, 3, 5, Math.ceil(text.length / 2), text.length - 1, text.length]);
  return [...cuts].filter((n) => n >= 1 && n <= text.length).map((n) => repeatTo(text.slice(0, n)));
}

/**
 * Scans every value under a neutral key and a secret-named one with every detector; returns
 * the largest number of findings one detector reported for one entry.
 */
export function scanAll(values: string[]): number {
  let most = 0;
  for (const value of values) {
    for (const key of ['data', 'DB_PASSWORD']) {
      const perDetector = new Map<string, number>();
      for (const f of scanEntry(key, value)) perDetector.set(f.detector, (perDetector.get(f.detector) ?? 0) + 1);
      for (const n of perDetector.values()) most = Math.max(most, n);
    }
  }
  if (most > MAX_FINDINGS_PER_DETECTOR) throw new Error(`a detector reported ${most} findings for one entry`);
  return most;
}

/** Scans the hostile values of every shape; returns shape name -> scanAll's answer. */
export function scanEveryShape(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const shape of shapes()) out[shape.name] = scanAll(hostileValues(shape.text));
  return out;
}
