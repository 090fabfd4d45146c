/**
 * Bounds on what one policy load reads and builds. A policy directory is trusted input, but a
 * mistake (a generated file, a pasted log) or a hostile edit of the mounted ConfigMap must not
 * be able to exhaust memory or stall admission: without these, a 460 KB file of YAML aliases
 * grew the server to 1.45 GB and stalled the event loop for 8.4 s during a hot reload.
 */

import type { Issue } from '../issues.js';

/** The bounds; exceeding one is a `POLICY_TOO_LARGE` issue with file and line. */
export interface PolicyLimits {
  /**
   * Largest policy file, in bytes. Default 1 MiB: a ConfigMap (and so a mounted policy
   * directory) holds at most 1 MiB, and the built-in policies are about 2 KB each.
   */
  maxFileBytes: number;
  /**
   * All policy files of a directory together, in bytes. Default 2 MiB (two full ConfigMaps):
   * compiled, 2 MiB of densely written rules take about 60 MB of heap and 1.7 s of CPU to load.
   */
  maxTotalBytes: number;
  /**
   * YAML nodes in one document (every scalar, mapping, sequence and key), where an alias counts
   * as a full copy of the node it names. Default 5,000: the largest built-in policy has 145, and
   * each step of loading a document at this bound that cannot be split (compose, convert,
   * schema check, compile) takes about 10 ms of CPU (`npm run bench -- policy-load`).
   */
  maxDocumentNodes: number;
  /**
   * Problems one load reports before it stops. Default 1,000: a file of garbage can otherwise
   * yield one issue per node (a 1 MiB file of misspelt rules gave 141,000), each logged by the
   * server.
   */
  maxIssues: number;
}

/** The defaults, documented in the README (Policies, "Limits"). */
export const DEFAULT_POLICY_LIMITS: Readonly<PolicyLimits> = Object.freeze({
  maxFileBytes: 1024 * 1024,
  maxTotalBytes: 2 * 1024 * 1024,
  maxDocumentNodes: 5000,
  maxIssues: 1000,
});

/** `1 MiB`, `512 KiB`, `900 B`: sizes as people write them in limits. */
export function formatBytes(n: number): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`;
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} B`;
}

/** The 1-based line that holds byte `offset` of UTF-8 `bytes` (the last line when past the end). */
export function lineAtByte(bytes: Uint8Array, offset: number): number {
  let line = 1;
  const end = Math.min(offset, bytes.length);
  for (let i = bytes.indexOf(10); i !== -1 && i < end; i = bytes.indexOf(10, i + 1)) line++;
  return line;
}

/**
 * Cuts `issues` to `max` and says so in a last issue, located where the cut happened. Returns
 * true when it cut.
 */
export function capIssues(issues: Issue[], max: number): boolean {
  if (issues.length <= max) return false;
  const last = issues[max - 1];
  issues.length = max;
  issues.push({
    code: 'POLICY_TOO_LARGE',
    message: `more than ${max} problems; the load stopped here. Fix these and load again to see the rest`,
    ...(last?.file === undefined ? {} : { file: last.file }),
    ...(last?.line === undefined ? {} : { line: last.line }),
  });
  return true;
}
