import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../helpers/temp-dir.js';
import { parseAllDocuments } from 'yaml';
import { runCli } from '../helpers/cli.js';

async function sealedManifest() {
  const cwd = tempDir();
  await runCli(['keys', 'init'], { cwd });
  writeFileSync(join(cwd, 'bin'), Buffer.from([0xff, 0x00, 0xfe]));
  const enc = await runCli(
    [
      'encrypt',
      '--namespace',
      'shop',
      '--service-account',
      'web',
      '--name',
      'web',
      '--from-literal',
      'A=alpha',
      '--from-file',
      'B=bin',
    ],
    { cwd },
  );
  return { cwd, manifest: enc.stdout };
}

test('decrypt prints plaintext ConfigMaps with a warning on stderr and exit 0', async () => {
  const { cwd, manifest } = await sealedManifest();
  writeFileSync(join(cwd, 'cm.yaml'), manifest);
  const r = await runCli(['decrypt', 'cm.yaml'], { cwd });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /^WARNING: printing decrypted secrets/);
  assert.match(r.stderr, /2 value\(s\) opened, 0 failed/);
  const [doc] = parseAllDocuments(r.stdout) as unknown as { toJS(): unknown }[];
  assert.deepEqual(doc!.toJS(), {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'web', namespace: 'shop' },
    data: { A: 'alpha' },
    binaryData: { B: Buffer.from([0xff, 0x00, 0xfe]).toString('base64') },
  });
});

test('decrypt reads stdin for -', async () => {
  const { cwd, manifest } = await sealedManifest();
  const r = await runCli(['decrypt', '-'], { cwd, stdin: manifest });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /A: alpha/);
});

test('a value moved to another ConfigMap fails with CRYPTO_SCOPE_MISMATCH and exit 3; the others still print', async () => {
  const { cwd, manifest } = await sealedManifest();
  const moved = manifest.replace('name: web', 'name: other');
  const b = /B: (\S+)/.exec(manifest)![1]!;
  const mixed = `${manifest}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: other\n  namespace: shop\n  annotations:\n    shroud.dev/service-account: web\ndata:\n  B: ${b}\n`;
  writeFileSync(join(cwd, 'moved.yaml'), moved);
  writeFileSync(join(cwd, 'mixed.yaml'), mixed);
  const r = await runCli(['decrypt', 'moved.yaml'], { cwd });
  assert.equal(r.code, 3);
  assert.match(r.stderr, /^CRYPTO_SCOPE_MISMATCH: moved\.yaml:\d+: A of ConfigMap shop\/other: /m);
  const m = await runCli(['decrypt', 'mixed.yaml'], { cwd });
  assert.equal(m.code, 3);
  assert.match(m.stdout, /A: alpha/);
  assert.match(m.stderr, /CRYPTO_SCOPE_MISMATCH: mixed\.yaml:\d+: B of ConfigMap shop\/other/);
  assert.match(m.stderr, /2 value\(s\) opened, 1 failed/);
  for (const r2 of [r, m])
    assert.ok(!r2.stderr.includes('alpha') && !r2.stderr.includes('/wD+'), 'plaintext goes to stdout only');
});

test('decrypt with --service-account overrides the annotation', async () => {
  const { cwd, manifest } = await sealedManifest();
  writeFileSync(join(cwd, 'cm.yaml'), manifest);
  const r = await runCli(['decrypt', '--service-account', 'intruder', 'cm.yaml'], { cwd });
  assert.equal(r.code, 3);
  assert.match(r.stderr, /CRYPTO_SCOPE_MISMATCH/);
  assert.ok(!r.stdout.includes('alpha'));
});

test('decrypt without manifests is a usage error; without a keyring exit 3', async () => {
  const { cwd } = await sealedManifest();
  assert.equal((await runCli(['decrypt'], { cwd })).code, 2);
  const r = await runCli(['decrypt', '--keyring', 'none.json', 'x.yaml'], { cwd });
  assert.equal(r.code, 3);
  assert.match(r.stderr, /^CRYPTO_KEYRING_NOT_FOUND/);
});
