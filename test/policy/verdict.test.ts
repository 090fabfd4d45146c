import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import {
  DEFAULT_MAX_AUDIT_ANNOTATION_BYTES,
  DEFAULT_MAX_MESSAGE_BYTES,
  fitWarnings,
  MAX_WARNINGS_TOTAL_BYTES,
  MAX_WARNING_BYTES,
  toVerdict,
  type Enforcement,
  type Evaluation,
  type OmittedViolations,
  type Violation,
} from '../../src/policy/index.js';

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

function violation(policy: string, enforcement: Enforcement, i: number, message = `item ${i} is bad`): Violation {
  const path = `spec.containers[${i}]`;
  return { policy, rule: 'r', enforcement, path, location: ['spec', 'containers', i], message };
}

function evaluation(violations: Violation[], omitted: OmittedViolations[] = []): Evaluation {
  return { results: [], violations, omitted, notices: [] };
}

const many = (policy: string, enforcement: Enforcement, n: number, message?: (i: number) => string) =>
  Array.from({ length: n }, (_, i) => violation(policy, enforcement, i, message?.(i)));

const denyCases: Array<{
  name: string;
  violations: Violation[];
  omitted?: OmittedViolations[];
  maxMessageBytes?: number;
  /** Lines shown, when the test knows; otherwise as many as fit, checked below. */
  shown?: number;
  /** The count in the closing line, or undefined when there is none. */
  rest: ((shown: number) => number) | undefined;
}> = [
  { name: 'small: every line, no count', violations: many('p', 'deny', 3), shown: 3, rest: undefined },
  {
    name: 'lines past the byte bound are counted',
    violations: many('p', 'deny', 400, (i) => `item ${i} ${'x'.repeat(200)}`),
    rest: (shown) => 400 - shown,
  },
  {
    name: 'violations the engine did not list are counted with the rest',
    violations: many('p', 'deny', 100),
    omitted: [{ policy: 'p', rule: 'r', enforcement: 'deny', count: 41_900 }],
    shown: 100,
    rest: () => 41_900,
  },
  {
    name: 'both: unshown lines plus omitted violations',
    violations: many('p', 'deny', 100, (i) => `item ${i} ${'é'.repeat(100)}`),
    omitted: [{ policy: 'p', rule: 'r', enforcement: 'deny', count: 5 }],
    maxMessageBytes: 2048,
    rest: (shown) => 100 - shown + 5,
  },
  {
    name: 'omitted warn and audit violations do not count in the deny message',
    violations: many('p', 'deny', 2),
    omitted: [
      { policy: 'w', rule: 'r', enforcement: 'warn', count: 7 },
      { policy: 'a', rule: 'r', enforcement: 'audit', count: 9 },
    ],
    shown: 2,
    rest: undefined,
  },
];
for (const c of denyCases) {
  test(`verdict deny message: ${c.name}`, () => {
    const max = c.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    const v = toVerdict(evaluation(c.violations, c.omitted), { maxMessageBytes: max });
    assert.equal(v.allowed, false);
    const lines = v.message!.split('\n');
    assert.ok(bytes(v.message!) <= max, `${bytes(v.message!)} bytes`);
    const shown = c.rest === undefined ? lines : lines.slice(0, -1);
    const all = c.violations.map((x) => `[${x.policy}/${x.rule}] ${x.path}: ${x.message}`);
    // The lines shown are the first ones, whole and in order.
    assert.deepEqual(shown, all.slice(0, shown.length));
    if (c.shown !== undefined) assert.equal(shown.length, c.shown);
    if (c.rest === undefined) return;
    assert.equal(
      lines.at(-1),
      `… and ${c.rest(shown.length)} more violations not shown; run "shroud check" on the manifest to see them all`,
    );
    // As many as fit: one more line would have pushed the message past the bound.
    if (shown.length < all.length) assert.ok(bytes(v.message!) + 1 + bytes(all[shown.length]!) > max);
  });
}

test('verdict deny message: a single line longer than the bound is cut, not dropped', () => {
  const v = toVerdict(evaluation([violation('p', 'deny', 0, 'x'.repeat(5000)), violation('p', 'deny', 1)]), {
    maxMessageBytes: 1024,
  });
  const lines = v.message!.split('\n');
  assert.equal(lines.length, 2);
  assert.ok(lines[0]!.startsWith('[p/r] spec.containers[0]: xxx') && lines[0]!.endsWith('…'));
  // The cut keeps room for the count of the rest, so a short line after it still fits.
  assert.equal(lines[1], '[p/r] spec.containers[1]: item 1 is bad');
  assert.ok(bytes(v.message!) <= 1024);
});

test('verdict: denied when the only deny violations are ones the engine did not list', () => {
  const v = toVerdict(evaluation(many('w', 'warn', 1), [{ policy: 'd', rule: 'r', enforcement: 'deny', count: 3 }]));
  assert.equal(v.allowed, false);
  assert.equal(v.message, '… and 3 more violations not shown; run "shroud check" on the manifest to see them all');
  assert.deepEqual(v.policiesHit, ['w', 'd']);
});

test('verdict warnings: violations the engine did not list are counted in the closing warning', () => {
  const v = toVerdict(evaluation(many('w', 'warn', 2), [{ policy: 'w', rule: 'r', enforcement: 'warn', count: 40 }]));
  assert.equal(v.allowed, true);
  assert.deepEqual(v.warnings, [
    '[w/r] spec.containers[0]: item 0 is bad',
    '[w/r] spec.containers[1]: item 1 is bad',
    '40 more Shroud warnings not shown; run "shroud check" on the manifest to see all',
  ]);
});

test('verdict warnings: the closing count fits inside 4 KiB, exactly', () => {
  // 16 warnings of 256 bytes fill 4 KiB; with more to come, room must be left for the count.
  const lines = Array.from({ length: 40 }, (_, i) => `[p/r] spec.containers[${i}]: ${'x'.repeat(300)}`);
  const out = fitWarnings(lines, 1000);
  assert.ok(
    out.every((w) => bytes(w) <= MAX_WARNING_BYTES),
    'each warning fits 256 bytes',
  );
  assert.ok(out.reduce((n, w) => n + bytes(w), 0) <= MAX_WARNINGS_TOTAL_BYTES);
  assert.equal(out.length, 16);
  assert.equal(
    out.at(-1),
    `${40 - 15 + 1000} more Shroud warnings not shown; run "shroud check" on the manifest to see all`,
  );
});

test('verdict audit annotations: each value bounded, with the count of the rest for that policy', () => {
  const v = toVerdict(
    evaluation(
      [...many('a', 'audit', 100, (i) => `item ${i} ${'x'.repeat(200)}`), ...many('b', 'audit', 1)],
      [
        { policy: 'a', rule: 'r', enforcement: 'audit', count: 10 },
        { policy: 'c', rule: 'r', enforcement: 'audit', count: 4 },
      ],
    ),
  );
  assert.equal(v.allowed, true);
  const a = v.auditAnnotations!.a!;
  assert.ok(bytes(a) <= DEFAULT_MAX_AUDIT_ANNOTATION_BYTES, `${bytes(a)} bytes`);
  const lines = a.split('\n');
  assert.equal(
    lines.at(-1),
    `… and ${100 - (lines.length - 1) + 10} more not shown; run "shroud check" on the manifest to see them all`,
  );
  assert.equal(v.auditAnnotations!.b, '[b/r] spec.containers[0]: item 0 is bad');
  assert.equal(v.auditAnnotations!.c, '… and 4 more not shown; run "shroud check" on the manifest to see them all');
  // Notices (logged by the edge) stay one per listed audit violation: bounded by the engine's cap.
  assert.equal(v.notices!.length, 101);
});
