/** Readiness: named checks combined into the report `/readyz` serves. */
export { type ReadinessCheck, type ReadinessReport, readinessFrom } from './readiness.js';
