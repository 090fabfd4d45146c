/**
 * The CEL cost estimate (map-cost.ts) of every expression of the exported policy, for a pod far
 * larger than usual: each within kube-apiserver's per-expression limit (1,000,000), all together
 * within the per-evaluation budget (10,000,000). The table is printed as test diagnostics.
 */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { exportInjectionPolicy, mapExpressions } from '../../src/export/map.js';
import { exportInjectionGuard } from '../../src/export/map-guard.js';
import { SETTINGS, TEST_CA_PEM } from '../inject/pod-shapes.js';
import { type Bounds, estimateCost, LARGE_POD } from './map-cost.js';
import { asMapLiteral } from './map-eval.js';

const PER_CALL_LIMIT = 1_000_000;
const RUNTIME_BUDGET = 10_000_000;

const { policy } = exportInjectionPolicy({ ...SETTINGS, unsealCaPem: TEST_CA_PEM });
const costs = (bounds: Bounds) =>
  mapExpressions(policy).map(({ where, expression }) => ({
    where,
    cost: estimateCost(where.startsWith('mutations/') ? asMapLiteral(expression) : expression, bounds),
  }));

test('the estimator: what it counts', () => {
  const small: Bounds = { ...LARGE_POD, containers: 20, mounts: 32 };
  // variables (1) .containers (1), then 20 elements at 2 each with a constant body.
  assert.equal(estimateCost('variables.containers.all(c, true)', small), 42);
  // Nested comprehensions multiply: 20 containers x 32 mounts.
  assert.equal(
    estimateCost('variables.containers.all(c, c.volumeMounts.all(m, true))', small),
    2 + 20 * (2 + 2 + 32 * 2),
  );
  // A string function pays for the string's length: the 1 KiB annotation.
  assert.equal(estimateCost('variables.sealedAnnotation.trim()', small), 2 + 1 + 103);
});

/**
 * The worst over how the annotation and the paths are split: 1 to 512 entries (the most a 1 KiB
 * annotation holds), 1 to `maxSegments` segments per path.
 */
function worst(bounds: Bounds, maxSegments: number): { where: string; cost: number }[] {
  const max = new Map<string, number>();
  for (let sealedEntries = 1; sealedEntries <= bounds.sealedLength / 2; sealedEntries *= 2) {
    for (let pathSegments = 1; pathSegments <= maxSegments; pathSegments *= 2) {
      for (const { where, cost } of costs({ ...bounds, sealedEntries, pathSegments }))
        max.set(where, Math.max(max.get(where) ?? 0, cost));
    }
  }
  return [...max].map(([where, cost]) => ({ where, cost }));
}

test('each expression within the per-expression limit, all within the budget, for a large pod', (t) => {
  // Paths of up to 16 segments; 960 mounts of 128 one-letter segments each are out of reach (below).
  const table = worst(LARGE_POD, 16);
  for (const { where, cost } of table) {
    t.diagnostic(`${where}: ${cost}`);
    assert.ok(cost < PER_CALL_LIMIT, `${where}: ${cost}`);
  }
  const total = table.reduce((s, c) => s + c.cost, 0);
  t.diagnostic(`total: ${total}`);
  assert.ok(total < RUNTIME_BUDGET, `total ${total}`);
});

test('the guard (ValidatingAdmissionPolicy): each expression and the whole within the limits, for a large pod', (t) => {
  const spec = exportInjectionGuard({ ...SETTINGS, unsealCaPem: TEST_CA_PEM }).policy.spec as {
    variables: { name: string; expression: string }[];
    validations: { expression: string; messageExpression?: string }[];
  };
  const expressions = [
    ...spec.variables.map((v) => ({ where: `variables/${v.name}`, expression: v.expression })),
    ...spec.validations.map((v, i) => ({ where: `validations/${i}`, expression: v.expression })),
    ...spec.validations.flatMap((v, i) =>
      v.messageExpression === undefined
        ? []
        : [{ where: `validations/${i}/messageExpression`, expression: v.messageExpression }],
    ),
  ];
  let total = 0;
  for (const { where, expression } of expressions) {
    let cost = 0;
    for (let sealedEntries = 1; sealedEntries <= 512; sealedEntries *= 2)
      for (let pathSegments = 1; pathSegments <= 16; pathSegments *= 2)
        cost = Math.max(cost, estimateCost(expression, { ...LARGE_POD, sealedEntries, pathSegments }));
    if (where.startsWith('validations/')) t.diagnostic(`${where}: ${cost}`);
    assert.ok(cost < PER_CALL_LIMIT, `${where}: ${cost}`);
    total += cost;
  }
  t.diagnostic(`total: ${total}`);
  assert.ok(total < RUNTIME_BUDGET, `total ${total}`);
});

test('the estimate grows with the pod: twice the containers, a dearer mutation', () => {
  const mutation = (b: Bounds) => costs(b).find((c) => c.where === 'mutations/0')!.cost;
  assert.ok(mutation({ ...LARGE_POD, containers: 40 }) > mutation(LARGE_POD));
});

test('where the limit is: the mount checks cost about 1,100 per mount, so about 900 mounts reach it', (t) => {
  const mountTaken = (mounts: number) =>
    worst({ ...LARGE_POD, mounts }, 16).find((c) => c.where === 'variables/mountTaken')!.cost;
  const containers = LARGE_POD.containers + LARGE_POD.initContainers;
  const perMount = (mountTaken(LARGE_POD.mounts + 1) - mountTaken(LARGE_POD.mounts)) / containers;
  const reach = Math.floor(PER_CALL_LIMIT / perMount);
  t.diagnostic(`mountTaken: ${Math.round(perMount)} per mount; the limit at about ${reach} mounts in all`);
  assert.ok(perMount > 500 && perMount < 2000, `per mount ${perMount}`);
  // Past it kube-apiserver stops the expression and, failurePolicy being Fail, refuses the pod.
  assert.ok(mountTaken(Math.ceil(reach / containers) + 2) >= PER_CALL_LIMIT);
  assert.equal((policy.spec as { failurePolicy: string }).failurePolicy, 'Fail');
});
