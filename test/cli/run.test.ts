import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.js';

test('an unknown command is a usage error with exit 2', async () => {
  const r = await runCli(['frobnicate']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^CLI_USAGE: unknown command "frobnicate"/);
});

test('help lists the commands and exits 0', async () => {
  const r = await runCli(['help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /Usage: shroud <command>/);
});

test('no command prints usage and exits 2', async () => {
  const r = await runCli([]);
  assert.equal(r.code, 2);
});

test('a prototype key is not a command', async () => {
  const r = await runCli(['constructor']);
  assert.equal(r.code, 2);
});
