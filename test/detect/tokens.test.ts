import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import {
  awsAccessKeyIdDetector,
  githubTokenDetector,
  gitlabTokenDetector,
  googleApiKeyDetector,
  slackTokenDetector,
  stripeKeyDetector,
} from '../../src/detect/tokens.js';
import type { Detector } from '../../src/detect/types.js';
import { base62, fake, join } from './fixtures.js';

interface Case {
  name: string;
  detector: Detector;
  value: string;
  /** Lines of the expected findings (undefined for single-line values); [] for none. */
  lines: (number | undefined)[];
}

const positives: Case[] = [
  { name: 'AWS AKIA key id', detector: awsAccessKeyIdDetector, value: fake.awsKeyId(), lines: [undefined] },
  { name: 'AWS ASIA (STS) key id', detector: awsAccessKeyIdDetector, value: fake.awsKeyId('ASIA'), lines: [undefined] },
  {
    name: 'AWS key id in an env file',
    detector: awsAccessKeyIdDetector,
    value: join('REGION=eu-west-1\nAWS_ACCESS_KEY_ID=', fake.awsKeyId(), '\n'),
    lines: [2],
  },
  { name: 'GitHub classic PAT', detector: githubTokenDetector, value: fake.githubToken(), lines: [undefined] },
  { name: 'GitHub OAuth token', detector: githubTokenDetector, value: fake.githubToken('gho'), lines: [undefined] },
  {
    name: 'GitHub user-to-server token',
    detector: githubTokenDetector,
    value: fake.githubToken('ghu'),
    lines: [undefined],
  },
  {
    name: 'GitHub app installation token',
    detector: githubTokenDetector,
    value: fake.githubToken('ghs'),
    lines: [undefined],
  },
  { name: 'GitHub refresh token', detector: githubTokenDetector, value: fake.githubToken('ghr'), lines: [undefined] },
  {
    name: 'GitHub fine-grained PAT',
    detector: githubTokenDetector,
    value: fake.githubFineGrained(),
    lines: [undefined],
  },
  {
    name: 'GitHub token in a URL',
    detector: githubTokenDetector,
    value: join('https://x-access-token:', fake.githubToken(), '@github.com/org/repo'),
    lines: [undefined],
  },
  {
    name: 'two GitHub tokens on two lines',
    detector: githubTokenDetector,
    value: join('a: ', fake.githubToken('ghp', 1), '\nb: ', fake.githubToken('ghs', 2)),
    lines: [1, 2],
  },
  { name: 'GitLab PAT', detector: gitlabTokenDetector, value: fake.gitlabToken(), lines: [undefined] },
  {
    name: 'GitLab PAT followed by a dot',
    detector: gitlabTokenDetector,
    value: join('token ', fake.gitlabToken(), '.'),
    lines: [undefined],
  },
  { name: 'Slack bot token', detector: slackTokenDetector, value: fake.slackToken('b'), lines: [undefined] },
  { name: 'Slack user token', detector: slackTokenDetector, value: fake.slackToken('p'), lines: [undefined] },
  { name: 'Slack webhook URL', detector: slackTokenDetector, value: fake.slackWebhook(), lines: [undefined] },
  { name: 'Stripe live secret key', detector: stripeKeyDetector, value: fake.stripeKey(), lines: [undefined] },
  { name: 'Stripe restricted key', detector: stripeKeyDetector, value: fake.stripeKey('rk_live_'), lines: [undefined] },
  {
    name: 'Stripe test secret key',
    detector: stripeKeyDetector,
    value: fake.stripeKey('sk_test_'),
    lines: [undefined],
  },
  { name: 'Google API key', detector: googleApiKeyDetector, value: fake.googleApiKey(), lines: [undefined] },
  {
    name: 'Google API key in JSON',
    detector: googleApiKeyDetector,
    value: join('{"maps": "', fake.googleApiKey(), '"}'),
    lines: [undefined],
  },
];

const negatives: Case[] = [
  {
    name: 'AWS key id one character short',
    detector: awsAccessKeyIdDetector,
    value: fake.awsKeyId().slice(0, 19),
    lines: [],
  },
  {
    name: 'AWS key id inside a longer run',
    detector: awsAccessKeyIdDetector,
    value: join(fake.awsKeyId(), 'ABC'),
    lines: [],
  },
  {
    name: 'AWS prefix glued to a word',
    detector: awsAccessKeyIdDetector,
    value: join('X', fake.awsKeyId()),
    lines: [],
  },
  { name: 'AWS placeholder', detector: awsAccessKeyIdDetector, value: join('AKIA', 'X'.repeat(16)), lines: [] },
  { name: 'AWS lower-case body', detector: awsAccessKeyIdDetector, value: join('AKIA', 'abcdefghijklmnop'), lines: [] },
  {
    name: 'GitHub prefix with a short body',
    detector: githubTokenDetector,
    value: join('ghp', '_', base62(20)),
    lines: [],
  },
  { name: 'GitHub placeholder', detector: githubTokenDetector, value: join('ghp', '_', 'x'.repeat(36)), lines: [] },
  {
    name: 'GitHub prefix inside a word',
    detector: githubTokenDetector,
    value: join('aghp', '_', base62(36)),
    lines: [],
  },
  { name: 'GitLab prefix alone', detector: gitlabTokenDetector, value: 'glpat-', lines: [] },
  {
    name: 'GitLab placeholder',
    detector: gitlabTokenDetector,
    value: join('glpat-', 'xxxxxxxxxxxxxxxxxxxx'),
    lines: [],
  },
  {
    name: 'Slack token without the numeric part',
    detector: slackTokenDetector,
    value: join('xox', 'b-your-bot-token-goes-here'),
    lines: [],
  },
  {
    name: 'Slack docs webhook example',
    detector: slackTokenDetector,
    value: join('https://hooks.slack.com/services/', 'T00000000/B00000000/', 'X'.repeat(24)),
    lines: [],
  },
  {
    name: 'Slack webhook without the secret part',
    detector: slackTokenDetector,
    value: join('https://hooks.slack.com/services/', 'T0ABCDEFG1/B0ABCDEFG2'),
    lines: [],
  },
  { name: 'Stripe publishable key', detector: stripeKeyDetector, value: join('pk_live_', base62(24)), lines: [] },
  { name: 'Stripe prefix in prose', detector: stripeKeyDetector, value: 'set sk_live_ to your key', lines: [] },
  { name: 'Google key one short', detector: googleApiKeyDetector, value: fake.googleApiKey().slice(0, 38), lines: [] },
  { name: 'Google key one long', detector: googleApiKeyDetector, value: join(fake.googleApiKey(), 'Q'), lines: [] },
];

test('token detectors find correctly shaped tokens', async (t) => {
  for (const c of positives) {
    await t.test(c.name, () => {
      const findings = c.detector.scan('k', c.value);
      assert.deepEqual(
        findings.map((f) => f.line),
        c.lines,
      );
      for (const f of findings) {
        assert.deepEqual(
          Object.keys(f).sort(),
          c.lines[0] === undefined
            ? ['confidence', 'description', 'detector', 'key']
            : ['confidence', 'description', 'detector', 'key', 'line'],
        );
        assert.equal(f.detector, c.detector.name);
        assert.equal(f.confidence, 'high');
      }
    });
  }
});

test('token detectors ignore near misses and placeholders', async (t) => {
  for (const c of negatives) await t.test(c.name, () => assert.deepEqual(c.detector.scan('k', c.value), []));
});
