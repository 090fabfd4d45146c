import { strict as assert } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { defineCommandLine, renderHelp } from '../../src/cli/command-line.js';
import { choiceSetting, listSetting, pathSetting, switchSetting } from '../../src/config/index.js';
import { runCli } from '../helpers/cli.js';
import { COMMAND_LINES } from '../helpers/command-lines.js';
import { tempDir } from '../helpers/temp-dir.js';

const DEMO = defineCommandLine({
  command: 'demo',
  usage: '[options] FILE...\n[more options]',
  description: 'Does a demo.',
  settings: {
    dir: pathSetting({ flag: 'dir', arg: 'DIR', env: 'SHROUD_DEMO_DIR', default: 'demo', help: 'a folder' }),
    fast: switchSetting({ flag: 'fast', env: 'SHROUD_DEMO_FAST', default: true, help: 'go fast' }),
    names: listSetting({ flag: 'name', arg: 'N', default: ['a-long-default-name-number-one', 'b'], help: 'names' }),
    mode: choiceSetting({ flag: 'mode', short: 'm', arg: 'M', choices: ['x', 'y'], default: 'x', help: 'x or y' }),
  },
  positionals: true,
  footer: 'Exit codes: 0 ok.',
});

test('help is generated from the settings: usage, description, a table of flag, variable, default and meaning', () => {
  assert.equal(
    renderHelp(DEMO),
    [
      'Usage: shroud demo [options] FILE...',
      '         [more options]',
      '',
      'Does a demo.',
      '',
      'Options (flags win over the environment, the environment over the defaults):',
      '  FLAG          ENVIRONMENT       DEFAULT  MEANING',
      '  --dir DIR     SHROUD_DEMO_DIR   demo     a folder',
      '  --[no-]fast   SHROUD_DEMO_FAST  true     go fast',
      '  --name N                        a-long-default-name-number-one, b',
      '                                           names',
      '  -m, --mode M                    x        x or y',
      '  -h, --help                               show this help',
      '',
      'Exit codes: 0 ok.',
      '',
    ].join('\n'),
  );
});

test('help leaves out the environment column when no setting has a variable', () => {
  const help = renderHelp({ ...DEMO, settings: { mode: DEMO.settings.mode }, footer: undefined });
  assert.match(help, /^ {2}FLAG {10}DEFAULT {2}MEANING$/m);
  assert.match(help, /^Options:$/m);
});

for (const spec of COMMAND_LINES) {
  test(`shroud ${spec.command} --help prints the generated help with every flag, variable and default`, async () => {
    const r = await runCli([...spec.command.split(' '), '--help']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, renderHelp(spec));
    assert.match(r.stdout, new RegExp(`^Usage: shroud ${spec.command} `));
    for (const s of Object.values(spec.settings)) {
      const row = r.stdout.split('\n').find((l) => new RegExp(`^ {2}(-[a-z], )?--(\\[no-\\])?${s.flag}\\b`).test(l));
      assert.ok(row, `--${s.flag} is listed`);
      if (s.env !== undefined) assert.ok(row.includes(s.env), `${s.env} is on the row of --${s.flag}`);
      if (s.shownDefault !== '') assert.ok(r.stdout.includes(s.shownDefault), `the default of --${s.flag}`);
    }
  });

  test(`shroud ${spec.command}: every flag is spelled once`, () => {
    const names = ['help', 'h'];
    for (const s of Object.values(spec.settings)) {
      names.push(s.flag);
      if (s.short !== undefined) names.push(s.short);
      if (s.alias !== undefined) names.push(s.alias);
      if (s.kind === 'switch' && s.default === true) names.push(`no-${s.flag}`);
    }
    assert.deepEqual(
      names.filter((n, i) => names.indexOf(n) !== i),
      [],
    );
  });

  test(`shroud ${spec.command}: an unknown flag is CLI_USAGE, exit 2`, async () => {
    const r = await runCli([...spec.command.split(' '), '--frobnicate', 'x'], { cwd: tempDir() });
    assert.equal(r.code, 2);
    if (spec.secretArguments) {
      assert.match(r.stderr, /^CLI_USAGE: the command line could not be parsed \(ERR_PARSE_ARGS_UNKNOWN_OPTION\)/);
      assert.ok(!r.stderr.includes('frobnicate'), 'arguments of encrypt are never repeated');
    } else assert.match(r.stderr, /^CLI_USAGE: .*--frobnicate/);
    assert.match(r.stderr, new RegExp(`Run 'shroud ${spec.command} --help' for its options`));
  });
}

const usage: Array<{ name: string; argv: string[]; code: number; stderr: RegExp }> = [
  {
    name: 'a switch turned both on and off',
    argv: ['serve', '--dev-certs', '--no-dev-certs'],
    code: 2,
    stderr: /^CLI_USAGE: give --dev-certs or --no-dev-certs, not both/,
  },
  {
    name: 'two spellings of one setting',
    argv: ['certs', '--out', 'a', '--cert-dir', 'b'],
    code: 2,
    stderr: /^CLI_USAGE: give --cert-dir or --out, not both/,
  },
  {
    name: 'a bad command-line-only value',
    argv: ['certs', '--days', 'soon'],
    code: 2,
    stderr: /^CLI_USAGE: --days must be a whole number from 1 to 3650 \(got "soon"\)\nRun 'shroud certs --help'/,
  },
  {
    name: 'an argument to a command that takes none',
    argv: ['serve', 'extra'],
    code: 2,
    stderr: /^CLI_USAGE: unexpected argument "extra"/,
  },
  {
    name: 'a bad setting value',
    argv: ['serve', '--log-level', 'loud'],
    code: 3,
    stderr: /^CONFIG_INVALID: --log-level must be one of trace, .*\(got "loud"\)\n$/,
  },
];

for (const c of usage) {
  test(`command line: ${c.name}`, async () => {
    const r = await runCli(c.argv, { cwd: tempDir() });
    assert.equal(r.code, c.code, r.stderr);
    assert.match(r.stderr, c.stderr);
  });
}

test('a bad value in the environment is CONFIG_INVALID naming the variable, exit 3', async () => {
  const cwd = tempDir();
  const r = await runCli(['check', 'x.yaml'], { cwd, env: { SHROUD_POLICIES: ' ' } });
  assert.equal(r.code, 3);
  assert.equal(r.stderr, 'CONFIG_INVALID: SHROUD_POLICIES must be a path (got " ")\n');
  const s = await runCli(['serve'], { cwd, env: { SHROUD_DRAIN_TIMEOUT_MS: '10s' } });
  assert.equal(s.code, 3);
  assert.match(s.stderr, /^CONFIG_INVALID: SHROUD_DRAIN_TIMEOUT_MS must be a whole number of milliseconds/);
  assert.ok(!existsSync(join(cwd, 'certs')) && !existsSync(join(cwd, '.shroud')), 'nothing was made');
});

test('--help works even when the environment holds a bad value', async () => {
  const r = await runCli(['serve', '--help'], { env: { SHROUD_LOG_LEVEL: 'loud' } });
  assert.equal(r.code, 0);
  assert.match(r.stdout, /SHROUD_LOG_LEVEL/);
});

test('shroud certs writes where SHROUD_CERT_DIR says, and --out still wins', async () => {
  const cwd = tempDir();
  const env = await runCli(['certs'], { cwd, env: { SHROUD_CERT_DIR: 'from-env' } });
  assert.equal(env.code, 0, env.stderr);
  assert.ok(existsSync(join(cwd, 'from-env', 'tls.key')));
  const flag = await runCli(['certs', '--out', 'from-flag'], { cwd, env: { SHROUD_CERT_DIR: 'from-env' } });
  assert.equal(flag.code, 0, flag.stderr);
  assert.ok(existsSync(join(cwd, 'from-flag', 'tls.key')));
  assert.ok(readFileSync(join(cwd, 'from-flag', 'ca.crt'), 'utf8').startsWith('-----BEGIN CERTIFICATE-----'));
});
