import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { privateKeyDetector } from '../../src/detect/private-key.js';
import { MAX_FINDINGS_PER_DETECTOR } from '../../src/detect/types.js';
import { base64, fake, generatedPrivateKeys, generatedPublicKeys, join } from './fixtures.js';

const scan = (value: string, key = 'key.pem') => privateKeyDetector.scan(key, value);

test('private-key finds every PEM flavour', async (t) => {
  const cases = [
    ...generatedPrivateKeys(),
    { name: 'DSA', pem: fake.pem('DSA PRIVATE KEY') },
    { name: 'OpenSSH', pem: fake.pem('OPENSSH PRIVATE KEY') },
    { name: 'PGP private key block', pem: fake.pem('PGP PRIVATE KEY BLOCK') },
    {
      name: 'legacy encrypted RSA with headers',
      pem: join(
        '-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,0123456789ABCDEF\n\n',
        base64(128, 40),
        '\n-----END RSA PRIVATE KEY-----\n',
      ),
    },
    {
      name: 'no END line (truncated paste)',
      pem: join('-----BEGIN PRIVATE KEY-----\n', base64(64, 41), '\n', base64(64, 42)),
    },
  ];
  for (const c of cases) {
    await t.test(c.name, () => {
      assert.deepEqual(scan(c.pem), [
        {
          detector: 'private-key',
          confidence: 'high',
          key: 'key.pem',
          line: 1,
          description: privateKeyDetector.description,
        },
      ]);
    });
  }
});

test('private-key reports the line of each key inside a larger file', () => {
  const [first, second] = generatedPrivateKeys();
  const value = join('# bundle\n', fake.pem('CERTIFICATE'), first!.pem, 'trailer: x\n', second!.pem);
  const lines = scan(value).map((f) => f.line);
  const certLines = fake.pem('CERTIFICATE').split('\n').length - 1;
  const firstLines = first!.pem.split('\n').length - 1;
  assert.deepEqual(lines, [2 + certLines, 2 + certLines + firstLines + 1]);
});

test('private-key finds a key with escaped newlines inside JSON', () => {
  const pem = generatedPrivateKeys()[1]!.pem;
  const value = JSON.stringify({ type: 'service_account', private_key: pem });
  assert.equal(scan(value, 'sa.json').length, 1);
  assert.equal(scan(value, 'sa.json')[0]!.line, undefined);
});

test('private-key does not flag certificates, public keys or placeholders', async (t) => {
  const cases = [
    ...generatedPublicKeys(),
    { name: 'certificate', pem: fake.pem('CERTIFICATE') },
    { name: 'certificate request', pem: fake.pem('CERTIFICATE REQUEST') },
    { name: 'public key', pem: fake.pem('PUBLIC KEY') },
    { name: 'PGP public key block', pem: fake.pem('PGP PUBLIC KEY BLOCK') },
    { name: 'dots as body', pem: '-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----\n' },
    {
      name: 'placeholder body',
      pem: '-----BEGIN PRIVATE KEY-----\n<paste your private key here>\n-----END PRIVATE KEY-----',
    },
    {
      name: 'instructions as body',
      pem: '-----BEGIN PRIVATE KEY-----\nReplace this text with the key from the team vault, entry 2024 Q3 (ask the SRE on call)\n-----END PRIVATE KEY-----',
    },
    { name: 'masked body', pem: join('-----BEGIN PRIVATE KEY-----\n', 'x'.repeat(64), '\n-----END PRIVATE KEY-----') },
    {
      name: 'armor words in prose',
      pem: 'Paste the block that starts with -----BEGIN PRIVATE KEY----- into the Secret.',
    },
    {
      name: 'lower-case label',
      pem: join('-----BEGIN private key-----\n', base64(128, 5), '\n-----END private key-----'),
    },
  ];
  for (const c of cases) await t.test(c.name, () => assert.deepEqual(scan(c.pem), []));
});

test('private-key stops at the per-detector bound', () => {
  const value = fake.pem('EC PRIVATE KEY').repeat(MAX_FINDINGS_PER_DETECTOR + 5);
  assert.equal(scan(value).length, MAX_FINDINGS_PER_DETECTOR);
});

test('private-key finds base64-encoded PEM keys (kubeconfig client-key-data)', async (t) => {
  const b64 = (text: string): string => Buffer.from(text).toString('base64');
  const keys = generatedPrivateKeys();
  const kubeconfig = (cert: string, key: string): string =>
    join(
      'apiVersion: v1\nkind: Config\nusers:\n- name: admin\n  user:\n    client-certificate-data: ',
      cert,
      '\n    client-key-data: ',
      key,
      '\n',
    );
  const cases = [
    {
      name: 'kubeconfig with client-key-data',
      value: kubeconfig(b64(fake.pem('CERTIFICATE')), b64(keys[0]!.pem)),
      lines: [7],
    },
    { name: 'encoded Ed25519 key alone', value: b64(keys[3]!.pem), lines: [undefined] },
    {
      name: 'plain and encoded in one value',
      value: join(keys[2]!.pem, 'encoded: ', b64(keys[2]!.pem), '\n'),
      lines: [1, 6],
    },
    { name: 'encoded certificate only', value: kubeconfig(b64(fake.pem('CERTIFICATE')), ''), lines: [] },
    { name: 'encoded public key', value: b64(generatedPublicKeys()[1]!.pem), lines: [] },
    {
      name: 'encoded placeholder key',
      value: b64('-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----\n'),
      lines: [],
    },
    { name: 'encoded armor inside a longer base64 run', value: join('QUJD', b64(keys[0]!.pem)), lines: [] },
  ];
  for (const c of cases)
    await t.test(c.name, () =>
      assert.deepEqual(
        scan(c.value).map((f) => f.line),
        c.lines,
      ),
    );
});
