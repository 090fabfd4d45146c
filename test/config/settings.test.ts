import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import {
  type RawSettings,
  resolveSettings,
  SETTINGS,
  type SettingSource,
  settingsFromEnvironment,
} from '../../src/config/index.js';
import { type ErrorCode, isShroudError } from '../../src/errors.js';

/** A command's worth of settings: env-backed paths, a switch, a choice, an address, and a command-line-only option. */
const TABLE = {
  builtinPolicies: SETTINGS.builtinPolicies,
  policiesDir: SETTINGS.policiesDir,
  keyringPath: SETTINGS.keyringPath,
  devCerts: SETTINGS.devCerts,
  logLevel: SETTINGS.logLevel,
  listen: SETTINGS.listen,
  output: SETTINGS.output,
};
type Flags = RawSettings<typeof TABLE>;

const resolves: Array<{
  name: string;
  env?: Record<string, string>;
  flags?: Flags;
  key: keyof typeof TABLE;
  value: unknown;
  source: SettingSource;
}> = [
  { name: 'no team policies folder by default', key: 'policiesDir', value: undefined, source: 'default' },
  { name: 'the built-in policies are on by default', key: 'builtinPolicies', value: true, source: 'default' },
  {
    name: 'SHROUD_BUILTIN_POLICIES=false turns them off',
    env: { SHROUD_BUILTIN_POLICIES: 'false' },
    key: 'builtinPolicies',
    value: false,
    source: 'env',
  },
  { name: 'default keyring', key: 'keyringPath', value: '.shroud/keyring.json', source: 'default' },
  { name: 'default listen address', key: 'listen', value: { host: '127.0.0.1', port: 8443 }, source: 'default' },
  { name: 'default output', key: 'output', value: 'text', source: 'default' },
  { name: 'SHROUD_POLICIES', env: { SHROUD_POLICIES: '/etc/p' }, key: 'policiesDir', value: '/etc/p', source: 'env' },
  { name: 'SHROUD_KEYRING', env: { SHROUD_KEYRING: 'k.json' }, key: 'keyringPath', value: 'k.json', source: 'env' },
  {
    name: 'an empty variable counts as unset',
    env: { SHROUD_KEYRING: '' },
    key: 'keyringPath',
    value: '.shroud/keyring.json',
    source: 'default',
  },
  {
    name: 'a flag wins over the environment',
    env: { SHROUD_POLICIES: '/etc/p' },
    flags: { policiesDir: 'mine' },
    key: 'policiesDir',
    value: 'mine',
    source: 'flag',
  },
  {
    name: 'a switch off from the environment',
    env: { SHROUD_DEV_CERTS: 'off' },
    key: 'devCerts',
    value: false,
    source: 'env',
  },
  {
    name: '--no-dev-certs over SHROUD_DEV_CERTS=true',
    env: { SHROUD_DEV_CERTS: 'true' },
    flags: { devCerts: false },
    key: 'devCerts',
    value: false,
    source: 'flag',
  },
  {
    name: 'SHROUD_LISTEN for all interfaces',
    env: { SHROUD_LISTEN: ':9443' },
    key: 'listen',
    value: { host: '0.0.0.0', port: 9443 },
    source: 'env',
  },
  { name: 'a choice from a flag', flags: { output: 'sarif' }, key: 'output', value: 'sarif', source: 'flag' },
];

for (const c of resolves) {
  test(`resolve: ${c.name}`, () => {
    const r = resolveSettings(TABLE, { env: settingsFromEnvironment(TABLE, c.env ?? {}), flags: c.flags ?? {} });
    assert.deepEqual(r.values[c.key], c.value);
    assert.equal(r.sources[c.key], c.source);
  });
}

const rejects: Array<{ name: string; env?: Record<string, string>; flags?: Flags; code: ErrorCode; message: string }> =
  [
    {
      name: 'a bad level from the environment names the variable',
      env: { SHROUD_LOG_LEVEL: 'loud' },
      code: 'CONFIG_INVALID',
      message: 'SHROUD_LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent (got "loud")',
    },
    {
      name: 'a bad level from a flag names the flag',
      env: { SHROUD_LOG_LEVEL: 'debug' },
      flags: { logLevel: 'loud' },
      code: 'CONFIG_INVALID',
      message: '--log-level must be one of trace, debug, info, warn, error, fatal, silent (got "loud")',
    },
    {
      name: 'a bad switch',
      env: { SHROUD_DEV_CERTS: 'maybe' },
      code: 'CONFIG_INVALID',
      message: 'SHROUD_DEV_CERTS must be true or false (got "maybe")',
    },
    {
      name: 'an empty path flag',
      flags: { keyringPath: '' },
      code: 'CONFIG_INVALID',
      message: '--keyring must be a path (got "")',
    },
    {
      name: 'a listen address without a port',
      env: { SHROUD_LISTEN: '127.0.0.1' },
      code: 'CONFIG_INVALID',
      message:
        'SHROUD_LISTEN must be HOST:PORT, for example 127.0.0.1:8443, :8443 (all interfaces) or [::1]:8443 (got "127.0.0.1")',
    },
    {
      name: 'a bad command-line-only option is a usage error',
      flags: { output: 'xml' },
      code: 'CLI_USAGE',
      message: '--output must be one of text, json, sarif (got "xml")',
    },
  ];

for (const c of rejects) {
  test(`resolve rejects ${c.name}`, () => {
    assert.throws(
      () => resolveSettings(TABLE, { env: settingsFromEnvironment(TABLE, c.env ?? {}), flags: c.flags ?? {} }),
      (err: unknown) => {
        assert.ok(isShroudError(err, c.code), String(err));
        assert.equal(err.message, c.message);
        return true;
      },
    );
  });
}

test('resolve: where arguments may hold secrets, errors name the setting but never the value', () => {
  assert.throws(
    () => resolveSettings(TABLE, { flags: { output: 'CANARY-xyz' } }, { quoteValues: false }),
    (err: unknown) => isShroudError(err, 'CLI_USAGE') && err.message === '--output must be one of text, json, sarif',
  );
});

test('resolve: the result is deep-frozen', () => {
  const r = resolveSettings(TABLE, { flags: { listen: '[::1]:7000' } });
  assert.deepEqual(r.values.listen, { host: '::1', port: 7000 });
  assert.ok(Object.isFrozen(r.values));
  assert.ok(Object.isFrozen(r.values.listen));
  assert.ok(Object.isFrozen(r.sources));
});

test('every setting with an environment variable has its own, SHROUD_ prefixed', () => {
  const names = Object.values(SETTINGS).flatMap((s) => (s.env === undefined ? [] : [s.env]));
  assert.equal(new Set(names).size, names.length);
  for (const name of names) assert.match(name, /^SHROUD_[A-Z][A-Z0-9_]*$/);
});
