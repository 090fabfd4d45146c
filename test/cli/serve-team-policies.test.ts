import { strict as assert } from 'node:assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { httpsCall } from '../helpers/https.js';
import { admissionReview } from '../helpers/reviews.js';
import { serveInProcess } from '../helpers/serve-in-process.js';
import { REPLACEMENT, TEAM_RULE } from '../helpers/team-policies.js';
import { tempDir } from '../helpers/temp-dir.js';

const pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', namespace: 'shop' },
  spec: {
    containers: [
      {
        name: 'app',
        image: 'registry.example/app:latest',
        env: [{ name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } }],
      },
    ],
  },
};

test('serve --policies: built-ins and the team folder together; a team file that replaces a built-in is applied on reload', async () => {
  const cwd = tempDir('shroud-serve-team-');
  const team = join(cwd, 'team');
  mkdirSync(team);
  writeFileSync(join(team, 'latest.yaml'), TEAM_RULE);
  const serving = await serveInProcess(['--policies', 'team'], cwd);
  try {
    const { port, ca } = serving;
    const review = async () =>
      JSON.parse((await httpsCall(port, ca, '/validate', { body: admissionReview(pod) })).body).response;

    const first = await review();
    assert.equal(first.allowed, false);
    assert.match(first.status.message, /\[disallow-secret-env\/secret-env-var\]/, 'the built-in applies');
    assert.match(first.status.message, /\[no-latest-tag\/latest\]/, "and the team's rule");

    writeFileSync(join(team, 'secret-env.yaml'), REPLACEMENT);
    let next = await review();
    for (let i = 0; i < 100 && next.warnings === undefined; i++) {
      await sleep(100);
      next = await review();
    }
    assert.equal(next.allowed, false, "the team's own rule still denies");
    assert.doesNotMatch(next.status.message, /disallow-secret-env/);
    assert.match(
      next.warnings.join('\n'),
      /reads a Secret \(warn only in this cluster\)/,
      'the replacement is in force',
    );
  } finally {
    assert.equal(await serving.stop(), 0);
  }
});
