import { fileURLToPath } from 'node:url';
import type { Reviewer } from '../../src/admission/index.js';
import { createPolicyReviewer, loadPolicyDir, valueOrThrow } from '../../src/policy/index.js';

/** The Reviewer the `shroud` bench target runs: the policy engine with the built-in policies. */
export async function createBenchReviewer(): Promise<Reviewer> {
  const set = valueOrThrow(await loadPolicyDir(fileURLToPath(new URL('../../policies', import.meta.url))));
  return createPolicyReviewer(() => set);
}
