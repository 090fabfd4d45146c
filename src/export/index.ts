/**
 * In-tree admission objects compiled from Shroud's policy files and injection (pure: objects in,
 * objects out): ValidatingAdmissionPolicy (`shroud export vap`) and MutatingAdmissionPolicy
 * (`shroud export map`).
 */
export {
  exportVap,
  BUILTIN_RESOURCES,
  OLDEST_KUBERNETES,
  PER_CALL_LIMIT,
  REALISTIC_MODEL,
  REPORTED_MODEL,
  type ExportedRule,
  type ExpressionCost,
  type UnsupportedRule,
  type VapExport,
  type VapExportOptions,
} from './vap.js';
export { estimateCost, macroDepth, print, type Cel, type CostModel } from './cel.js';
export * from './map.js';
export { celString } from './map-cel.js';
export { exportInjectionGuard, GUARD_NAME } from './map-guard.js';
