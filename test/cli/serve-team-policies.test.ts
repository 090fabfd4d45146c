import { strict as assert } from 'node:assert';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CliIO } from '../../src/cli/io.js';
import { run } from '../../src/cli/run.js';
import { httpsCall } from '../helpers/https.js';
import { admissionReview } from '../helpers/reviews.js';
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
  let stderr = '';
  let stop: ((signal: NodeJS.Signals) => void) | undefined;
  const io: CliIO = {
    stdout: { write: () => true },
    stderr: { write: (s: string) => (stderr += s) },
    stdin: Readable.from([]),
    env: {
      SHROUD_LOG_LEVEL: 'silent',
      SHROUD_POLL_INTERVAL_MS: '200',
      SHROUD_SHUTDOWN_DELAY_MS: '0',
      SHROUD_METRICS_LISTEN: '127.0.0.1:0',
    },
    cwd,
    onSignal: (handler) => {
      stop = handler;
    },
  };
  const exited = run(['serve', '--listen', '127.0.0.1:0', '--policies', 'team'], io);
  try {
    let port = 0;
    for (let i = 0; i < 400 && port === 0; i++) {
      port = Number(/listening on https:\/\/127\.0\.0\.1:(\d+)/.exec(stderr)?.[1] ?? 0);
      if (port === 0) await sleep(50);
    }
    assert.ok(port > 0, `serve did not start:\n${stderr}`);
    const ca = readFileSync(join(cwd, 'certs', 'ca.crt'), 'utf8');
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
    stop?.('SIGINT');
    assert.equal(await exited, 0);
  }
});
