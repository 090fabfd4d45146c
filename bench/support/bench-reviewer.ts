import { allowAllReviewer, type Reviewer } from '../../src/admission/index.js';

/** The Reviewer the `shroud` bench target runs. */
export async function createBenchReviewer(): Promise<Reviewer> {
  return allowAllReviewer;
}
