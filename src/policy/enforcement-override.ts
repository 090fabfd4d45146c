/**
 * The server-wide enforcement override (`--enforcement-override audit|warn`): every policy runs
 * as if its file said `audit` (or `warn`), so a team can switch Shroud on in a living cluster,
 * read what it would deny, and then enforce.
 *
 * The override is a ceiling, applied to an evaluation before its verdict is built: it takes
 * power away and never adds any. Under `warn`, a deny becomes a warning and an audit rule stays
 * an audit (it was written to be invisible to users); under `audit`, denies and warnings both
 * become audit annotations. A violation that would have denied says so at the start of its
 * message, so the decision log, the warnings and the annotations tell "would deny" apart from
 * what only ever warns.
 */
import type { Enforcement, Evaluation } from './types.js';

/** The enforcements an override may cap every policy at. */
export const ENFORCEMENT_OVERRIDES = ['audit', 'warn'] as const;
export type EnforcementOverride = (typeof ENFORCEMENT_OVERRIDES)[number];

/** What a violation's message starts with when the override turned its deny into `warn` or `audit`. */
export const WOULD_DENY_PREFIX = 'would be denied (enforcement override in force): ';

const RANK: Readonly<Record<Enforcement, number>> = { audit: 0, warn: 1, deny: 2 };

function capped(enforcement: Enforcement, ceiling: EnforcementOverride): Enforcement {
  return RANK[enforcement] > RANK[ceiling] ? ceiling : enforcement;
}

/**
 * The evaluation as it is when every policy runs at most at `ceiling`: results, violations and
 * omitted counts have their enforcement capped, and each violation that would have denied has
 * WOULD_DENY_PREFIX before its message. The evaluation given is not changed.
 */
export function applyEnforcementOverride(evaluation: Evaluation, ceiling: EnforcementOverride): Evaluation {
  return {
    ...evaluation,
    results: evaluation.results.map((r) => ({ ...r, enforcement: capped(r.enforcement, ceiling) })),
    violations: evaluation.violations.map((v) =>
      v.enforcement === 'deny'
        ? { ...v, enforcement: ceiling, message: `${WOULD_DENY_PREFIX}${v.message}` }
        : { ...v, enforcement: capped(v.enforcement, ceiling) },
    ),
    omitted: evaluation.omitted.map((o) => ({ ...o, enforcement: capped(o.enforcement, ceiling) })),
  };
}
