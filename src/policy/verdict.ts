/**
 * Turns an Evaluation into the webhook's ReviewVerdict: deny lists the violations in a message
 * of bounded size, warn fits kube-apiserver's warning limits, audit becomes auditAnnotations of
 * bounded size and log notices. Whatever does not fit is counted, and the text says how to see
 * it all (`shroud check`).
 */
import type { ReviewNotice, ReviewVerdict } from '../admission/types.js';
import type { AppliedException, Enforcement, Evaluation, Violation } from './types.js';

/**
 * The audit annotation that names the exceptions applied to a request (comma-separated, within
 * the audit annotation bound). kube-apiserver prefixes it with the webhook's name; the dot keeps
 * it apart from the per-policy annotations (a policy name has none).
 */
export const EXCEPTIONS_ANNOTATION = 'exceptions.applied';

/** kube-apiserver truncates each warning past 256 characters and drops warnings past 4 KiB in all. */
export const MAX_WARNING_BYTES = 256;
export const MAX_WARNINGS_TOTAL_BYTES = 4096;

/**
 * Default bound of the deny message (`status.message`), in UTF-8 bytes. kube-apiserver passes the
 * message through untruncated (kubectl prints it whole), so the bound is ours: 16 KiB holds about
 * 40 lines of the built-in policies' messages, far more than anyone reads in a terminal, and
 * keeps a 40,000-violation object from answering with 14 MB.
 */
export const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024;

/**
 * Default bound of each audit annotation value, in UTF-8 bytes: kube-apiserver truncates the
 * audit annotation values of its own ValidatingAdmissionPolicies at 10 KB, and they land in every
 * audit event of the request.
 */
export const DEFAULT_MAX_AUDIT_ANNOTATION_BYTES = 10 * 1024;

/** Size bounds for toVerdict; the warning bounds are kube-apiserver's and fixed. */
export interface VerdictLimits {
  /** Most bytes of the deny message; default DEFAULT_MAX_MESSAGE_BYTES (16 KiB). */
  maxMessageBytes?: number;
  /** Most bytes of each audit annotation value; default DEFAULT_MAX_AUDIT_ANNOTATION_BYTES (10 KiB). */
  maxAuditAnnotationBytes?: number;
}

const encoder = new TextEncoder();

function byteLength(s: string): number {
  return encoder.encode(s).length;
}

/** Cuts `s` to at most `max` UTF-8 bytes, ending with an ellipsis when cut. */
export function truncateUtf8(s: string, max: number): string {
  if (byteLength(s) <= max) return s;
  // Counts UTF-8 bytes per code point and slices once (encoding each character cost ~100 µs a line).
  const budget = max - byteLength('…');
  let used = 0;
  let i = 0;
  while (i < s.length) {
    const cp = s.codePointAt(i)!;
    const n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (used + n > budget) break;
    used += n;
    i += cp > 0xffff ? 2 : 1;
  }
  return `${s.slice(0, i)}…`;
}

/** One line per violation: `[policy/rule] path: message`. */
export function formatViolation(v: Violation): string {
  return `[${v.policy}/${v.rule}] ${v.path}: ${v.message}`;
}

interface FitOptions {
  /** Most bytes of one line (longer ones are cut with an ellipsis). */
  maxLine: number;
  /** Most bytes of all lines together, separators and the closing count included. */
  maxTotal: number;
  /** Bytes between two lines (1 for '\n'; 0 for separate headers). */
  separator: number;
  /** Lines that were never produced (the engine's cap) but belong to the count of the rest. */
  omitted: number;
  /** The closing line for `n` lines not shown. */
  rest: (n: number) => string;
}

/**
 * As many lines as fit, in order, then, when any were left out, a closing line with their
 * count. The room for the closing line is kept from the start (sized for the largest count it
 * can show), so it always fits; the first line is cut rather than dropped when it alone is too long.
 */
function fitLines(lines: readonly string[], o: FitOptions): string[] {
  const out: string[] = [];
  const all = lines.length + o.omitted;
  const reserve = o.separator + byteLength(o.rest(all));
  let total = 0;
  for (let i = 0; i < lines.length; i++) {
    const sep = out.length > 0 ? o.separator : 0;
    const after = all - i - 1;
    const room = o.maxTotal - total - sep - (after > 0 ? reserve : 0);
    let line = truncateUtf8(lines[i]!, o.maxLine);
    if (byteLength(line) > room) {
      // Callers keep the bound well above the closing line (the reviewer refuses less than 1 KiB).
      if (out.length > 0) {
        out.push(o.rest(all - i));
        return out;
      }
      line = truncateUtf8(line, room);
    }
    out.push(line);
    total += sep + byteLength(line);
  }
  if (o.omitted > 0) out.push(o.rest(o.omitted));
  return out;
}

function warningRest(n: number): string {
  return `${n} more Shroud warnings not shown; run "shroud check" on the manifest to see all`;
}

/**
 * Warnings that each fit 256 bytes and together 4 KiB, ending with a count of what did not fit
 * (including `omitted`: warnings the engine counted but did not list).
 */
export function fitWarnings(lines: readonly string[], omitted = 0): string[] {
  return fitLines(lines, {
    maxLine: MAX_WARNING_BYTES,
    maxTotal: MAX_WARNINGS_TOTAL_BYTES,
    separator: 0,
    omitted,
    rest: warningRest,
  });
}

function denyRest(n: number): string {
  return `… and ${n} more violations not shown; run "shroud check" on the manifest to see them all`;
}

function auditRest(n: number): string {
  return `… and ${n} more not shown; run "shroud check" on the manifest to see them all`;
}

/** The warning for an exception in its last days: its name, policy and when it expires. */
export function expiryWarning(e: AppliedException): string {
  return `Shroud exception "${e.name}" (policy ${e.policy}) expires ${e.expires ?? ''}; after that the policy applies to this object again: renew or remove it in ${e.file}`;
}

function exceptionsRest(n: number): string {
  return `… and ${n} more`;
}

function omittedCount(evaluation: Evaluation, enforcement: Enforcement, policy?: string): number {
  let n = 0;
  for (const o of evaluation.omitted)
    if (o.enforcement === enforcement && (policy === undefined || o.policy === policy)) n += o.count;
  return n;
}

/**
 * Builds the verdict for one evaluated request. A request is denied when any deny violation
 * was found, listed or not. The deny message lists one violation per line within
 * `limits.maxMessageBytes`, then a line with the count of the rest; each audit annotation value
 * likewise within `limits.maxAuditAnnotationBytes`.
 */
export function toVerdict(evaluation: Evaluation, limits: VerdictLimits = {}): ReviewVerdict {
  const maxMessage = limits.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const maxAnnotation = limits.maxAuditAnnotationBytes ?? DEFAULT_MAX_AUDIT_ANNOTATION_BYTES;
  const deny = evaluation.violations.filter((v) => v.enforcement === 'deny');
  const warn = evaluation.violations.filter((v) => v.enforcement === 'warn');
  const audit = evaluation.violations.filter((v) => v.enforcement === 'audit');
  const omittedDeny = omittedCount(evaluation, 'deny');
  const omittedWarn = omittedCount(evaluation, 'warn');
  const verdict: ReviewVerdict = { allowed: deny.length === 0 && omittedDeny === 0 };
  if (!verdict.allowed) {
    verdict.message = fitLines(deny.map(formatViolation), {
      maxLine: maxMessage,
      maxTotal: maxMessage,
      separator: 1,
      omitted: omittedDeny,
      rest: denyRest,
    }).join('\n');
  }
  const applied = evaluation.exceptions ?? [];
  // One warning per exception in its last days, before the violations' so the count never hides it.
  const expiring = [...new Map(applied.filter((e) => e.expiresSoon === true).map((e) => [e.name, e])).values()];
  if (warn.length > 0 || omittedWarn > 0 || expiring.length > 0)
    verdict.warnings = fitWarnings([...expiring.map(expiryWarning), ...warn.map(formatViolation)], omittedWarn);
  // Policy -> its audit lines, in order; policies whose audit violations were all left out get none.
  const auditLines = new Map<string, string[]>();
  for (const v of audit) {
    const lines = auditLines.get(v.policy);
    if (lines === undefined) auditLines.set(v.policy, [formatViolation(v)]);
    else lines.push(formatViolation(v));
  }
  for (const o of evaluation.omitted)
    if (o.enforcement === 'audit' && !auditLines.has(o.policy)) auditLines.set(o.policy, []);
  const annotations: Record<string, string> = {};
  if (applied.length > 0) {
    const names = [...new Set(applied.map((e) => e.name))];
    annotations[EXCEPTIONS_ANNOTATION] = fitLines(names, {
      maxLine: maxAnnotation,
      maxTotal: maxAnnotation,
      separator: 1,
      omitted: 0,
      rest: exceptionsRest,
    }).join(',');
    verdict.exceptions = applied.map((e) => ({ name: e.name, policy: e.policy, rules: [...e.rules] }));
  }
  if (auditLines.size > 0) {
    for (const [policy, lines] of auditLines) {
      annotations[policy] = fitLines(lines, {
        maxLine: maxAnnotation,
        maxTotal: maxAnnotation,
        separator: 1,
        omitted: omittedCount(evaluation, 'audit', policy),
        rest: auditRest,
      }).join('\n');
    }
  }
  if (Object.keys(annotations).length > 0) verdict.auditAnnotations = annotations;
  const hit = [...new Set([...evaluation.violations.map((v) => v.policy), ...evaluation.omitted.map((o) => o.policy)])];
  if (hit.length > 0) verdict.policiesHit = hit;
  const notices: ReviewNotice[] = [
    ...evaluation.notices,
    ...audit.map((v) => ({ message: 'policy audit', fields: { policy: v.policy, rule: v.rule, path: v.path } })),
  ];
  if (notices.length > 0) verdict.notices = notices;
  return verdict;
}
