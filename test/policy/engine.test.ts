import { strict as assert } from 'node:assert';
import { inlinePolicySet } from '../helpers/policy-set.js';
import { readFile, readdir } from 'node:fs/promises';
import { test } from 'node:test';
import type { AdmissionRequest } from '../../src/admission/types.js';
import {
  createPolicyReviewer,
  evaluateObject,
  fitWarnings,
  MAX_WARNING_BYTES,
  MAX_WARNINGS_TOTAL_BYTES,
  parsePolicyFiles,
  toVerdict,
  type PolicySet,
} from '../../src/policy/index.js';

const NOW = new Date('2026-11-23T10:00:00Z');

const policySet = (yaml: string): PolicySet => inlinePolicySet(yaml);

/** A policy that flags every container named "bad", with a configurable match and enforcement. */
function policy(
  name: string,
  enforcement: string,
  match = 'kinds: [Pod]',
  message = 'container {{item.name}} is bad',
): string {
  return `apiVersion: policy.shroud.dev/v1
kind: Policy
metadata: { name: ${name} }
spec:
  enforcement: ${enforcement}
  match: { ${match} }
  rules:
    - name: no-bad
      select: "$.spec.containers[?(@.name == 'bad')]"
      message: "${message}"
---
`;
}

function pod(
  namespace: string | undefined,
  containers: string[],
  labels: Record<string, string> = {},
): Record<string, unknown> {
  return {
    kind: 'Pod',
    metadata: { name: 'web-1', ...(namespace === undefined ? {} : { namespace }), labels },
    spec: { containers: containers.map((name) => ({ name })) },
  };
}

function statuses(
  set: PolicySet,
  object: unknown,
  extra: Partial<{ operation: string; userInfo: { username?: string; groups?: string[] } }> = {},
  now = NOW,
): string[] {
  return evaluateObject(
    set,
    { object, kind: 'Pod', operation: extra.operation ?? 'CREATE', userInfo: extra.userInfo },
    { now },
  ).results.map((r) => `${r.policy}/${r.rule}: ${r.status}${r.reason ? ` (${r.reason})` : ''}`);
}

const matchCases: Array<{
  name: string;
  match: string;
  object: unknown;
  extra?: { operation?: string; userInfo?: { username?: string; groups?: string[] } };
  expected: string;
}> = [
  { name: 'matching kind', match: 'kinds: [Pod]', object: pod('a', ['bad']), expected: 'p/no-bad: fail' },
  {
    name: 'operation not listed',
    match: 'kinds: [Pod], operations: [CREATE]',
    object: pod('a', ['bad']),
    extra: { operation: 'UPDATE' },
    expected: 'p/no-bad: skip (operation UPDATE is not matched)',
  },
  {
    name: 'default operations skip DELETE',
    match: 'kinds: [Pod]',
    object: pod('a', ['bad']),
    extra: { operation: 'DELETE' },
    expected: 'p/no-bad: skip (operation DELETE is not matched)',
  },
  {
    name: 'namespace excluded by glob',
    match: 'kinds: [Pod], namespaces: { exclude: [kube-*] }',
    object: pod('kube-system', ['bad']),
    expected: 'p/no-bad: skip (namespace is excluded)',
  },
  {
    name: 'namespace not included',
    match: 'kinds: [Pod], namespaces: { include: [team-?] }',
    object: pod('team-ab', ['bad']),
    expected: 'p/no-bad: skip (namespace is not included)',
  },
  {
    name: 'namespace included by glob',
    match: 'kinds: [Pod], namespaces: { include: [team-?] }',
    object: pod('team-a', ['bad']),
    expected: 'p/no-bad: fail',
  },
  {
    name: 'object without namespace ignores namespace filters',
    match: 'kinds: [Pod], namespaces: { include: [team-a] }',
    object: pod(undefined, ['bad']),
    expected: 'p/no-bad: fail',
  },
  {
    name: 'objectSelector matchLabels',
    match: 'kinds: [Pod], objectSelector: { matchLabels: { tier: web } }',
    object: pod('a', ['bad'], { tier: 'db' }),
    expected: 'p/no-bad: skip (labels do not match objectSelector)',
  },
  {
    name: 'objectSelector matchExpressions NotIn',
    match: 'kinds: [Pod], objectSelector: { matchExpressions: [{ key: tier, operator: NotIn, values: [db] }] }',
    object: pod('a', ['bad'], { tier: 'web' }),
    expected: 'p/no-bad: fail',
  },
  {
    name: 'excluded user',
    match: 'kinds: [Pod], excludeUsers: ["system:serviceaccount:kube-system:*"]',
    object: pod('a', ['bad']),
    extra: { userInfo: { username: 'system:serviceaccount:kube-system:replicaset-controller' } },
    expected: 'p/no-bad: skip (user is excluded)',
  },
  {
    name: 'excluded group',
    match: 'kinds: [Pod], excludeGroups: ["system:masters"]',
    object: pod('a', ['bad']),
    extra: { userInfo: { username: 'admin', groups: ['system:masters'] } },
    expected: 'p/no-bad: skip (group is excluded)',
  },
  { name: 'clean object passes', match: 'kinds: [Pod]', object: pod('a', ['good']), expected: 'p/no-bad: pass' },
];
for (const c of matchCases) {
  test(`engine match: ${c.name}`, () => {
    assert.deepEqual(statuses(policySet(policy('p', 'deny', c.match)), c.object, c.extra), [c.expected]);
  });
}

const BASE = policy('p', 'deny') + policy('q', 'deny');
function exception(spec: string): string {
  return `apiVersion: policy.shroud.dev/v1
kind: PolicyException
metadata: { name: legacy }
spec:
${spec}
  reason: moving to mounted files by Q1
`;
}

const exceptionCases: Array<{ name: string; spec: string; now?: string; expected: string[]; notices?: number }> = [
  {
    name: 'namespace glob exempts one policy',
    spec: '  policies: [{ name: p }]\n  match: { namespaces: [legacy-*] }',
    expected: ['p/no-bad: skip (exception legacy)', 'q/no-bad: fail'],
  },
  {
    name: 'namespace glob that does not match',
    spec: '  policies: [{ name: p }]\n  match: { namespaces: [other-*] }',
    expected: ['p/no-bad: fail', 'q/no-bad: fail'],
  },
  {
    name: 'name and kind globs',
    spec: '  policies: [{ name: p }, { name: q }]\n  match: { kinds: [Po*], names: ["web-?"] }',
    expected: ['p/no-bad: skip (exception legacy)', 'q/no-bad: skip (exception legacy)'],
  },
  {
    name: 'limited to one rule',
    spec: '  policies: [{ name: q, rules: [no-bad] }]\n  match: { names: [web-1] }',
    expected: ['p/no-bad: fail', 'q/no-bad: skip (exception legacy)'],
  },
  {
    name: 'a date-only expiry lasts through that UTC day',
    spec: '  policies: [{ name: p }]\n  match: { names: [web-1] }\n  expires: "2026-11-23"',
    now: '2026-11-23T23:59:59Z',
    expected: ['p/no-bad: skip (exception legacy)', 'q/no-bad: fail'],
  },
  {
    name: 'an expired exception no longer applies and says so once',
    spec: '  policies: [{ name: p }, { name: q }]\n  match: { names: [web-1] }\n  expires: "2026-11-22T12:00:00Z"',
    expected: ['p/no-bad: fail', 'q/no-bad: fail'],
    notices: 1,
  },
];
for (const c of exceptionCases) {
  test(`engine exceptions: ${c.name}`, () => {
    const set = policySet(BASE + exception(c.spec));
    const now = c.now === undefined ? NOW : new Date(c.now);
    assert.deepEqual(statuses(set, pod('legacy-billing', ['bad']), {}, now), c.expected);
    const notices = evaluateObject(
      set,
      { object: pod('legacy-billing', ['bad']), kind: 'Pod', operation: 'CREATE' },
      { now },
    ).notices;
    assert.equal(notices.length, c.notices ?? 0);
    if (c.notices) {
      assert.deepEqual(notices[0], {
        message: 'exception expired',
        fields: { exception: 'legacy', file: 'inline.yaml', expires: '2026-11-22T12:00:00Z', policy: 'p' },
      });
    }
  });
}

test('enforcement deny: one line per violation, every violation listed', () => {
  const set = policySet(
    policy('p', 'deny') + policy('q', 'deny', 'kinds: [Pod]', 'container {{item.name}} at {{path}} is bad too'),
  );
  const verdict = toVerdict(
    evaluateObject(set, { object: pod('a', ['bad', 'ok', 'bad']), kind: 'Pod', operation: 'CREATE' }, { now: NOW }),
  );
  assert.deepEqual(verdict, {
    allowed: false,
    message: [
      '[p/no-bad] spec.containers[0]: container bad is bad',
      '[p/no-bad] spec.containers[2]: container bad is bad',
      '[q/no-bad] spec.containers[0]: container bad at spec.containers[0] is bad too',
      '[q/no-bad] spec.containers[2]: container bad at spec.containers[2] is bad too',
    ].join('\n'),
    policiesHit: ['p', 'q'],
  });
});

test('enforcement warn: allowed, with warnings', () => {
  const verdict = toVerdict(
    evaluateObject(
      policySet(policy('p', 'warn')),
      { object: pod('a', ['bad']), kind: 'Pod', operation: 'CREATE' },
      { now: NOW },
    ),
  );
  assert.deepEqual(verdict, {
    allowed: true,
    warnings: ['[p/no-bad] spec.containers[0]: container bad is bad'],
    policiesHit: ['p'],
  });
});

test('enforcement audit: allowed, an audit annotation per policy and a notice per violation', () => {
  const verdict = toVerdict(
    evaluateObject(
      policySet(policy('p', 'audit')),
      { object: pod('a', ['bad', 'bad']), kind: 'Pod', operation: 'CREATE' },
      { now: NOW },
    ),
  );
  assert.deepEqual(verdict, {
    allowed: true,
    auditAnnotations: {
      p: '[p/no-bad] spec.containers[0]: container bad is bad\n[p/no-bad] spec.containers[1]: container bad is bad',
    },
    policiesHit: ['p'],
    notices: [
      { message: 'policy audit', fields: { policy: 'p', rule: 'no-bad', path: 'spec.containers[0]' } },
      { message: 'policy audit', fields: { policy: 'p', rule: 'no-bad', path: 'spec.containers[1]' } },
    ],
  });
});

test('warnings fit kube-apiserver limits: 256 bytes each, 4 KiB in all, with a count of the rest', () => {
  const lines = Array.from({ length: 40 }, (_, i) => `[p/r] spec.containers[${i}]: ${'é'.repeat(200)}`);
  const out = fitWarnings(lines);
  const bytes = (s: string) => Buffer.byteLength(s, 'utf8');
  for (const w of out) assert.ok(bytes(w) <= MAX_WARNING_BYTES, `${bytes(w)} bytes`);
  assert.ok(out.reduce((n, w) => n + bytes(w), 0) <= MAX_WARNINGS_TOTAL_BYTES);
  assert.ok(out.length < lines.length);
  assert.equal(
    out.at(-1),
    `${lines.length - out.length + 1} more Shroud warnings not shown; run "shroud check" on the manifest to see all`,
  );
  assert.ok(out[0]!.endsWith('…'));
});

test('a rule that throws is an error result and a notice, and does not deny', () => {
  const object = pod('a', []);
  Object.defineProperty(object.spec, 'containers', {
    enumerable: true,
    get() {
      throw new Error('unreadable');
    },
  });
  const ev = evaluateObject(policySet(policy('p', 'deny')), { object, kind: 'Pod', operation: 'CREATE' }, { now: NOW });
  assert.deepEqual(ev.results, [
    { policy: 'p', rule: 'no-bad', enforcement: 'deny', status: 'error', reason: 'unreadable' },
  ]);
  assert.deepEqual(ev.notices, [
    { message: 'rule error', fields: { code: 'POLICY_RULE_ERROR', policy: 'p', rule: 'no-bad', reason: 'unreadable' } },
  ]);
  assert.equal(toVerdict(ev).allowed, true);
});

test('a policy for every kind ("*") applies to kinds nothing else matches', () => {
  const set = policySet(policy('p', 'deny', 'kinds: ["*"]'));
  const ev = evaluateObject(
    set,
    { object: { kind: 'Widget', spec: { containers: [{ name: 'bad' }] } }, kind: 'Widget', operation: 'CREATE' },
    { now: NOW },
  );
  assert.equal(ev.violations.length, 1);
});

function review(kind: string, object: unknown, namespace = 'team-a'): AdmissionRequest {
  return {
    uid: 'u-1',
    kind: { group: '', version: 'v1', kind },
    resource: { group: '', version: 'v1', resource: `${kind.toLowerCase()}s` },
    namespace,
    operation: 'CREATE',
    userInfo: { username: 'dev' },
    object: object as Record<string, unknown>,
  };
}

test('reviewer: reads the current set for each request, so a swapped set takes effect at once', async () => {
  let current = policySet(policy('p', 'warn'));
  const reviewer = createPolicyReviewer(() => current, { now: () => NOW });
  assert.equal((await reviewer.review(review('Pod', pod('team-a', ['bad'])))).allowed, true);
  current = policySet(policy('p', 'deny'));
  assert.equal((await reviewer.review(review('Pod', pod('team-a', ['bad'])))).allowed, false);
});

test('reviewer: the clock option decides exception expiry', async () => {
  const set = policySet(
    policy('p', 'deny') + exception('  policies: [{ name: p }]\n  match: { names: [web-1] }\n  expires: "2026-11-30"'),
  );
  const at = (iso: string) => createPolicyReviewer(() => set, { now: () => new Date(iso) });
  assert.equal((await at('2026-11-30T12:00:00Z').review(review('Pod', pod('team-a', ['bad'])))).allowed, true);
  const later = await at('2026-12-01T00:00:00Z').review(review('Pod', pod('team-a', ['bad'])));
  assert.equal(later.allowed, false);
  assert.deepEqual(
    later.notices?.map((n) => n.message),
    ['exception expired'],
  );
});

// Canary values planted where secrets live. They must never reach a message, warning,
// annotation or notice, whatever the policies say.
const CANARY = 'CANARY-7f3a9c1e';
async function builtinFiles(): Promise<Array<{ file: string; text: string }>> {
  const names = (await readdir('policies')).filter((f) => f.endsWith('.yaml'));
  return Promise.all(names.map(async (f) => ({ file: f, text: await readFile(`policies/${f}`, 'utf8') })));
}

test('canaries: secret values never appear in verdicts of the built-ins or of templates that try', async () => {
  const sneaky = `apiVersion: policy.shroud.dev/v1
kind: Policy
metadata: { name: sneaky }
spec:
  enforcement: warn
  match: { kinds: ["*"] }
  rules:
    - name: everything
      select: "$.*"
      message: "{{item.password}} {{item.DB_PASSWORD}} {{item.name}} {{key}} {{path}} {{kind}} {{name}} {{container}}"
`;
  const r = parsePolicyFiles([...(await builtinFiles()), { file: 'sneaky.yaml', text: sneaky }]);
  assert.deepEqual(r.issues, []);
  const objects: Array<[string, unknown]> = [
    [
      'Deployment',
      {
        kind: 'Deployment',
        metadata: { name: 'app', annotations: { note: CANARY } },
        spec: {
          template: {
            spec: {
              containers: [
                {
                  name: 'app',
                  args: [`--password=${CANARY}`],
                  env: [
                    { name: 'PASSWORD', value: CANARY },
                    { name: 'S', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } },
                  ],
                },
              ],
            },
          },
        },
      },
    ],
    [
      'ConfigMap',
      {
        kind: 'ConfigMap',
        metadata: { name: 'cfg' },
        data: { DB_PASSWORD: `${CANARY}-x9`, password: `${CANARY}-y8`, key: `-----BEGIN PRIVATE KEY-----\n${CANARY}` },
      },
    ],
    [
      'Secret',
      {
        kind: 'Secret',
        metadata: { name: 's' },
        stringData: { password: CANARY },
        data: { password: Buffer.from(CANARY).toString('base64') },
      },
    ],
  ];
  for (const [kind, object] of objects) {
    const ev = evaluateObject(r.value, { object, kind, operation: 'CREATE' }, { now: NOW });
    assert.ok(ev.violations.length > 0, kind);
    const text = JSON.stringify({ ev, verdict: toVerdict(ev) });
    assert.ok(!text.includes(CANARY), `${kind}: ${text}`);
    assert.ok(!text.includes(Buffer.from(CANARY).toString('base64')), kind);
  }
});

// The violation cap: at most `maxViolations` of each enforcement are listed per object, the
// rest are counted per rule, and rule statuses (so the verdict) still see every one.
const capCases: Array<{
  name: string;
  policies: string;
  containers: string[];
  maxViolations?: number;
  listed: string[];
  omitted: Array<[string, string, number]>;
  statuses: string[];
}> = [
  {
    name: 'under the cap nothing is omitted',
    policies: policy('p', 'deny'),
    containers: ['bad', 'bad'],
    maxViolations: 2,
    listed: ['deny p spec.containers[0]', 'deny p spec.containers[1]'],
    omitted: [],
    statuses: ['p/no-bad: fail'],
  },
  {
    name: 'past the cap the rest is counted, and the rule still fails',
    policies: policy('p', 'deny'),
    containers: ['bad', 'ok', 'bad', 'bad', 'bad'],
    maxViolations: 2,
    listed: ['deny p spec.containers[0]', 'deny p spec.containers[2]'],
    omitted: [['p', 'deny', 2]],
    statuses: ['p/no-bad: fail'],
  },
  {
    name: 'the cap is per enforcement: warnings do not use up room for denials',
    policies: policy('w', 'warn') + policy('d', 'deny'),
    containers: ['bad', 'bad', 'bad'],
    maxViolations: 1,
    listed: ['warn w spec.containers[0]', 'deny d spec.containers[0]'],
    omitted: [
      ['w', 'warn', 2],
      ['d', 'deny', 2],
    ],
    statuses: ['w/no-bad: warn', 'd/no-bad: fail'],
  },
  {
    name: 'the cap is per object, shared by the rules of one enforcement',
    policies: policy('p', 'deny') + policy('q', 'deny'),
    containers: ['bad', 'bad'],
    maxViolations: 3,
    listed: ['deny p spec.containers[0]', 'deny p spec.containers[1]', 'deny q spec.containers[0]'],
    omitted: [['q', 'deny', 1]],
    statuses: ['p/no-bad: fail', 'q/no-bad: fail'],
  },
  {
    name: 'a rule with every violation past the cap still fails',
    policies: policy('p', 'deny') + policy('q', 'deny'),
    containers: ['bad'],
    maxViolations: 1,
    listed: ['deny p spec.containers[0]'],
    omitted: [['q', 'deny', 1]],
    statuses: ['p/no-bad: fail', 'q/no-bad: fail'],
  },
  {
    name: 'the default cap is 100',
    policies: policy('p', 'deny'),
    containers: Array.from({ length: 250 }, () => 'bad'),
    listed: Array.from({ length: 100 }, (_, i) => `deny p spec.containers[${i}]`),
    omitted: [['p', 'deny', 150]],
    statuses: ['p/no-bad: fail'],
  },
  {
    name: 'Infinity lists all',
    policies: policy('p', 'deny'),
    containers: Array.from({ length: 250 }, () => 'bad'),
    maxViolations: Number.POSITIVE_INFINITY,
    listed: Array.from({ length: 250 }, (_, i) => `deny p spec.containers[${i}]`),
    omitted: [],
    statuses: ['p/no-bad: fail'],
  },
];
for (const c of capCases) {
  test(`engine violation cap: ${c.name}`, () => {
    const ev = evaluateObject(
      policySet(c.policies),
      { object: pod('a', c.containers), kind: 'Pod', operation: 'CREATE' },
      { now: NOW, ...(c.maxViolations === undefined ? {} : { maxViolations: c.maxViolations }) },
    );
    assert.deepEqual(
      ev.violations.map((v) => `${v.enforcement} ${v.policy} ${v.path}`),
      c.listed,
    );
    assert.deepEqual(
      ev.omitted.map((o) => [o.policy, o.enforcement, o.count]),
      c.omitted,
    );
    assert.deepEqual(
      ev.results.map((r) => `${r.policy}/${r.rule}: ${r.status}`),
      c.statuses,
    );
  });
}

test('engine violation cap: with several selectors an item two of them select is counted once', () => {
  const set = policySet(`apiVersion: policy.shroud.dev/v1
kind: Policy
metadata: { name: p }
spec:
  enforcement: deny
  match: { kinds: [Pod] }
  rules:
    - name: twice
      select: ["$.spec.containers[*]", "$.spec.containers[?(@.name == 'bad')]"]
      message: "container {{item.name}}"
`);
  const ev = evaluateObject(
    set,
    { object: pod('a', ['bad', 'ok', 'bad']), kind: 'Pod', operation: 'CREATE' },
    { now: NOW, maxViolations: 1 },
  );
  assert.deepEqual(
    ev.violations.map((v) => v.path),
    ['spec.containers[0]'],
  );
  assert.deepEqual(ev.omitted, [{ policy: 'p', rule: 'twice', enforcement: 'deny', count: 2 }]);
});
