import type { AdmissionRequest, Reviewer, ReviewOptions, ReviewVerdict } from '../admission/index.js';

/** The notice the policy engine adds when a request matched an exclusion (src/policy/engine.ts). */
const EXCLUDED = 'request excluded';

/**
 * Wraps a synchronous Reviewer and counts, per exclusion, the requests it allowed because they
 * matched one (the engine says so in a `request excluded` notice, which the route logs at debug
 * level). The counts are what /readyz shows and what GET /metrics exports as
 * shroud_excluded_requests_total{exclusion}.
 */
export function countExclusions(reviewer: {
  review(request: AdmissionRequest, options?: ReviewOptions): ReviewVerdict;
}): { reviewer: Reviewer; counts: () => Record<string, number> } {
  const counts = new Map<string, number>();
  return {
    reviewer: {
      review(request: AdmissionRequest, options?: ReviewOptions): ReviewVerdict {
        const verdict = reviewer.review(request, options);
        for (const notice of verdict.notices ?? []) {
          if (notice.message !== EXCLUDED) continue;
          const name = String(notice.fields?.exclusion ?? 'unknown');
          counts.set(name, (counts.get(name) ?? 0) + 1);
        }
        return verdict;
      },
    },
    counts: () => Object.fromEntries(counts),
  };
}
