/**
 * Detectors for credentials whose shape the issuer fixed: a literal prefix followed by a run of
 * a known alphabet with a known length (AWS access key ids, GitHub, GitLab, Slack, Stripe and
 * Google API keys), plus Slack incoming-webhook URLs.
 *
 * A value in which no prefix occurs is rejected with one regex test (an alternation of literals,
 * no quantifiers). Otherwise scanning is `indexOf(prefix)` and a forward walk over the run that
 * follows; the search resumes
 * after the run, so each character is looked at a constant number of times per prefix. A run
 * longer than the shape allows is part of something else (a base64 blob) and is not reported.
 * A run with fewer than {@link MIN_DISTINCT} different characters is a placeholder
 * (`ghp_xxxxxxxx...`, `AKIAXXXXXXXXXXXXXXXX`), not a token.
 */
import { byPosition, FindingList, isAlnum, isBase64UrlChar } from './text.js';
import { MAX_FINDINGS_PER_DETECTOR, type Detector, type Finding } from './types.js';

const MIN_DISTINCT = 6;

/** One token shape: any of `prefixes`, then `min`..`max` characters accepted by `body`. */
interface TokenShape {
  prefixes: readonly string[];
  body: (c: number) => boolean;
  min: number;
  max: number;
  /** Extra check on the body (after the prefix), for shapes with inner structure. */
  check?: (body: string) => boolean;
}

function isUpperOrDigit(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 48 && c <= 57);
}

function isAlnumOrUnderscore(c: number): boolean {
  return isAlnum(c) || c === 95;
}

function isAlnumOrDash(c: number): boolean {
  return isAlnum(c) || c === 45;
}

function isAlnumOrSlash(c: number): boolean {
  return isAlnum(c) || c === 47;
}

function distinctCount(text: string): number {
  return new Set(text).size;
}

/**
 * Scans for every shape and returns positions of matches, sorted, at most `limit` of them.
 * Exported for the tests of the scanning rules; detectors below wrap it.
 */
export function findTokens(value: string, shapes: readonly TokenShape[], limit: number): number[] {
  const positions: number[] = [];
  for (const shape of shapes) {
    for (const prefix of shape.prefixes) {
      let found = 0;
      let from = 0;
      while (found < limit) {
        const start = value.indexOf(prefix, from);
        if (start === -1) break;
        const bodyStart = start + prefix.length;
        const stop = Math.min(value.length, bodyStart + shape.max + 1);
        let end = bodyStart;
        while (end < stop && shape.body(value.charCodeAt(end))) end++;
        from = Math.max(end, start + 1);
        const length = end - bodyStart;
        if (start > 0 && isAlnum(value.charCodeAt(start - 1))) continue;
        if (length < shape.min || length > shape.max) continue;
        const body = value.slice(bodyStart, end);
        if (distinctCount(body) < MIN_DISTINCT) continue;
        if (shape.check !== undefined && !shape.check(body)) continue;
        positions.push(start);
        found++;
      }
    }
  }
  return positions.sort(byPosition);
}

function escapeRegExp(literal: string): string {
  return literal.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function tokenDetector(name: string, description: string, shapes: readonly TokenShape[]): Detector {
  // One test for "any prefix occurs": an alternation of literals without quantifiers, so the
  // work per start position is bounded. Not global, so it keeps no lastIndex state.
  const anyPrefix = new RegExp(
    shapes
      .flatMap((s) => s.prefixes)
      .map(escapeRegExp)
      .join('|'),
  );
  const shortest = Math.min(...shapes.flatMap((s) => s.prefixes.map((p) => p.length + s.min)));
  const detector: Detector = {
    name,
    confidence: 'high',
    description,
    scan(key: string, value: string): Finding[] {
      if (value.length < shortest || !anyPrefix.test(value)) return [];
      const list = new FindingList(detector, key, value);
      for (const position of findTokens(value, shapes, MAX_FINDINGS_PER_DETECTOR)) list.add(position);
      return list.findings;
    },
  };
  return detector;
}

/**
 * AWS access key ids: a four-letter type prefix and 16 upper-case base32 characters, 20 in all
 * (`AKIA` long-term user keys, `ASIA` temporary STS keys, and the other IAM unique-id prefixes).
 * The id alone does not sign requests, but it is always deployed next to its secret key.
 */
export const awsAccessKeyIdDetector = tokenDetector(
  'aws-access-key-id',
  'an AWS access key id (its secret key is almost always nearby)',
  [
    {
      prefixes: ['AKIA', 'ASIA', 'ABIA', 'ACCA', 'AGPA', 'AIDA', 'AIPA', 'ANPA', 'ANVA', 'APKA', 'AROA', 'ASCA'],
      body: isUpperOrDigit,
      min: 16,
      max: 16,
    },
  ],
);

/** GitHub tokens: `ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_` + 36 or more, `github_pat_` + 82. */
export const githubTokenDetector = tokenDetector(
  'github-token',
  'a GitHub token (personal access, OAuth, app or refresh token)',
  [
    { prefixes: ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_'], body: isAlnum, min: 36, max: 255 },
    { prefixes: ['github_pat_'], body: isAlnumOrUnderscore, min: 40, max: 255 },
  ],
);

/** GitLab tokens: personal/project/group (`glpat-`), deploy (`gldt-`), runner, trigger. */
export const gitlabTokenDetector = tokenDetector('gitlab-token', 'a GitLab access token', [
  { prefixes: ['glpat-', 'gldt-', 'glrt-', 'glptt-'], body: isBase64UrlChar, min: 20, max: 255 },
]);

/**
 * Slack tokens (`xoxb-`, `xoxa-`, `xoxp-`, `xoxr-`, `xoxs-`, app-level `xapp-`) always continue
 * with a numeric team or app part, which rules out `xoxb-your-token`. Incoming-webhook URLs
 * (`hooks.slack.com/services/T…/B…/<secret>`) post to a channel with no other credential.
 */
export const slackTokenDetector = tokenDetector('slack-token', 'a Slack token or incoming-webhook URL', [
  {
    prefixes: ['xoxb-', 'xoxa-', 'xoxp-', 'xoxr-', 'xoxs-', 'xapp-'],
    body: isAlnumOrDash,
    min: 10,
    max: 255,
    check: (body) => body.charCodeAt(0) >= 48 && body.charCodeAt(0) <= 57,
  },
  {
    prefixes: ['hooks.slack.com/services/'],
    body: isAlnumOrSlash,
    min: 20,
    max: 255,
    check: (body) => {
      const parts = body.split('/');
      const secret = parts[2] ?? '';
      return parts.length === 3 && secret.length >= 16 && distinctCount(secret) >= MIN_DISTINCT;
    },
  },
]);

/** Stripe secret and restricted keys, live and test (`pk_` publishable keys are public). */
export const stripeKeyDetector = tokenDetector('stripe-key', 'a Stripe secret or restricted API key', [
  { prefixes: ['sk_live_', 'rk_live_', 'sk_test_', 'rk_test_'], body: isAlnum, min: 16, max: 255 },
]);

/** Google API keys: `AIza` and exactly 35 base64url characters. */
export const googleApiKeyDetector = tokenDetector('google-api-key', 'a Google API key', [
  { prefixes: ['AIza'], body: isBase64UrlChar, min: 35, max: 35 },
]);
