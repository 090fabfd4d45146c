import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import { BUILTIN_INDEX, listDetectors, scanEntry, type Finding } from '../../src/detect/index.js';
import { base62, base64, fake, join } from './fixtures.js';

const FIELDS = new Set(['detector', 'confidence', 'key', 'line', 'description']);

/**
 * Everything a finding may legitimately say: detector names, confidences, descriptions, and the
 * description of each provider format (constants of the format table).
 */
const VOCABULARY = [
  ...listDetectors().map((d) => [d.name, d.confidence, d.description].join('\u0000')),
  ...BUILTIN_INDEX.formats.map((f) => f.description),
].join('\u0000');

/**
 * Problems with `findings` for the entry (key, value): unknown fields, a wrong key, a line
 * outside the value, or any 4-character fragment of the value in a field other than `key` that
 * is not also part of the fixed vocabulary. (Any longer leaked substring contains such a
 * fragment, so checking length 4 covers "longer than 3 characters".)
 */
export function leakProblems(findings: Finding[], key: string, value: string): string[] {
  const problems: string[] = [];
  const lineCount = value.split('\n').length;
  for (const f of findings) {
    for (const field of Object.keys(f)) if (!FIELDS.has(field)) problems.push(`unexpected field ${field}`);
    if (f.key !== key) problems.push('key differs from the scanned key');
    if (f.line !== undefined && !(Number.isInteger(f.line) && f.line >= 1 && f.line <= lineCount))
      problems.push(`line ${f.line} out of range`);
    const said = [f.detector, f.confidence, f.description].join('\u0000');
    for (let i = 0; i + 4 <= value.length; i++) {
      const fragment = value.slice(i, i + 4);
      if (said.includes(fragment) && !VOCABULARY.includes(fragment))
        problems.push(`value fragment at ${i} appears in a finding`);
    }
  }
  return problems;
}

test('the leak check itself catches a leaking finding', () => {
  const value = join('password=', 'Qz8Kv3Lm');
  const leaky: Finding = {
    detector: 'config-file-secret',
    confidence: 'high',
    key: 'k',
    line: 1,
    description: 'value starts with Qz8K',
  };
  assert.deepEqual(leakProblems([leaky], 'k', value), ['value fragment at 9 appears in a finding']);
  assert.deepEqual(leakProblems([{ ...leaky, description: listDetectors()[0]!.description, line: 3 }], 'k', value), [
    'line 3 out of range',
  ]);
});

const seed = fc.integer({ min: 1, max: 1_000_000 });
const fragment = fc.oneof(
  fc.string({ maxLength: 24 }),
  fc.constantFrom(
    '\n',
    '=',
    ': ',
    '://',
    '@',
    '"',
    '{',
    '}',
    ',',
    ' ',
    '.',
    'password=',
    'DB_PASSWORD: ',
    '"api_key": "',
    'postgres://app:',
    '-----BEGIN PRIVATE KEY-----\n',
    '\n-----END PRIVATE KEY-----\n',
    'export TOKEN=',
    '-----BEGIN CERTIFICATE-----\n',
    'sha256:',
    'shroud:v1:',
  ),
  seed.map((s) => fake.githubToken('ghp', s)),
  seed.map((s) => fake.awsKeyId('AKIA', s)),
  seed.map((s) => fake.stripeKey('sk_live_', s)),
  seed.map((s) => fake.googleApiKey(s)),
  seed.map((s) => fake.slackToken('b', s)),
  seed.map((s) => fake.gitlabToken(s)),
  seed.map((s) => fake.jwt({ alg: 'HS256' }, base62(43, s))),
  seed.map((s) => base62(40, s)),
  seed.map((s) => base64(64, s)),
);
const value = fc.array(fragment, { maxLength: 14 }).map((parts) => parts.join(''));
const key = fc.oneof(
  fc.constantFrom('password', 'api_key', 'config.yaml', 'app.env', 'data', 'tls.key'),
  fc.string({ maxLength: 16 }),
);

test('property: findings never repeat any part of the value', () => {
  fc.assert(
    fc.property(key, value, (k, v) => {
      assert.deepEqual(leakProblems(scanEntry(k, v), k, v), []);
    }),
    { numRuns: 400 },
  );
});

test('property: the generated values do produce findings (the property is not vacuous)', () => {
  let withFindings = 0;
  fc.assert(
    fc.property(key, value, (k, v) => {
      if (scanEntry(k, v).length > 0) withFindings++;
    }),
    { numRuns: 200, seed: 42 },
  );
  assert.ok(withFindings > 50, `only ${withFindings} of 200 generated entries had findings`);
});
