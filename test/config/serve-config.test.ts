import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { parseListen, resolveServeConfig, SERVE_DEFAULTS, settingsFromEnv } from '../../src/config/serve-config.js';
import { isShroudError } from '../../src/errors.js';

test('defaults serve on 127.0.0.1:8443 with ./policies and ./certs', () => {
  const c = resolveServeConfig({}, {});
  assert.deepEqual({ ...c }, { ...SERVE_DEFAULTS });
  assert.ok(Object.isFrozen(c));
});

test('environment overrides defaults and flags override environment', () => {
  const env = settingsFromEnv({
    SHROUD_LISTEN: '0.0.0.0:9443',
    SHROUD_LOG_LEVEL: 'debug',
    SHROUD_CERT_DIR: '/tls',
    SHROUD_DEV_CERTS: 'false',
  });
  const c = resolveServeConfig(env, { listen: '127.0.0.1:7000', logLevel: undefined });
  assert.equal(c.host, '127.0.0.1');
  assert.equal(c.port, 7000);
  assert.equal(c.logLevel, 'debug');
  assert.equal(c.certDir, '/tls');
  assert.equal(c.devCerts, false);
});

test('listen forms', () => {
  const cases = [
    { name: 'host and port', input: '127.0.0.1:8443', expected: { host: '127.0.0.1', port: 8443 } },
    { name: 'all interfaces', input: ':8443', expected: { host: '0.0.0.0', port: 8443 } },
    { name: 'IPv6', input: '[::1]:8443', expected: { host: '::1', port: 8443 } },
    { name: 'ephemeral', input: '127.0.0.1:0', expected: { host: '127.0.0.1', port: 0 } },
  ];
  for (const c of cases) assert.deepEqual(parseListen(c.input), c.expected, c.name);
});

test('bad values are CONFIG_INVALID errors naming the setting', () => {
  const cases = [
    { name: 'no port', flags: { listen: '127.0.0.1' }, mentions: '--listen' },
    { name: 'port too large', flags: { listen: ':70000' }, mentions: '--listen' },
    { name: 'unknown level', flags: { logLevel: 'loud' }, mentions: '--log-level' },
    { name: 'bad boolean', flags: { devCerts: 'maybe' }, mentions: '--dev-certs' },
    { name: 'bad number', flags: { drainTimeoutMs: '10s' }, mentions: '--drain-timeout-ms' },
  ];
  for (const c of cases) {
    assert.throws(
      () => resolveServeConfig({}, c.flags),
      (err: unknown) => isShroudError(err, 'CONFIG_INVALID') && err.message.includes(c.mentions),
      c.name,
    );
  }
});

test('enforcement override: none by default; audit or warn from the environment or a flag, the flag winning', () => {
  const cases: Array<{ name: string; env: Record<string, string>; flags: Record<string, string>; expected: unknown }> =
    [
      { name: 'default', env: {}, flags: {}, expected: undefined },
      { name: 'environment', env: { SHROUD_ENFORCEMENT_OVERRIDE: 'audit' }, flags: {}, expected: 'audit' },
      { name: 'empty variable is unset', env: { SHROUD_ENFORCEMENT_OVERRIDE: '' }, flags: {}, expected: undefined },
      { name: 'flag', env: {}, flags: { enforcementOverride: 'warn' }, expected: 'warn' },
      {
        name: 'flag over environment',
        env: { SHROUD_ENFORCEMENT_OVERRIDE: 'audit' },
        flags: { enforcementOverride: 'warn' },
        expected: 'warn',
      },
    ];
  for (const c of cases)
    assert.equal(resolveServeConfig(settingsFromEnv(c.env), c.flags).enforcementOverride, c.expected, c.name);
  for (const bad of ['deny', 'Audit', 'off']) {
    assert.throws(
      () => resolveServeConfig(settingsFromEnv({ SHROUD_ENFORCEMENT_OVERRIDE: bad }), {}),
      (err: unknown) =>
        isShroudError(err, 'CONFIG_INVALID') &&
        err.message.includes('SHROUD_ENFORCEMENT_OVERRIDE') &&
        err.message.includes('audit, warn'),
      bad,
    );
  }
});
