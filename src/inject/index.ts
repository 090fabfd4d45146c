/** Secret injection: the pure planner behind `/mutate` (docs/injection.md). */
export * from './constants.js';
export { createInjectionMutator, isPodCreate } from './mutator.js';
export { type OptIn, type OptInResult, pathRelation, readOptIn } from './opt-in.js';
export { type InjectionPlan, type InjectionSettings, planInjection } from './plan.js';
export { escapeToken, pointer } from './pointer.js';
