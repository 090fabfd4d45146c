import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import { entropyThreshold, highEntropyDetector, shannonEntropy, wordShare } from '../../src/detect/entropy.js';
import { base62, base64, fake, generatedPublicKeys, join, randomText } from './fixtures.js';

const scan = (value: string) => highEntropyDetector.scan('k', value);

test('shannonEntropy and its threshold', () => {
  assert.equal(shannonEntropy('aaaa'), 0);
  assert.equal(shannonEntropy('abab'), 1);
  assert.equal(shannonEntropy('abcd'), 2);
  assert.equal(shannonEntropy('xxabcdxx', 2, 6), 2);
  assert.equal(entropyThreshold(1024), 4.5);
  assert.ok(entropyThreshold(20) < entropyThreshold(32));
});

test('wordShare measures how much of a token is made of words', () => {
  assert.equal(wordShare('SpringBoot'), 1);
  assert.equal(wordShare('a1B2c3D4'), 0);
  assert.equal(wordShare('Word12'), 4 / 6);
});

test('high-entropy flags random-looking tokens', async (t) => {
  const cases = [
    { name: 'base62, 32 characters', value: base62(32, 101), lines: [undefined] },
    { name: 'base64 with + and /', value: join(base64(40, 102), '+/', base64(6, 103), '=='), lines: [undefined] },
    { name: 'after a key in a config', value: join('signing=', base62(40, 104)), lines: [undefined] },
    { name: 'on the second line', value: join('mode: prod\nseed: ', base62(48, 105), '\n'), lines: [2] },
    { name: 'path segment that is random', value: join('/v1/keys/', base62(40, 106)), lines: [undefined] },
    { name: 'one-case key', value: randomText('abcdefghijklmnopqrstuvwxyz0123456789', 32, 107), lines: [undefined] },
    { name: 'generated password with symbols', value: 'wX4#Be@h^S=o*9Lq', lines: [undefined] },
    {
      // Tokens are judged whole wherever their first digit is, also after long runs without digits.
      name: 'digits late in a token, after a long run without digits',
      value: join(
        'description: ',
        'abcdefghijklmnopqrstuvwxyz',
        '\ntoken: ',
        randomText('ABCDEFGHJKLMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz', 16, 109),
        base62(10, 110).replace(/[A-Za-z]/, '7'),
      ),
      lines: [2],
    },
    {
      name: 'secret query parameter',
      value: join('https://h.example.com/x?sig=', base62(40, 108)),
      lines: [undefined],
    },
  ];
  for (const c of cases) {
    await t.test(c.name, () => {
      const findings = scan(c.value);
      assert.deepEqual(
        findings.map((f) => f.line),
        c.lines,
      );
      for (const f of findings) assert.equal(f.confidence, 'low');
    });
  }
});

test('high-entropy does not flag what has another explanation', async (t) => {
  const hex64 = randomText('0123456789abcdef', 64, 7);
  const cases = [
    { name: 'sha256 digest', value: join('sha256:', hex64) },
    { name: 'image reference with digest', value: join('registry.example.com/team/app@sha256:', hex64) },
    { name: 'bare 64-hex', value: hex64 },
    { name: 'git commit', value: randomText('0123456789abcdef', 40, 8) },
    { name: 'UUID', value: randomUUID() },
    { name: 'upper-case UUID without dashes', value: randomUUID().replaceAll('-', '').toUpperCase() },
    { name: 'certificate', value: fake.pem('CERTIFICATE', 50, 12) },
    {
      name: 'certificate chain in a bundle',
      value: join('# ca\n', fake.pem('CERTIFICATE', 60), fake.pem('CERTIFICATE', 70)),
    },
    ...generatedPublicKeys().map((k) => ({ name: k.name, value: k.pem })),
    { name: 'ssh public key', value: join('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI', base64(43, 9), ' ops@example') },
    { name: 'ssh-rsa authorized key', value: join('ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ', base64(300, 10), ' ci') },
    { name: 'subresource integrity hash', value: join('<script integrity="sha384-', base64(64, 11), '"></script>') },
    { name: 'sealed value', value: join('shroud:v1:', base62(120, 12)) },
    { name: 'identifier', value: 'AbstractSingletonProxyFactoryBean2' },
    { name: 'camel-case app name with year', value: 'SpringBootApp2024Release' },
    { name: 'kebab-case name', value: 'k8s-app-deployment-v2-canary-20240101' },
    { name: 'cipher suite', value: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256' },
    { name: 'path', value: '/usr/share/nginx/html/static/js/main.4f9a2c1b.js' },
    { name: 'java package', value: 'org.springframework.boot.autoconfigure.SpringBootApplication' },
    { name: 'short random token inside text', value: join('id ', base62(19, 13), ' ok') },
    { name: 'go.sum line', value: join('golang.org/x/net v0.17.0 h1:', base64(43, 21), '=') },
    { name: 'npm integrity sha1', value: join('sha1-', base64(27, 22), '=') },
    { name: 'npm integrity sha512 in JSON', value: join('{"integrity": "sha512-', base64(86, 23), '=="}') },
    {
      name: 'base64 of prose',
      value: Buffer.from('Welcome to the orders service, please be patient.').toString('base64'),
    },
    { name: 'tracking id in a URL', value: join('https://example.com/?utm_source=x&gclid=', base62(40, 24)) },
    { name: 'document id in a URL', value: join('https://docs.example.com/document/d/', base62(44, 25), '/edit') },
    { name: 'value of an id setting', value: join('request_id: ', base62(32, 26)) },
    { name: 'public JWK member', value: join('{"kty":"EC","x":"', base62(43, 27), '"}') },
    { name: 'ULID', value: '01J9ZK3M8Q4W7X2V5B6N0R1T3Y' },
    {
      name: 'base64 of a PEM public key',
      value: Buffer.from(generatedPublicKeys()[0]?.pem ?? '').toString('base64'),
    },
    { name: 'CSP nonce', value: join("script-src 'nonce-", base64(22, 28), "=='") },
    { name: 'data URI', value: join('data:image/png;base64,', base64(200, 29)) },
    { name: 'regular expression', value: '^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+$' },
    { name: 'lower-case kebab name with digits', value: 'orders-api-7d9f8c6b5-x2k4p-canary' },
    { name: 'long blob', value: base64(600, 14) },
    { name: 'hostname', value: 'ip-10-0-12-34.eu-west-1.compute.internal' },
    { name: 'private key body (its own detector reports it)', value: fake.pem('PRIVATE KEY', 80) },
  ];
  for (const c of cases) await t.test(c.name, () => assert.deepEqual(scan(c.value), []));
});

test('high-entropy never reports a hex token (digests, UUIDs), wherever it sits in a value', () => {
  // Lower-case hex, so that no whole value is a mixed-case password (isRandomPassword's business).
  const hexToken = fc.tuple(fc.nat(), fc.integer({ min: 20, max: 140 }), fc.boolean()).map(([seed, length, dashes]) => {
    const hex = randomText('0123456789abcdef', length, seed + 1);
    return dashes ? hex.replace(/(.{8})/g, '$1-') : hex;
  });
  const around = fc.constantFrom(
    ['', ''],
    ['image@sha256:', ''],
    ['id=', '\n'],
    ['x ', ' y'],
    ['token: ', ''],
    ['/a/', '/b'],
    ['k=', '/v1'],
  );
  fc.assert(
    fc.property(hexToken, around, (token, [before, after]) => {
      assert.deepEqual(scan(`${before}${token}${after}`), []);
      assert.deepEqual(highEntropyDetector.scan('CHECKSUM', `${before}${token}${after}`), []);
    }),
    { numRuns: 500 },
  );
  // Mixed-case hex longer than a whole-value password (66 characters) is never a finding either.
  const longHex = fc.tuple(fc.nat(), fc.integer({ min: 67, max: 300 }), fc.boolean()).map(([seed, length, dashes]) => {
    const hex = randomText('0123456789abcdefABCDEF', length, seed + 1);
    return dashes ? hex.replace(/(.{8})/g, '$1-') : hex;
  });
  fc.assert(
    fc.property(longHex, (value) => assert.deepEqual(scan(value), [])),
    { numRuns: 300 },
  );
});
