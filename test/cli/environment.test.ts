/** Every command resolves its settings the same way: SHROUD_POLICIES and SHROUD_KEYRING work everywhere, flags win. */
import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp-dir.js';

const BROKEN = 'test/fixtures/policy/unknown-operator';

const policyCases: Array<{ name: string; argv: string[]; env: Record<string, string>; code: number; stderr: RegExp }> =
  [
    {
      name: 'check reads SHROUD_POLICIES',
      argv: ['check', 'test/fixtures/check/clean'],
      env: { SHROUD_POLICIES: BROKEN },
      code: 3,
      stderr: new RegExp(`The policies in the built-in policies and \\S*${BROKEN} have 1 problem`),
    },
    {
      name: 'check: --policies wins over SHROUD_POLICIES',
      argv: ['check', '--policies', 'policies', 'test/fixtures/check/clean'],
      env: { SHROUD_POLICIES: BROKEN },
      code: 0,
      stderr: /^$/,
    },
    {
      name: 'policy test reads SHROUD_POLICIES',
      argv: ['policy', 'test', 'test/fixtures/policy-tests'],
      env: { SHROUD_POLICIES: BROKEN },
      code: 3,
      stderr: /^POLICY_SCHEMA_INVALID: .*unknown-operator/,
    },
    {
      name: 'policy test: --policies wins over SHROUD_POLICIES',
      argv: ['policy', 'test', 'test/fixtures/policy-tests', '--policies', 'policies'],
      env: { SHROUD_POLICIES: BROKEN },
      code: 0,
      stderr: /^$/,
    },
  ];

for (const c of policyCases) {
  test(c.name, async () => {
    const r = await runCli(c.argv, { env: c.env });
    assert.equal(r.code, c.code, r.stderr);
    assert.match(r.stderr, c.stderr);
  });
}

/** A working folder with a keyring at k.json, made through SHROUD_KEYRING, and a ConfigMap sealed to it. */
async function keyringDir(): Promise<{ cwd: string; sealed: string }> {
  const cwd = tempDir();
  const init = await runCli(['keys', 'init'], { cwd, env: { SHROUD_KEYRING: 'k.json' } });
  assert.equal(init.code, 0, init.stderr);
  assert.ok(existsSync(join(cwd, 'k.json')) && !existsSync(join(cwd, '.shroud')));
  const sealed = await runCli(
    ['encrypt', '--namespace', 'shop', '--service-account', 'web', '--name', 'cm', '--from-literal', 'A=alpha'],
    { cwd, env: { SHROUD_KEYRING: 'k.json' } },
  );
  assert.equal(sealed.code, 0, sealed.stderr);
  return { cwd, sealed: sealed.stdout };
}

const keyringCases: Array<{ name: string; argv: string[]; stdin?: boolean; stdout: RegExp }> = [
  { name: 'keys status', argv: ['keys', 'status'], stdout: /\(.*k\.json\)/ },
  {
    name: 'encrypt',
    argv: ['encrypt', '--namespace', 'shop', '--service-account', 'web', '--name', 'cm', '--from-literal', 'B=b'],
    stdout: /B: shroud:v1:/,
  },
  { name: 'decrypt', argv: ['decrypt', '-'], stdin: true, stdout: /A: alpha/ },
];

for (const c of keyringCases) {
  test(`${c.name} reads SHROUD_KEYRING; a missing one is named, and --keyring wins`, async () => {
    const { cwd, sealed } = await keyringDir();
    const stdin = c.stdin ? sealed : undefined;
    const ok = await runCli(c.argv, { cwd, env: { SHROUD_KEYRING: 'k.json' }, stdin });
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, c.stdout);

    const missing = await runCli(c.argv, { cwd, env: { SHROUD_KEYRING: 'gone.json' }, stdin });
    assert.equal(missing.code, 3);
    assert.match(missing.stderr, /^CRYPTO_KEYRING_NOT_FOUND: no keyring at .*gone\.json/m);

    const flag = await runCli([...c.argv, '--keyring', 'k.json'], { cwd, env: { SHROUD_KEYRING: 'gone.json' }, stdin });
    assert.equal(flag.code, 0, flag.stderr);
  });
}
