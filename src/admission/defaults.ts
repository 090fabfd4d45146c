import type { Mutator, Reviewer } from './types.js';

/** A Reviewer that allows everything: what `/validate` does when no policy engine is given. */
export const allowAllReviewer: Reviewer = {
  review: () => ({ allowed: true }),
};

/** A Mutator that allows everything and patches nothing: `/mutate` until injection is wired. */
export const noChangeMutator: Mutator = {
  mutate: () => ({ allowed: true }),
};
