/**
 * One pod through `/mutate` (the real Mutator of src/inject) and through the exported
 * MutatingAdmissionPolicy (evaluated by map-eval.ts), compared.
 */
import { strict as assert } from 'node:assert';
import type { AdmissionRequest, JsonPatchOp } from '../../src/admission/index.js';
import { createInjectionMutator, type InjectionSettings } from '../../src/inject/index.js';
import { applyPatch, evaluateGuard, evaluateMap, withoutNulls } from './map-eval.js';

type Obj = Record<string, unknown>;

export function podCreate(pod: Obj): AdmissionRequest {
  return {
    uid: 'b0f1c2d3-0000-4000-8000-000000000020',
    kind: { group: '', version: 'v1', kind: 'Pod' },
    resource: { group: '', version: 'v1', resource: 'pods' },
    namespace: 'shop',
    operation: 'CREATE',
    userInfo: { username: 'system:serviceaccount:kube-system:replicaset-controller' },
    object: pod,
  };
}

export type Outcome = 'injected' | 'unchanged' | 'denied';

/**
 * What `/mutate` does to the pod, and checks that the policy does the same: for an allowed pod,
 * the policy's patch gives the same pod as the webhook's (null fields dropped on both sides, as
 * the API server's decoding drops them before any admission plugin); for a denied pod, the policy
 * changes nothing (it cannot deny). Either way, the policy run again on its own result, as on
 * reinvocation, changes nothing more. With the guard (a ValidatingAdmissionPolicy), the pod the
 * policy leaves is refused exactly when `/mutate` denies.
 */
export function assertSameAsMutate(policy: Obj, settings: InjectionSettings, pod: Obj, guard?: Obj): Outcome {
  const mutator = createInjectionMutator(() => settings);
  const verdict = mutator.mutate(podCreate(structuredClone(pod)));
  if (verdict instanceof Promise) throw new Error('the injection mutator is synchronous');
  const map = evaluateMap(policy, pod);
  const input = withoutNulls(pod) as Obj;
  const viaPolicy = applyPatch(input, map.patch);
  const refusals = guard === undefined ? undefined : evaluateGuard(guard, viaPolicy);
  if (!verdict.allowed) {
    assert.deepStrictEqual(map.patch, [], `/mutate denies (${verdict.message}); the policy must not patch`);
    if (refusals !== undefined)
      assert.notEqual(refusals.length, 0, `/mutate denies (${verdict.message}); so must the guard`);
    return 'denied';
  }
  if (refusals !== undefined) assert.deepStrictEqual(refusals, [], '/mutate allows; so must the guard');
  const patch = (verdict.patch ?? []) as JsonPatchOp[];
  const viaWebhook = withoutNulls(applyPatch(pod, patch as never)) as Obj;
  assert.deepStrictEqual(viaPolicy, viaWebhook, 'the policy gives the same pod as /mutate');
  assert.deepStrictEqual(
    evaluateMap(policy, viaPolicy).patch,
    [],
    'reinvoked on its own result, the policy adds nothing',
  );
  return patch.length === 0 ? 'unchanged' : 'injected';
}
