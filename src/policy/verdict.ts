/**
 * Turns an Evaluation into the webhook's ReviewVerdict: deny lists every violation, warn fits
 * kube-apiserver's warning limits, audit becomes auditAnnotations and log notices.
 */
import type { ReviewNotice, ReviewVerdict } from '../admission/types.js';
import type { Evaluation, Violation } from './types.js';

/** kube-apiserver truncates each warning past 256 characters and drops warnings past 4 KiB in all. */
export const MAX_WARNING_BYTES = 256;
export const MAX_WARNINGS_TOTAL_BYTES = 4096;

const encoder = new TextEncoder();

function byteLength(s: string): number {
  return encoder.encode(s).length;
}

/** Cuts `s` to at most `max` UTF-8 bytes, ending with an ellipsis when cut. */
export function truncateUtf8(s: string, max: number): string {
  if (byteLength(s) <= max) return s;
  let out = '';
  let used = 0;
  const budget = max - byteLength('…');
  for (const ch of s) {
    const n = byteLength(ch);
    if (used + n > budget) break;
    out += ch;
    used += n;
  }
  return `${out}…`;
}

/** One line per violation: `[policy/rule] path: message`. */
export function formatViolation(v: Violation): string {
  return `[${v.policy}/${v.rule}] ${v.path}: ${v.message}`;
}

/** Warnings that each fit 256 bytes and together 4 KiB, ending with a count of what did not fit. */
export function fitWarnings(lines: readonly string[]): string[] {
  const out: string[] = [];
  let total = 0;
  for (let i = 0; i < lines.length; i++) {
    const w = truncateUtf8(lines[i]!, MAX_WARNING_BYTES);
    const rest = lines.length - i - 1;
    const reserve = rest > 0 ? 80 : 0;
    if (total + byteLength(w) + reserve > MAX_WARNINGS_TOTAL_BYTES) {
      out.push(`${lines.length - i} more Shroud warnings not shown; run "shroud check" on the manifest to see all`);
      break;
    }
    out.push(w);
    total += byteLength(w);
  }
  return out;
}

/** Builds the verdict for one evaluated request. */
export function toVerdict(evaluation: Evaluation): ReviewVerdict {
  const deny = evaluation.violations.filter((v) => v.enforcement === 'deny');
  const warn = evaluation.violations.filter((v) => v.enforcement === 'warn');
  const audit = evaluation.violations.filter((v) => v.enforcement === 'audit');
  const verdict: ReviewVerdict = { allowed: deny.length === 0 };
  if (deny.length > 0) verdict.message = deny.map(formatViolation).join('\n');
  if (warn.length > 0) verdict.warnings = fitWarnings(warn.map(formatViolation));
  if (audit.length > 0) {
    const annotations: Record<string, string> = {};
    for (const v of audit) {
      const line = formatViolation(v);
      annotations[v.policy] = annotations[v.policy] === undefined ? line : `${annotations[v.policy]}\n${line}`;
    }
    verdict.auditAnnotations = annotations;
  }
  const hit = [...new Set(evaluation.violations.map((v) => v.policy))];
  if (hit.length > 0) verdict.policiesHit = hit;
  const notices: ReviewNotice[] = [
    ...evaluation.notices,
    ...audit.map((v) => ({ message: 'policy audit', fields: { policy: v.policy, rule: v.rule, path: v.path } })),
  ];
  if (notices.length > 0) verdict.notices = notices;
  return verdict;
}
