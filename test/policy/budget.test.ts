import { strict as assert } from 'node:assert';
import { inlinePolicySet } from '../helpers/policy-set.js';
import { test } from 'node:test';
import type { AdmissionRequest } from '../../src/admission/types.js';
import { ITEMS_PER_CLOCK_READ } from '../../src/policy/engine.js';
import {
  createPolicyReviewer,
  evaluateObject,
  parsePolicyFiles,
  type EvaluationBudget,
  type PolicySet,
} from '../../src/policy/index.js';

const NOW = new Date('2026-11-23T10:00:00Z');

// Two deny rules over the same containers, and a warn policy, so a verdict has several parts.
const POLICIES = `apiVersion: policy.shroud.dev/v1
kind: Policy
metadata: { name: no-bad }
spec:
  enforcement: deny
  match: { kinds: [Pod] }
  rules:
    - name: first
      select: "$.spec.containers[?(@.name == 'bad')]"
      message: "container {{item.name}} is bad"
    - name: second
      select: "$.spec.containers[*]"
      when: [{ path: "$.image", matches: ":latest$" }]
      message: "container {{item.name}} runs a moving tag"
---
apiVersion: policy.shroud.dev/v1
kind: Policy
metadata: { name: warn-latest }
spec:
  enforcement: warn
  match: { kinds: [Pod] }
  rules:
    - name: latest
      select: "$.spec.containers[*]"
      when: [{ path: "$.image", matches: ":latest$" }]
      message: "container {{item.name}} runs a moving tag"
`;

const policySet = (): PolicySet => inlinePolicySet(POLICIES);

const POD = {
  kind: 'Pod',
  metadata: { name: 'web', namespace: 'shop' },
  spec: {
    containers: [
      { name: 'bad', image: 'app:latest' },
      { name: 'bad', image: 'app:1' },
      { name: 'good', image: 'app:latest' },
    ],
  },
};
const INPUT = { object: POD, operation: 'CREATE', kind: 'Pod', namespace: 'shop', name: 'web' };

/** A clock that reads `start` and advances by one on every reading (the engine reads it at each check). */
function tickingClock(start = 0): () => number {
  let t = start;
  return () => t++;
}

test('budget: an already-passed deadline evaluates nothing, denies nothing and says so', () => {
  const e = evaluateObject(policySet(), INPUT, { now: NOW, budget: { deadline: 0, clock: () => 1 } });
  assert.equal(e.timedOut, true);
  assert.deepEqual(e.violations, []);
  assert.deepEqual(
    e.results.map((r) => `${r.policy}/${r.rule} ${r.status} ${r.reason}`),
    [
      'no-bad/first error not evaluated: the review deadline passed',
      'no-bad/second error not evaluated: the review deadline passed',
      'warn-latest/latest error not evaluated: the review deadline passed',
    ],
  );
  assert.deepEqual(e.notices, [
    {
      message: 'review deadline passed',
      fields: { code: 'POLICY_DEADLINE_PASSED', rulesNotEvaluated: 3, rulesEvaluated: 0 },
    },
  ]);
});

const generous: Array<{ name: string; budget: EvaluationBudget }> = [
  { name: 'a deadline far ahead', budget: { deadline: 1e12, clock: () => performance.now() } },
  { name: 'a deadline exactly reached but not passed', budget: { deadline: 5, clock: () => 5 } },
];
for (const c of generous) {
  test(`budget: ${c.name} gives the same evaluation as no budget`, () => {
    const set = policySet();
    const without = evaluateObject(set, INPUT, { now: NOW });
    const within = evaluateObject(set, INPUT, { now: NOW, budget: c.budget });
    assert.equal(without.violations.length, 6);
    assert.deepEqual(within, without);
    assert.equal('timedOut' in within, false);
  });
}

// The engine reads the clock before each rule and before every ITEMS_PER_CLOCK_READth selected
// item; a clock that ticks once per reading makes the deadline pass at a known point.
const CONFIGMAP_POLICY = `apiVersion: policy.shroud.dev/v1
kind: Policy
metadata: { name: settings }
spec:
  enforcement: deny
  match: { kinds: [ConfigMap] }
  rules:
    - name: first
      select: "$.data.*"
      when: [{ matches: "^bad" }]
      message: "{{key}} is bad"
    - name: second
      select: "$.data.*"
      when: [{ matches: "-1$" }]
      message: "{{key}} ends in -1"
`;
const ENTRIES = 2 * ITEMS_PER_CLOCK_READ + 8;
const CONFIGMAP = {
  kind: 'ConfigMap',
  metadata: { name: 'settings', namespace: 'shop' },
  data: Object.fromEntries(Array.from({ length: ENTRIES }, (_, i) => [`k${i}`, `bad-${i}`])),
};
const midway: Array<{ name: string; deadline: number; results: string[]; violations: number; notice: number[] }> = [
  {
    name: 'inside the first rule: its violations so far are dropped',
    // readings: rule first 0, item 16 -> 1, item 32 -> 2 (past)
    deadline: 1,
    results: ['settings/first error', 'settings/second error'],
    violations: 0,
    notice: [2, 0],
  },
  {
    name: 'between rules: a finished rule keeps its result',
    // readings: rule first 0, item 16 -> 1, item 32 -> 2, rule second 3 (past)
    deadline: 2,
    results: ['settings/first fail', 'settings/second error'],
    violations: ENTRIES,
    notice: [1, 1],
  },
];
for (const c of midway) {
  test(`budget: the deadline passes ${c.name}`, () => {
    const loaded = parsePolicyFiles([{ file: 'settings.yaml', text: CONFIGMAP_POLICY }]);
    assert.deepEqual(loaded.issues, []);
    const input = { object: CONFIGMAP, operation: 'CREATE', kind: 'ConfigMap' };
    const e = evaluateObject(loaded.value, input, {
      now: NOW,
      budget: { deadline: c.deadline, clock: tickingClock() },
    });
    assert.equal(e.timedOut, true);
    assert.deepEqual(
      e.results.map((r) => `${r.policy}/${r.rule} ${r.status}`),
      c.results,
    );
    assert.equal(e.violations.length, c.violations);
    assert.ok(e.violations.every((v) => v.rule === 'first'));
    assert.deepEqual(e.notices.at(-1)?.fields, {
      code: 'POLICY_DEADLINE_PASSED',
      rulesNotEvaluated: c.notice[0],
      rulesEvaluated: c.notice[1],
    });
  });
}

test('budget: a kind no policy matches needs no time and never times out', () => {
  const e = evaluateObject(
    policySet(),
    { object: { kind: 'Service' }, operation: 'CREATE', kind: 'Service' },
    { now: NOW, budget: { deadline: 0, clock: () => 1 } },
  );
  assert.deepEqual(e, { results: [], violations: [], omitted: [], notices: [] });
});

function request(object: Record<string, unknown>): AdmissionRequest {
  return {
    uid: 'u-1',
    kind: { group: '', version: 'v1', kind: String(object.kind) },
    resource: { group: '', version: 'v1', resource: 'pods' },
    namespace: 'shop',
    name: 'web',
    operation: 'CREATE',
    userInfo: { username: 'dev' },
    object,
  };
}

test('reviewer: a passed deadline answers a timed-out denial, never an allow', () => {
  const set = policySet();
  const reviewer = createPolicyReviewer(() => set, { now: () => NOW, clock: () => 100 });
  const cleanPod = { ...POD, spec: { containers: [{ name: 'ok', image: 'app:1' }] } };
  for (const object of [POD, cleanPod]) {
    const verdict = reviewer.review(request(object), { deadline: 50 });
    assert.equal(verdict.allowed, false);
    assert.equal(verdict.timedOut, true);
    assert.match(verdict.message ?? '', /could not finish reviewing this request before its deadline/);
    assert.deepEqual(
      verdict.notices?.map((n) => n.message),
      ['review deadline passed'],
    );
  }
});

test('reviewer: a deadline not yet passed gives the same verdict as none', () => {
  const set = policySet();
  const reviewer = createPolicyReviewer(() => set, { now: () => NOW, clock: () => 100 });
  const without = reviewer.review(request(POD));
  assert.equal(without.allowed, false);
  assert.deepEqual(reviewer.review(request(POD), { deadline: 1000 }), without);
  assert.equal('timedOut' in without, false);
});
