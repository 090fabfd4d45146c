import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../helpers/temp-dir.js';
import { parse } from 'yaml';
import { LocalKeyringProvider, openValue, parseEnvelope, parseKeyring } from '../../src/crypto/index.js';
import { runCli } from '../helpers/cli.js';

async function setup() {
  const cwd = tempDir();
  await runCli(['keys', 'init'], { cwd });
  const provider = new LocalKeyringProvider(parseKeyring(readFileSync(join(cwd, '.shroud/keyring.json'), 'utf8')));
  return { cwd, provider };
}

const BASE = ['encrypt', '--namespace', 'shop', '--service-account', 'web', '--name', 'web-secrets'];

test('encrypt seals literals, files and env files into a labelled ConfigMap; each value opens in its strict scope only', async () => {
  const { cwd, provider } = await setup();
  writeFileSync(join(cwd, 'tls.key'), 'PRIVATE KEY BYTES');
  writeFileSync(join(cwd, 'app.env'), '# comment\n\nDB_USER=admin\nDB_PASS=s3=cret\n');
  const r = await runCli(
    [
      ...BASE,
      '--from-literal',
      'API_KEY=abc',
      '--from-file',
      'tls.key',
      '--from-file',
      'cert=tls.key',
      '--from-env-file',
      'app.env',
    ],
    { cwd },
  );
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  const cm = parse(r.stdout);
  assert.deepEqual(
    { ...cm, data: Object.keys(cm.data) },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'web-secrets',
        namespace: 'shop',
        labels: { 'shroud.dev/sealed': 'true' },
        annotations: { 'shroud.dev/scope': 'strict', 'shroud.dev/service-account': 'web' },
      },
      data: ['API_KEY', 'DB_PASS', 'DB_USER', 'cert', 'tls.key'],
    },
  );
  const expected: Record<string, string> = {
    API_KEY: 'abc',
    DB_PASS: 's3=cret',
    DB_USER: 'admin',
    cert: 'PRIVATE KEY BYTES',
    'tls.key': 'PRIVATE KEY BYTES',
  };
  for (const [key, sealed] of Object.entries(cm.data as Record<string, string>)) {
    const ctx = { namespace: 'shop', serviceAccount: 'web', name: 'web-secrets', key };
    assert.equal((await openValue(sealed, { provider, expected: ctx })).plaintext.toString(), expected[key]);
    await assert.rejects(openValue(sealed, { provider, expected: { ...ctx, key: `${key}x` } }), {
      code: 'CRYPTO_SCOPE_MISMATCH',
    });
  }
  assert.match(r.stdout, /^ {4}shroud\.dev\/sealed: "true"$/m);
});

test('encrypt --public-key seals offline (x25519) and the keyring opens it', async () => {
  const { cwd, provider } = await setup();
  const pub = await runCli(['keys', 'export-public', '--out', 'pub.json'], { cwd });
  assert.equal(pub.code, 0);
  // No keyring is reachable: the public key is all it needs.
  const r = await runCli([...BASE, '--scope', 'namespace', '--from-literal', 'K=v', '--public-key', 'pub.json'], {
    cwd,
    env: { SHROUD_KEYRING: '/nonexistent', XDG_CONFIG_HOME: join(cwd, 'config') },
  });
  assert.equal(r.code, 0, r.stderr);
  const sealed = parse(r.stdout).data.K as string;
  assert.equal(parseEnvelope(sealed).method, 'x25519');
  assert.equal(parseEnvelope(sealed).scope, 'namespace');
  assert.equal((await openValue(sealed, { provider, expected: { namespace: 'shop' } })).plaintext.toString(), 'v');
});

const usageCases: { name: string; argv: string[] }[] = [
  { name: 'no --name', argv: ['encrypt', '--namespace', 'a', '--service-account', 'b', '--from-literal', 'K=v'] },
  {
    name: 'strict without --service-account',
    argv: ['encrypt', '--namespace', 'a', '--name', 'n', '--from-literal', 'K=v'],
  },
  {
    name: 'namespace scope without --namespace',
    argv: ['encrypt', '--scope', 'namespace', '--name', 'n', '--from-literal', 'K=v'],
  },
  { name: 'an unknown scope', argv: [...BASE, '--scope', 'global', '--from-literal', 'K=v'] },
  {
    name: 'an invalid namespace',
    argv: ['encrypt', '--namespace', 'Shop_1', '--service-account', 'b', '--name', 'n', '--from-literal', 'K=v'],
  },
  { name: 'nothing to seal', argv: BASE },
  { name: 'a duplicate key', argv: [...BASE, '--from-literal', 'K=1', '--from-literal', 'K=2'] },
  { name: 'an invalid key', argv: [...BASE, '--from-literal', 'a/b=1'] },
  {
    name: 'both --public-key and --keyring',
    argv: [...BASE, '--from-literal', 'K=v', '--public-key', 'p', '--keyring', 'k'],
  },
];

for (const c of usageCases) {
  test(`encrypt with ${c.name} is a usage error (exit 2)`, async () => {
    const { cwd } = await setup();
    const r = await runCli(c.argv, { cwd });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^CLI_USAGE: /);
    assert.equal(r.stdout, '');
  });
}

test('canary plaintexts never reach stdout or stderr of encrypt, in success or failure', async () => {
  const { cwd } = await setup();
  const canary = `CANARY${randomBytes(8).toString('hex')}`;
  writeFileSync(join(cwd, 'bad.env'), `OK=1\n${canary}\n`);
  writeFileSync(join(cwd, 'c.txt'), canary);
  const runs = [
    [...BASE, '--from-literal', `K=${canary}`, '--from-file', 'F=c.txt'],
    [...BASE, '--from-literal', `K=${canary}`, canary],
    [...BASE, '--from-literal', canary],
    [...BASE, `--from-literl=${canary}`],
    [...BASE, '--from-literal', `K=${canary}`, '--from-literal'],
    [...BASE, '--from-env-file', 'bad.env'],
    [...BASE, '--from-literal', `K=${canary}`, '--public-key', 'missing.json'],
    [...BASE, '--from-literal', `K=${canary}`, '--keyring', 'missing.json'],
    ['encrypt', '--namespace', 'Bad!', '--service-account', 'b', '--name', 'n', '--from-literal', `K=${canary}`],
  ];
  const codes: number[] = [];
  for (const argv of runs) {
    const r = await runCli(argv, { cwd });
    codes.push(r.code);
    assert.ok(!r.stdout.includes(canary), `stdout of ${argv.slice(7).join(' ')}`);
    assert.ok(!r.stderr.includes(canary), `stderr of ${argv.slice(7).join(' ')}: ${r.stderr}`);
  }
  assert.equal(codes[0], 0);
  assert.ok(
    codes.slice(1).every((c) => c !== 0),
    'the failing runs fail',
  );
});

test('an env file error names the file and line, not the content', async () => {
  const { cwd } = await setup();
  writeFileSync(join(cwd, 'x.env'), 'A=1\nno equals sign here\n');
  const r = await runCli([...BASE, '--from-env-file', 'x.env'], { cwd });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^CLI_USAGE: x\.env:2: not a KEY=VALUE line/);
  assert.ok(!r.stderr.includes('no equals sign'));
});

test('a bad key is reported by position and reason only: the line or argument that holds it is never repeated', async () => {
  const { cwd } = await setup();
  const canary = `CANARY${randomBytes(8).toString('hex')}`;
  const keyRule = "not a valid ConfigMap key (letters, digits, '-', '_', '.')";
  const cases = [
    {
      name: 'a connection string pasted without its key',
      files: { 'app.env': `# db\nOK=1\npostgres://app:${canary}@db:5432/app?sslmode=require\n` },
      args: ['--from-env-file', 'app.env'],
      stderr: `CLI_USAGE: app.env:3: the key before '=' is ${keyRule}`,
    },
    {
      name: 'a space in the key of an env-file line',
      files: { 'app.env': `DB URL ${canary}=x\n` },
      args: ['--from-env-file', 'app.env'],
      stderr: `CLI_USAGE: app.env:1: the key before '=' is ${keyRule}`,
    },
    {
      name: 'an env-file line with no key',
      files: { 'app.env': `OK=1\n\n=${canary}\n` },
      args: ['--from-env-file', 'app.env'],
      stderr: "CLI_USAGE: app.env:3: not a KEY=VALUE line (a key, '=', then the value)",
    },
    {
      name: 'a bad key in a literal',
      files: {},
      args: ['--from-literal', 'OK=1', '--from-literal', `url://u:${canary}@h?a=b`],
      stderr: `CLI_USAGE: --from-literal #2: the key before '=' is ${keyRule}`,
    },
    {
      name: 'a bad file name as the key of --from-file',
      files: { [`${canary} x.txt`]: 'v' },
      args: ['--from-file', `${canary} x.txt`],
      stderr: `CLI_USAGE: --from-file #1: the key (or file name) is ${keyRule}`,
    },
    {
      name: 'a key given twice',
      files: { 'app.env': `${canary}=one\n` },
      args: ['--from-literal', `${canary}=two`, '--from-env-file', 'app.env'],
      stderr: 'CLI_USAGE: app.env:1: the same key as --from-literal #1; each key may be given once',
    },
  ];
  for (const c of cases) {
    for (const [file, text] of Object.entries(c.files)) writeFileSync(join(cwd, file), text);
    const r = await runCli([...BASE, ...c.args], { cwd });
    assert.equal(r.code, 2, `${c.name}: ${r.stderr}`);
    assert.equal(r.stderr.split('\n')[0], c.stderr, c.name);
    assert.ok(!r.stderr.includes(canary), `${c.name}: stderr holds the canary`);
    assert.ok(!r.stdout.includes(canary), `${c.name}: stdout holds the canary`);
  }
});

test('an unreadable input file is CONFIG_INVALID (exit 3) naming the file as given', async () => {
  const { cwd } = await setup();
  const r = await runCli([...BASE, '--from-file', 'K=missing.txt'], { cwd });
  assert.equal(r.code, 3);
  assert.equal(r.stderr, 'CONFIG_INVALID: cannot read missing.txt (ENOENT)\n');
  const k = await runCli(['keys', 'rewrap', 'nope.yaml'], { cwd });
  assert.equal(k.code, 3);
  assert.equal(k.stderr, 'CONFIG_INVALID: cannot read nope.yaml (ENOENT)\n');
});
