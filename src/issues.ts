/**
 * Issue: one located problem in a file (a policy file, a manifest given to `shroud check`, a
 * `shroud policy test` case, a YAML file being rewrapped), and the one way to print it.
 *
 * Loaders collect issues rather than throw (the `yaml` package's `doc.errors` is the model):
 * they return `{ value, issues }` with everything they met; the CLI prints every issue, the
 * server logs them and shows them on /readyz as data; start-up and one-shot callers turn them
 * into a ShroudError with `issueError` / `valueOrThrow`.
 */
import { type ErrorCode, ShroudError } from './errors.js';

/** A problem found in a file, located as precisely as it is known. Never holds a secret value. */
export interface Issue {
  /** A registered code (docs/errors.md), the same a thrown error would carry. */
  code: ErrorCode;
  /**
   * A sentence for people: what is wrong and what to do. When the problem is at a field, it
   * starts with the field as the author reads it (`rules[2].when[0]: unknown operator ...`).
   */
  message: string;
  /** The file (or test-case folder) as the user named it. */
  file?: string;
  /** 1-based. */
  line?: number;
  /** 1-based; only given with `line`. */
  column?: number;
  /** The exact field inside the document, for tools (`spec.rules[2].when[0]`). */
  path?: string;
}

/** An issue known to be in a file (a manifest, a YAML file being rewrapped). */
export type FileIssue = Issue & { file: string };

/**
 * `file:line:column: message`, leaving out what is not known (`file: message`, or the message
 * alone). `path` is not printed: the message already names the field in the author's terms
 * (under `spec`, without it), and printing both would say it twice.
 */
export function formatIssue(issue: Pick<Issue, 'message' | 'file' | 'line' | 'column'>): string {
  const where = [issue.file, issue.line, issue.column].filter((p) => p !== undefined).join(':');
  return where === '' ? issue.message : `${where}: ${issue.message}`;
}

/** A ShroudError made of issues: it carries them all, as `issues` and as `details.issues`. */
export class IssueError extends ShroudError {
  readonly issues: readonly Issue[];

  /**
   * The first issue's code and `file:line:column: message`, then `(and N more)`; `prefix`, when
   * given, goes before it (`policies did not load: ...`). An empty list is a bug (SHROUD_INTERNAL).
   */
  constructor(issues: readonly Issue[], prefix?: string) {
    const first = issues[0];
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
    const text =
      first === undefined
        ? 'an error was raised without any issue; this is a bug in shroud, please report it'
        : `${formatIssue(first)}${more}`;
    super(first?.code ?? 'SHROUD_INTERNAL', prefix === undefined ? text : `${prefix}: ${text}`, {
      details: { issues },
    });
    this.name = 'IssueError';
    this.issues = issues;
  }
}

/** The ShroudError for one issue or a list of them (see IssueError). */
export function issueError(issues: Issue | readonly Issue[]): IssueError {
  return new IssueError(Array.isArray(issues) ? issues : [issues as Issue]);
}

/**
 * For start-up and one-shot callers of a collecting loader: `result.value` when there are no
 * issues.
 * @throws IssueError with the first issue's code; every issue in `issues` and `details.issues`
 */
export function valueOrThrow<T>(result: { value: T; issues: readonly Issue[] }): T {
  if (result.issues.length > 0) throw issueError(result.issues);
  return result.value;
}
