import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { REPLACEMENT, TEAM_RULE } from '../helpers/team-policies.js';

// A pod that breaks the built-in disallow-secret-env, and uses the `latest` tag (a team rule).
const POD = `apiVersion: v1
kind: Pod
metadata: { name: web, namespace: shop }
spec:
  containers:
    - name: app
      image: registry.example/app:latest
      env:
        - name: DB_PASSWORD
          valueFrom: { secretKeyRef: { name: db, key: password } }
`;

interface Json {
  results: Array<{ allowed: boolean; violations: Array<{ policy: string; enforcement: string }> }>;
}

describe('--policies adds a team folder to the built-in policies', () => {
  let dir: string;
  const folder = (name: string, files: Record<string, string>): string => {
    const path = join(dir, name);
    mkdirSync(path);
    for (const [file, text] of Object.entries(files)) writeFileSync(join(path, file), text);
    return path;
  };
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'shroud-team-'));
    writeFileSync(join(dir, 'pod.yaml'), POD);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const check = async (argv: string[]) => {
    const r = await runCli(['check', '--output', 'json', ...argv, join(dir, 'pod.yaml')]);
    const report = JSON.parse(r.stdout) as Json;
    const found = report.results[0]!.violations.map((v) => `${v.policy}:${v.enforcement}`).sort();
    return { code: r.code, found, stderr: r.stderr };
  };

  test('without --policies: the built-ins alone', async () => {
    const r = await check([]);
    assert.deepEqual(r.found, ['disallow-secret-env:deny']);
  });

  test("with --policies: the built-ins and the team's rules", async () => {
    const team = folder('team', { 'latest.yaml': TEAM_RULE });
    const r = await check(['--policies', team]);
    assert.equal(r.code, 1);
    assert.deepEqual(r.found, ['disallow-secret-env:deny', 'no-latest-tag:deny']);
  });

  test('a team document with the name of a built-in one replaces it', async () => {
    const team = folder('replace', { 'secret-env.yaml': REPLACEMENT });
    const r = await check(['--policies', team]);
    assert.equal(r.code, 0, 'the replacement only warns');
    assert.deepEqual(r.found, ['disallow-secret-env:warn']);
  });

  test('--no-builtin-policies loads the team folder alone', async () => {
    const team = folder('alone', { 'latest.yaml': TEAM_RULE });
    const r = await check(['--no-builtin-policies', '--policies', team]);
    assert.deepEqual(r.found, ['no-latest-tag:deny']);
  });

  test('--no-builtin-policies without --policies is a configuration error', async () => {
    const r = await runCli(['check', '--no-builtin-policies', join(dir, 'pod.yaml')]);
    assert.equal(r.code, 3);
    assert.match(r.stderr, /^CONFIG_INVALID: --no-builtin-policies .* needs --policies DIR/);
  });

  test('two team documents of one name are still a duplicate, reported with file:line', async () => {
    const team = folder('dup', { 'a.yaml': TEAM_RULE, 'b.yaml': TEAM_RULE });
    const r = await runCli(['check', '--policies', team, join(dir, 'pod.yaml')]);
    assert.equal(r.code, 3);
    assert.match(
      r.stderr,
      /POLICY_DUPLICATE_NAME: .*b\.yaml:3:\d+: metadata\.name: another policy is already named "no-latest-tag"/,
    );
  });
});
