/**
 * Explicit paths are never replaced by dev material: `serve` makes dev certificates and a dev
 * keyring only at the default paths, and a start that fails writes nothing.
 */
import { strict as assert } from 'node:assert';
import { mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import type { CliIO } from '../../src/cli/io.js';
import { run } from '../../src/cli/run.js';
import { tempDir } from '../helpers/temp-dir.js';

const POLICIES = resolve(import.meta.dirname, '..', '..', 'policies');

/** Runs `shroud serve` in-process; if it ever starts, it is stopped at once (and the exit code tells). */
async function serve(argv: string[], cwd: string, env: Record<string, string> = {}) {
  let stderr = '';
  const io: CliIO = {
    stdout: { write: () => true },
    stderr: { write: (s: string) => (stderr += s) },
    stdin: Readable.from([]),
    env: { SHROUD_LOG_LEVEL: 'silent', ...env },
    cwd,
    onSignal: (stop) => stop('SIGTERM'),
  };
  const code = await run(
    ['serve', '--listen', '127.0.0.1:0', '--metrics-listen', '127.0.0.1:0', '--policies', POLICIES, ...argv],
    io,
  );
  return { code, stderr };
}

/** Every file and folder below `dir`, relative to it. */
function tree(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
}

const cases: Array<{
  name: string;
  argv: (cwd: string) => string[];
  env?: (cwd: string) => Record<string, string>;
  stderr: RegExp;
}> = [
  {
    name: '--keyring that does not exist',
    argv: (cwd) => ['--keyring', join(cwd, 'missing', 'keyring.json')],
    stderr:
      /^CRYPTO_KEYRING_NOT_FOUND: no keyring at .*missing\/keyring\.json, the file given by --keyring or SHROUD_KEYRING/,
  },
  {
    name: 'SHROUD_KEYRING that does not exist',
    argv: () => [],
    env: () => ({ SHROUD_KEYRING: 'missing.json' }),
    stderr: /^CRYPTO_KEYRING_NOT_FOUND: no keyring at .*missing\.json, the file given by/,
  },
  {
    name: '--cert-dir that is empty',
    argv: () => ['--cert-dir', 'empty'],
    stderr:
      /^TLS_FILES_MISSING: no tls\.crt and tls\.key in .*empty, the folder given by --cert-dir or SHROUD_CERT_DIR/,
  },
  {
    name: 'SHROUD_CERT_DIR that is empty',
    argv: () => [],
    env: (cwd) => ({ SHROUD_CERT_DIR: join(cwd, 'empty') }),
    stderr: /^TLS_FILES_MISSING: no tls\.crt and tls\.key in .*empty, the folder given by/,
  },
  {
    name: '--cert-dir that does not exist, even with --dev-certs',
    argv: () => ['--cert-dir', 'nowhere', '--dev-certs'],
    stderr: /^TLS_FILES_MISSING: /,
  },
  {
    name: 'the default keyring missing with --no-dev-keyring (no dev certificates made first)',
    argv: () => ['--no-dev-keyring'],
    stderr: /^CRYPTO_KEYRING_NOT_FOUND: no keyring at .*\.shroud\/keyring\.json, and dev keyrings are off/,
  },
];

for (const c of cases) {
  test(`serve with ${c.name} fails and writes nothing`, async () => {
    const cwd = tempDir();
    mkdirSync(join(cwd, 'empty'));
    const r = await serve(c.argv(cwd), cwd, c.env?.(cwd));
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, c.stderr);
    assert.deepEqual(tree(cwd), ['empty'], 'no certificates, no keyring, no folders');
  });
}

test('serve with no paths given makes the dev certificates and keyring at the defaults', async () => {
  const cwd = tempDir();
  const r = await serve([], cwd);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /generated a dev CA and serving certificate in .*certs/);
  assert.match(r.stderr, /generated a dev keyring at .*\.shroud\/keyring\.json/);
  assert.deepEqual(tree(cwd), [
    '.shroud',
    join('.shroud', 'keyring.json'),
    'certs',
    join('certs', 'ca.crt'),
    join('certs', 'tls.crt'),
    join('certs', 'tls.key'),
  ]);
});

test('serve with a given keyring and cert folder that hold the real thing starts', async () => {
  const cwd = tempDir();
  assert.equal(await run(['keys', 'init', '--keyring', 'real/k.json'], quietIo(cwd)), 0);
  assert.equal(await run(['certs', '--cert-dir', 'tls'], quietIo(cwd)), 0);
  const r = await serve([], cwd, { SHROUD_KEYRING: 'real/k.json', SHROUD_CERT_DIR: 'tls' });
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /generated/);
  assert.ok(!tree(cwd).includes('certs') && !tree(cwd).includes('.shroud'), 'no dev material beside the real one');
});

function quietIo(cwd: string): CliIO {
  return {
    stdout: { write: () => true },
    stderr: { write: () => true },
    stdin: Readable.from([]),
    env: {},
    cwd,
  };
}
