import { fileURLToPath } from 'node:url';
import type { Reviewer } from '../../src/admission/index.js';
import {
  createPolicyReviewer,
  loadPolicyDir,
  type PolicyReviewerOptions,
  valueOrThrow,
} from '../../src/policy/index.js';

/** The Reviewer the `shroud` bench target runs: the policy engine with the built-in policies. */
export async function createBenchReviewer(options: PolicyReviewerOptions = {}): Promise<Reviewer> {
  const set = valueOrThrow(await loadPolicyDir(fileURLToPath(new URL('../../policies', import.meta.url))));
  return createPolicyReviewer(() => set, options);
}
