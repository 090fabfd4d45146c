import { strict as assert } from 'node:assert';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.js';

test('shroud certs writes a CA and a serving pair, prints the caBundle, and refuses to overwrite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'shroud-certs-'));
  try {
    const r = await runCli(
      ['certs', '--out', 'out', '--dns', 'webhook.example.svc', '--dns', '10.0.0.7', '--days', '7'],
      { cwd: dir },
    );
    assert.equal(r.code, 0, r.stderr);
    const out = join(dir, 'out');
    const caPem = readFileSync(join(out, 'ca.crt'), 'utf8');
    assert.equal(Buffer.from(r.stdout.trim(), 'base64').toString('utf8'), caPem, 'stdout is the caBundle');
    assert.equal(statSync(join(out, 'tls.key')).mode & 0o777, 0o600);

    const ca = new X509Certificate(caPem);
    const leaf = new X509Certificate(readFileSync(join(out, 'tls.crt')));
    assert.ok(ca.ca);
    assert.ok(leaf.verify(ca.publicKey), 'the serving certificate is signed by the CA');
    assert.equal(leaf.checkHost('webhook.example.svc'), 'webhook.example.svc');
    assert.equal(leaf.checkIP('10.0.0.7'), '10.0.0.7');
    assert.equal(leaf.checkHost('localhost'), undefined, 'only the names asked for');
    const days = (new Date(leaf.validTo).getTime() - Date.now()) / 86_400_000;
    assert.ok(days > 6 && days <= 7);

    const again = await runCli(['certs', '--out', 'out'], { cwd: dir });
    assert.equal(again.code, 3);
    assert.match(again.stderr, /^TLS_KEY_EXISTS: /);
    assert.equal(readFileSync(join(out, 'ca.crt'), 'utf8'), caPem, 'nothing was overwritten');

    const forced = await runCli(['certs', '--out', 'out', '--force'], { cwd: dir });
    assert.equal(forced.code, 0);
    assert.notEqual(readFileSync(join(out, 'ca.crt'), 'utf8'), caPem);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('shroud certs rejects bad arguments with exit 2', async () => {
  const cases = [
    { name: 'days not a number', argv: ['certs', '--days', 'soon'] },
    { name: 'days out of range', argv: ['certs', '--days', '0'] },
    { name: 'bad dns name', argv: ['certs', '--dns', 'a b'] },
    { name: 'unknown flag', argv: ['certs', '--bogus'] },
  ];
  for (const c of cases) {
    const r = await runCli(c.argv, { cwd: tmpdir() });
    assert.equal(r.code, 2, c.name);
    assert.match(r.stderr, /^CLI_USAGE: /, c.name);
  }
});
