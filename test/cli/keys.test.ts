import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../helpers/temp-dir.js';
import { fileURLToPath } from 'node:url';
import { parseEnvelope, parseKeyring } from '../../src/crypto/index.js';
import { runCli } from '../helpers/cli.js';

test('keys init creates .shroud/keyring.json under the working directory, mode 0600, and refuses a second time', async () => {
  const cwd = tempDir();
  const r = await runCli(['keys', 'init'], { cwd });
  assert.equal(r.code, 0, r.stderr);
  const file = join(cwd, '.shroud', 'keyring.json');
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const id = parseKeyring(readFileSync(file, 'utf8')).keyringId;
  assert.match(r.stdout, new RegExp(`Created keyring ${id}`));
  assert.match(r.stdout, /Back it up/);
  const again = await runCli(['keys', 'init'], { cwd });
  assert.equal(again.code, 3);
  assert.match(again.stderr, /^CRYPTO_KEYRING_EXISTS: /);
  assert.equal(parseKeyring(readFileSync(file, 'utf8')).keyringId, id);
});

test('SHROUD_KEYRING picks the keyring, --keyring overrides it', async () => {
  const cwd = tempDir();
  await runCli(['keys', 'init'], { cwd, env: { SHROUD_KEYRING: 'env.json' } });
  assert.ok(existsSync(join(cwd, 'env.json')));
  await runCli(['keys', 'init', '--keyring', 'flag.json'], { cwd, env: { SHROUD_KEYRING: 'env.json' } });
  assert.ok(existsSync(join(cwd, 'flag.json')));
  assert.ok(!existsSync(join(cwd, '.shroud')));
  await runCli(['keys', 'init'], { cwd, env: { SHROUD_KEYRING: '' } });
  assert.ok(existsSync(join(cwd, '.shroud', 'keyring.json')), 'an empty SHROUD_KEYRING counts as unset');
});

test('keys rotate, status and export-public follow the versions', async () => {
  const cwd = tempDir();
  await runCli(['keys', 'init'], { cwd });
  const rotated = await runCli(['keys', 'rotate'], { cwd });
  assert.equal(rotated.code, 0);
  assert.match(rotated.stdout, /Version 2 is now primary/);
  const status = await runCli(['keys', 'status', '--output', 'json'], { cwd });
  const doc = JSON.parse(status.stdout);
  assert.deepEqual(
    doc.versions.map((v: { version: number; state: string }) => [v.version, v.state]),
    [
      [1, 'active'],
      [2, 'primary'],
    ],
  );
  const text = await runCli(['keys', 'status'], { cwd });
  assert.match(text.stdout, /^\s+2\s+primary\s+/m);
  const pub = await runCli(['keys', 'export-public'], { cwd });
  assert.equal(JSON.parse(pub.stdout).version, 2);
  assert.equal(
    pub.stdout.includes(JSON.parse(readFileSync(join(cwd, '.shroud/keyring.json'), 'utf8')).versions[1].kek),
    false,
  );
});

test('keys retire and shred enforce the order and shred asks for --yes, naming what becomes unreadable', async () => {
  const cwd = tempDir();
  await runCli(['keys', 'init'], { cwd });
  const enc = await runCli(['encrypt', '--scope', 'cluster', '--name', 'cm', '--from-literal', 'A=1'], { cwd });
  writeFileSync(join(cwd, 'cm.yaml'), enc.stdout);
  const primaryRetire = await runCli(['keys', 'retire', '--version', '1'], { cwd });
  assert.equal(primaryRetire.code, 3);
  assert.match(primaryRetire.stderr, /^CRYPTO_KEYRING_STATE: .*rotate first/);
  await runCli(['keys', 'rotate'], { cwd });
  const early = await runCli(['keys', 'shred', '--version', '1', '--yes'], { cwd });
  assert.match(early.stderr, /CRYPTO_KEYRING_STATE: .*retire it first/);
  assert.equal((await runCli(['keys', 'retire', '--version', '1'], { cwd })).code, 0);
  const before = readFileSync(join(cwd, '.shroud/keyring.json'), 'utf8');
  const ask = await runCli(['keys', 'shred', '--version', '1', 'cm.yaml'], { cwd });
  assert.equal(ask.code, 2);
  assert.match(ask.stderr, /unreadable forever/);
  assert.match(ask.stderr, /1 value\(s\) would become unreadable:\n {2}cm\.yaml:\d+ A/);
  assert.match(ask.stderr, /re-run with --yes/);
  assert.equal(readFileSync(join(cwd, '.shroud/keyring.json'), 'utf8'), before);
  const done = await runCli(['keys', 'shred', '--version', '1', '--yes'], { cwd });
  assert.equal(done.code, 0);
  const dec = await runCli(['decrypt', 'cm.yaml'], { cwd });
  assert.equal(dec.code, 3);
  assert.match(dec.stderr, /CRYPTO_KEY_DESTROYED: cm\.yaml:\d+: A of ConfigMap -\/cm/);
});

test('keys usage errors exit 2', async () => {
  const cwd = tempDir();
  for (const argv of [
    ['keys'],
    ['keys', 'frob'],
    ['keys', 'retire'],
    ['keys', 'shred', '--version', 'x'],
    ['keys', 'rewrap'],
    ['keys', 'init', 'extra'],
    ['keys', '--nope'],
  ]) {
    const r = await runCli(argv, { cwd });
    assert.equal(r.code, 2, argv.join(' '));
  }
  assert.equal((await runCli(['keys', '--help'], { cwd })).code, 0);
});

test('a group-readable keyring is refused with exit 3', async () => {
  const cwd = tempDir();
  await runCli(['keys', 'init'], { cwd });
  chmodSync(join(cwd, '.shroud/keyring.json'), 0o644);
  const r = await runCli(['keys', 'status'], { cwd });
  assert.equal(r.code, 3);
  assert.match(r.stderr, /^CRYPTO_KEYRING_PERMISSIONS: .*chmod 600/);
});

test('a missing keyring is CRYPTO_KEYRING_NOT_FOUND with exit 3', async () => {
  const r = await runCli(['keys', 'status'], { cwd: tempDir() });
  assert.equal(r.code, 3);
  assert.match(r.stderr, /^CRYPTO_KEYRING_NOT_FOUND: .*shroud keys init/);
});

const MANIFEST = (a: string, b: string, c: string) => `# sealed config for the shop, reviewed by platform
apiVersion: v1
kind: ConfigMap
metadata:
  name: shop   # trailing comment
  labels: { shroud.dev/sealed: "true" }
data:
  A: ${a}

  B:   "${b}"    # quoted, odd spacing
  plain: not sealed
---
# second document
list:
  - ${c}
comment: "this mentions ${c.slice(0, 20)} but is not a value"
`;

test('keys rewrap rewrites only the sealed tokens, keeping comments and formatting; values move to the primary version', async () => {
  const cwd = tempDir();
  await runCli(['keys', 'init'], { cwd });
  const enc = await runCli(
    [
      'encrypt',
      '--scope',
      'cluster',
      '--name',
      'shop',
      '--from-literal',
      'A=alpha',
      '--from-literal',
      'B=beta',
      '--from-literal',
      'C=gamma',
    ],
    { cwd },
  );
  const [a, b, c] = ['A', 'B', 'C'].map((k) => new RegExp(`${k}: (\\S+)`).exec(enc.stdout)![1]!);
  const original = MANIFEST(a!, b!, c!);
  writeFileSync(join(cwd, 'shop.yaml'), original);
  await runCli(['keys', 'rotate'], { cwd });
  const r = await runCli(['keys', 'rewrap', 'shop.yaml'], { cwd });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'shop.yaml: 3 rewrapped, 0 already current\n');
  const after = readFileSync(join(cwd, 'shop.yaml'), 'utf8');
  const [na, nb, nc] = [/A: (\S+)/, /B: {3}"(\S+)"/, /- (\S+)/].map((re) => re.exec(after)![1]!);
  for (const v of [na!, nb!, nc!]) assert.equal(parseEnvelope(v).key.version, 2);
  assert.equal(
    after,
    MANIFEST(na!, nb!, nc!).replace(nc!.slice(0, 20), c!.slice(0, 20)),
    'only the three tokens changed',
  );
  const dec = await runCli(['decrypt', 'shop.yaml'], { cwd });
  assert.match(dec.stdout, /A: alpha\n {2}B: beta/);
  assert.ok(!dec.stdout.includes('gamma'), 'decrypt prints ConfigMap data only, not other sealed scalars');
  const again = await runCli(['keys', 'rewrap', 'shop.yaml'], { cwd });
  assert.equal(again.stdout, 'shop.yaml: 0 rewrapped, 3 already current\n');
  assert.equal(readFileSync(join(cwd, 'shop.yaml'), 'utf8'), after);
});

test('keys rewrap leaves a file untouched when one of its values fails, and reports file:line', async () => {
  const cwd = tempDir();
  await runCli(['keys', 'init'], { cwd });
  const enc = await runCli(
    ['encrypt', '--scope', 'cluster', '--name', 'x', '--from-literal', 'A=1', '--from-literal', 'B=2'],
    { cwd },
  );
  const bad = enc.stdout.replace(
    /(B: shroud:v1:\S{40})(\S)/,
    (_m, head: string, ch: string) => head + (ch === 'A' ? 'B' : 'A'),
  );
  writeFileSync(join(cwd, 'x.yaml'), bad);
  await runCli(['keys', 'rotate'], { cwd });
  const r = await runCli(['keys', 'rewrap', 'x.yaml'], { cwd });
  assert.equal(r.code, 3);
  assert.match(r.stderr, /^CRYPTO_(INTEGRITY|MALFORMED): x\.yaml:\d+ \(B\): /m);
  assert.match(r.stderr, /x\.yaml: left unchanged/);
  assert.equal(readFileSync(join(cwd, 'x.yaml'), 'utf8'), bad);
});

test('keys rewrap authenticates values already under the primary version: a damaged one is an error at its line', async () => {
  const cwd = tempDir();
  await runCli(['keys', 'init'], { cwd });
  const enc = await runCli(
    ['encrypt', '--scope', 'cluster', '--name', 'x', '--from-literal', 'A=1', '--from-literal', 'B=2'],
    { cwd },
  );
  writeFileSync(join(cwd, 'ok.yaml'), enc.stdout);
  const intact = await runCli(['keys', 'rewrap', 'ok.yaml'], { cwd });
  assert.equal(intact.code, 0, intact.stderr);
  assert.equal(intact.stdout, 'ok.yaml: 0 rewrapped, 2 already current\n');
  assert.equal(readFileSync(join(cwd, 'ok.yaml'), 'utf8'), enc.stdout);
  // No rotation: B claims the primary version; one byte of its tag is flipped.
  const bad = enc.stdout.replace(/(B: )(shroud:v1:)(\S+)/, (_m, head: string, prefix: string, body: string) => {
    const bytes = Buffer.from(body, 'base64url');
    bytes[bytes.length - 1]! ^= 0x01;
    return head + prefix + bytes.toString('base64url');
  });
  assert.notEqual(bad, enc.stdout);
  const line = bad.split('\n').findIndex((l) => l.trimStart().startsWith('B: ')) + 1;
  writeFileSync(join(cwd, 'x.yaml'), bad);
  const r = await runCli(['keys', 'rewrap', 'x.yaml'], { cwd });
  assert.equal(r.code, 3);
  assert.match(r.stderr, new RegExp(`^CRYPTO_INTEGRITY: x\\.yaml:${line} \\(B\\): `, 'm'));
  assert.match(r.stderr, /x\.yaml: left unchanged/);
  assert.ok(!r.stdout.includes('already current'), r.stdout);
  assert.equal(readFileSync(join(cwd, 'x.yaml'), 'utf8'), bad);
});

test('keys rewrap refuses a sealed value folded over two lines', async () => {
  const cwd = tempDir();
  await runCli(['keys', 'init'], { cwd });
  const enc = await runCli(['encrypt', '--scope', 'cluster', '--name', 'x', '--from-literal', 'A=1'], { cwd });
  const token = /A: (\S+)/.exec(enc.stdout)![1]!;
  const folded = `data:\n  A: ${token.slice(0, 60)}\n    ${token.slice(60)}\n`;
  writeFileSync(join(cwd, 'f.yaml'), folded);
  await runCli(['keys', 'rotate'], { cwd });
  const r = await runCli(['keys', 'rewrap', 'f.yaml'], { cwd });
  assert.equal(r.code, 3);
  assert.match(r.stderr, /f\.yaml:2: a sealed value is not written as one unbroken token/);
  assert.equal(readFileSync(join(cwd, 'f.yaml'), 'utf8'), folded);
});

test('the real bin runs keys init', () => {
  const cwd = tempDir();
  const bin = fileURLToPath(new URL('../../bin/shroud.js', import.meta.url));
  const r = spawnSync(process.execPath, [bin, 'keys', 'init', '--keyring', 'k.json'], { cwd, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(existsSync(join(cwd, 'k.json')));
});
