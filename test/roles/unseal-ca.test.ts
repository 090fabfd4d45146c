import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { isShroudError } from '../../src/errors.js';
import { openUnsealCa, readUnsealCa } from '../../src/roles/unseal-ca.js';
import { generateCertBundle } from '../../src/tls/index.js';
import { memoryLogger } from '../helpers/logs.js';
import { tempDir } from '../helpers/temp-dir.js';

const one = generateCertBundle({ names: ['localhost'], days: 1 });
const two = generateCertBundle({ names: ['localhost'], days: 1 });
/** A certificate as readUnsealCa hands it on: LF line ends, one final newline. */
const lf = (pem: string): string => pem.replace(/\r\n/g, '\n').trim();

describe('readUnsealCa: what goes into every injected pod', () => {
  const good: { name: string; text: string; want: string }[] = [
    { name: 'one certificate (CRLF, as node-forge writes it)', text: one.caCert, want: lf(one.caCert) },
    { name: 'a bundle of two', text: `${one.caCert}\n${two.caCert}`, want: `${lf(one.caCert)}\n${lf(two.caCert)}` },
    {
      name: 'comments and blank lines are dropped',
      text: `# our CA\n\n${lf(one.caCert)}\n\nsubject=CN=x\n`,
      want: lf(one.caCert),
    },
  ];
  for (const c of good) {
    test(c.name, async () => {
      const file = join(tempDir(), 'ca.crt');
      writeFileSync(file, c.text);
      assert.equal(await readUnsealCa(file), `${c.want}\n`);
    });
  }

  const bad: { name: string; text?: string; message: RegExp }[] = [
    { name: 'a missing file', message: /cannot read the unseal CA .*ca\.crt; check --unseal-ca/ },
    { name: 'no certificate', text: 'hello\n', message: /holds no PEM certificate/ },
    {
      name: 'a certificate that does not parse',
      text: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n',
      message: /holds a certificate that does not parse/,
    },
    { name: 'a private key beside the certificate', text: `${one.caCert}${one.key}`, message: /holds a private key/ },
  ];
  for (const c of bad) {
    test(`refused: ${c.name}`, async () => {
      const file = join(tempDir(), 'ca.crt');
      if (c.text !== undefined) writeFileSync(file, c.text);
      await assert.rejects(readUnsealCa(file), (err: unknown) => {
        assert.ok(isShroudError(err, 'INJECT_UNSEAL_CA_INVALID'));
        assert.match(err.message, c.message);
        assert.ok(!err.message.includes('MII'), 'no key or certificate text in the message');
        return true;
      });
    });
  }
});

describe('openUnsealCa', () => {
  test('the given file; a good change is used, a bad one is logged and the last good stays', async () => {
    const dir = tempDir();
    const file = join(dir, 'unseal-ca.pem');
    writeFileSync(file, one.caCert);
    const logs = memoryLogger();
    const ca = await openUnsealCa({ file, certDir: dir, devDefault: true, pollMs: 50 }, logs.logger);
    try {
      assert.equal(ca.current(), `${lf(one.caCert)}\n`);
      writeFileSync(file, two.caCert);
      for (let i = 0; i < 200 && ca.current() !== `${lf(two.caCert)}\n`; i++) await sleep(25);
      assert.equal(ca.current(), `${lf(two.caCert)}\n`);
      writeFileSync(file, 'not a certificate');
      for (let i = 0; i < 200 && !logs.text().includes('unseal CA reload rejected'); i++) await sleep(25);
      assert.ok(logs.text().includes('unseal CA reload rejected'));
      assert.equal(ca.current(), `${lf(two.caCert)}\n`, 'the last good certificates stay');
    } finally {
      ca.close();
    }
  });

  test('dev: the CA of the default cert folder', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'ca.crt'), one.caCert);
    const ca = await openUnsealCa(
      { file: undefined, certDir: dir, devDefault: true, pollMs: 10_000 },
      memoryLogger().logger,
    );
    assert.equal(ca.file, join(dir, 'ca.crt'));
    assert.equal(ca.current(), `${lf(one.caCert)}\n`);
    ca.close();
  });

  test('neither given nor dev: not configured, and a warning says what labelled pods will meet', async () => {
    const logs = memoryLogger();
    const ca = await openUnsealCa(
      { file: undefined, certDir: tempDir(), devDefault: false, pollMs: 10_000 },
      logs.logger,
    );
    assert.equal(ca.current(), undefined);
    assert.match(logs.text(), /secret injection is not configured \(no --unseal-ca\)/);
    ca.close();
  });
});
