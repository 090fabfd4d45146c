/**
 * In-tree admission objects compiled from Shroud's policy files: ValidatingAdmissionPolicy
 * (`shroud export vap`). Pure: a policy set in, plain Kubernetes objects out.
 */
export {
  exportVap,
  BUILTIN_RESOURCES,
  OLDEST_KUBERNETES,
  PER_CALL_LIMIT,
  REPORTED_MODEL,
  type ExportedRule,
  type ExpressionCost,
  type UnsupportedRule,
  type VapExport,
  type VapExportOptions,
} from './vap.js';
export { estimateCost, macroDepth, print, type Cel, type CostModel } from './cel.js';
