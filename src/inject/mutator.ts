import type { AdmissionRequest, MutationResult, Mutator } from '../admission/index.js';
import { isRecord } from '../util/is-record.js';
import { type InjectionSettings, planInjection } from './plan.js';

/** Only a Pod's CREATE is injected: a pod's spec cannot change afterwards, and other kinds carry no pod. */
export function isPodCreate(request: AdmissionRequest): boolean {
  return (
    request.operation === 'CREATE' &&
    request.kind.group === '' &&
    request.kind.kind === 'Pod' &&
    (request.subResource ?? '') === '' &&
    isRecord(request.object)
  );
}

/**
 * The `/mutate` Mutator: plans the injection into each Pod CREATE with the settings in force when
 * the request arrives (`settings` is called per request, so a reloaded CA applies at once).
 * Everything else, and pods without the label, pass unchanged.
 */
export function createInjectionMutator(settings: () => InjectionSettings): Mutator {
  return {
    mutate(request: AdmissionRequest): MutationResult {
      if (!isPodCreate(request)) return { allowed: true };
      const plan = planInjection(request.object as Record<string, unknown>, settings(), request.namespace ?? 'default');
      if (plan.action === 'deny') return { allowed: false, message: plan.message };
      const result: MutationResult = { allowed: true };
      if (plan.warnings.length > 0) result.warnings = plan.warnings;
      if (plan.action === 'patch') result.patch = plan.patch;
      return result;
    },
  };
}
