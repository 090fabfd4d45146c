/**
 * Reads a policy directory: every .yaml/.yml file below it, in sorted order. Entries whose
 * names start with a dot are skipped: a mounted ConfigMap keeps its real files in `..data` and
 * timestamped `..2024_...` folders and exposes them through top-level symlinks, which are
 * followed, so each file is read once.
 *
 * The server reloads policies on the thread that answers admission requests, so a load runs in
 * slices of at most `sliceMs` (default 10 ms) and lets other work run between them; the longest
 * step that cannot be split is one document at the node limit (about 10 ms of CPU). Measured
 * with `npm run bench -- policy-load`: a directory at the limits (2 MiB of 5,000-node rule
 * documents, 1.6 s of CPU) kept other work waiting 22-42 ms at most on a busy shared machine,
 * against 1.7 s when loaded in one piece.
 */
import type { Dirent } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { capIssues, DEFAULT_POLICY_LIMITS, type PolicyLimits } from './limits.js';
import { fileTooLarge, policyLoadSteps, totalTooLarge, type LoadResult, type PolicyFile } from './parse-files.js';
import { emptyPolicySet } from './policy-set.js';
import type { Issue } from '../issues.js';
import type { PolicySet } from './types.js';

/** How long one synchronous slice of a load may run before it lets other work in, by default. */
export const DEFAULT_SLICE_MS = 10;

/** Options for loadPolicyDir. */
export interface LoadPolicyDirOptions {
  /** Bounds on files, the directory and documents; each missing one is its default. */
  limits?: Partial<PolicyLimits>;
  /** Milliseconds of work between two pauses. Default DEFAULT_SLICE_MS; 0 pauses at every step. */
  sliceMs?: number;
}

const POLICY_FILE = /\.ya?ml$/i;

async function listPolicyFiles(dir: string, issues: Issue[]): Promise<string[]> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    issues.push({
      code: 'POLICY_DIR_UNREADABLE',
      message: `cannot read directory: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
      file: dir,
    });
    return [];
  }
  const files: string[] = [];
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (entry.name.startsWith('.')) continue;
    const full = join(dir, entry.name);
    let isDir = entry.isDirectory();
    let isFile = entry.isFile();
    if (entry.isSymbolicLink()) {
      try {
        const s = await stat(full);
        isDir = s.isDirectory();
        isFile = s.isFile();
      } catch {
        continue; // A dangling symlink mid-swap; the next reload sees the new target.
      }
    }
    if (isDir) files.push(...(await listPolicyFiles(full, issues)));
    else if (isFile && POLICY_FILE.test(entry.name)) files.push(full);
  }
  return files;
}

/** Reads at most `limit + 1` bytes of a file: enough to know whether it is over `limit`. */
async function readAtMost(file: string, limit: number): Promise<{ bytes: Buffer; size: number }> {
  const handle = await open(file, 'r');
  try {
    const size = (await handle.stat()).size;
    const bytes = Buffer.alloc(Math.min(size, limit) + 1);
    let length = 0;
    // The size may change between stat and read (an editor writing); read until the buffer is full or the file ends.
    for (;;) {
      const { bytesRead } = await handle.read(bytes, length, bytes.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length === bytes.length) break;
    }
    return { bytes: bytes.subarray(0, length), size: Math.max(size, length) };
  } finally {
    await handle.close();
  }
}

/**
 * Reads the text of every policy file below `dir` (see loadPolicyDir for which files).
 * Unreadable paths become `POLICY_DIR_UNREADABLE` issues; a file over `maxFileBytes`, or the
 * file in which the total passes `maxTotalBytes`, a `POLICY_TOO_LARGE` issue (files after that
 * one are not read). Never reads more than the limits into memory.
 */
export async function readPolicyFiles(
  dir: string,
  limits: Pick<PolicyLimits, 'maxFileBytes' | 'maxTotalBytes'> = DEFAULT_POLICY_LIMITS,
): Promise<LoadResult<PolicyFile[]>> {
  const issues: Issue[] = [];
  const files: PolicyFile[] = [];
  const paths = await listPolicyFiles(dir, issues);
  let total = 0;
  for (const [index, file] of paths.entries()) {
    let read: { bytes: Buffer; size: number };
    try {
      read = await readAtMost(file, limits.maxFileBytes);
    } catch (err) {
      issues.push({
        code: 'POLICY_DIR_UNREADABLE',
        message: `cannot read file: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
        file,
      });
      continue;
    }
    if (read.bytes.length > limits.maxFileBytes) {
      issues.push(fileTooLarge(file, read.bytes, read.size, limits.maxFileBytes));
      continue;
    }
    if (total + read.bytes.length > limits.maxTotalBytes) {
      const room = limits.maxTotalBytes - total;
      issues.push(totalTooLarge(file, read.bytes, room, limits.maxTotalBytes, paths.length - index - 1));
      break;
    }
    total += read.bytes.length;
    files.push({ file, text: read.bytes.toString('utf8') });
  }
  return { value: files, issues };
}

/** Runs a stepwise computation, pausing for other work once a slice has run `sliceMs`. */
async function inSlices<T>(steps: Generator<void, T>, sliceMs: number): Promise<T> {
  let sliceStart = performance.now();
  for (;;) {
    const step = steps.next();
    if (step.done === true) return step.value;
    if (performance.now() - sliceStart >= sliceMs) {
      await nextTurn();
      sliceStart = performance.now();
    }
  }
}

/**
 * Loads every policy and exception below `dir`, in slices (see the module comment). Never
 * throws: unreadable paths, invalid documents and files or documents over the limits become
 * issues (`POLICY_DIR_UNREADABLE`, `POLICY_PARSE_FAILED`, `POLICY_TOO_LARGE`, ...), and the
 * value holds whatever was valid. Keep the previous set in force when `issues` is not empty.
 */
export async function loadPolicyDir(dir: string, options: LoadPolicyDirOptions = {}): Promise<LoadResult<PolicySet>> {
  const limits: PolicyLimits = { ...DEFAULT_POLICY_LIMITS, ...options.limits };
  const read = await readPolicyFiles(dir, limits);
  if (read.issues.length > 0 && read.value.length === 0) return { value: emptyPolicySet(), issues: read.issues };
  const result = await inSlices(policyLoadSteps(read.value, limits), options.sliceMs ?? DEFAULT_SLICE_MS);
  const issues = [...read.issues, ...result.issues];
  capIssues(issues, limits.maxIssues);
  return { value: result.value, issues };
}

/** A folder of policy files, and whether it is the built-in one (see PolicyFile.builtin). */
export interface PolicySource {
  dir: string;
  builtin: boolean;
}

/**
 * Loads several policy folders as one set, in order: the built-in policies first, then a team's
 * folder, whose documents replace built-in ones of the same kind and name. The same folder
 * named twice is read once. Otherwise as loadPolicyDir; the size limits apply to all together.
 */
export async function loadPolicySources(
  sources: readonly PolicySource[],
  options: LoadPolicyDirOptions = {},
): Promise<LoadResult<PolicySet>> {
  const limits: PolicyLimits = { ...DEFAULT_POLICY_LIMITS, ...options.limits };
  const read = await readPolicySources(sources, limits);
  if (read.issues.length > 0 && read.value.length === 0) return { value: emptyPolicySet(), issues: read.issues };
  const result = await inSlices(policyLoadSteps(read.value, limits), options.sliceMs ?? DEFAULT_SLICE_MS);
  const issues = [...read.issues, ...result.issues];
  capIssues(issues, limits.maxIssues);
  return { value: result.value, issues };
}

/** Reads the files of several policy folders in order, marking the built-in ones; a folder named twice is read once. */
export async function readPolicySources(
  sources: readonly PolicySource[],
  limits: Pick<PolicyLimits, 'maxFileBytes' | 'maxTotalBytes'> = DEFAULT_POLICY_LIMITS,
): Promise<LoadResult<PolicyFile[]>> {
  const seen = new Set<string>();
  const files: PolicyFile[] = [];
  const issues: Issue[] = [];
  for (const source of sources) {
    const key = resolve(source.dir);
    if (seen.has(key)) continue;
    seen.add(key);
    const read = await readPolicyFiles(source.dir, limits);
    issues.push(...read.issues);
    for (const f of read.value) files.push(source.builtin ? { ...f, builtin: true } : f);
  }
  return { value: files, issues };
}
