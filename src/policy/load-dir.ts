/**
 * Reads a policy directory: every .yaml/.yml file below it, in sorted order. Entries whose
 * names start with a dot are skipped: a mounted ConfigMap keeps its real files in `..data` and
 * timestamped `..2024_...` folders and exposes them through top-level symlinks, which are
 * followed, so each file is read once.
 */
import type { Dirent } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parsePolicyFiles, type LoadResult, type PolicyFile } from './parse-files.js';
import { emptyPolicySet } from './policy-set.js';
import type { Issue } from '../issues.js';
import type { PolicySet } from './types.js';

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

/**
 * Reads the text of every policy file below `dir` (see loadPolicyDir for which files).
 * Unreadable paths become `POLICY_DIR_UNREADABLE` issues.
 */
export async function readPolicyFiles(dir: string): Promise<LoadResult<PolicyFile[]>> {
  const issues: Issue[] = [];
  const files: PolicyFile[] = [];
  for (const file of await listPolicyFiles(dir, issues)) {
    try {
      files.push({ file, text: await readFile(file, 'utf8') });
    } catch (err) {
      issues.push({
        code: 'POLICY_DIR_UNREADABLE',
        message: `cannot read file: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
        file,
      });
    }
  }
  return { value: files, issues };
}

/**
 * Loads every policy and exception below `dir`. Never throws: unreadable paths and invalid
 * documents become issues (`POLICY_DIR_UNREADABLE`, `POLICY_PARSE_FAILED`, ...), and the value
 * holds whatever was valid. Keep the previous set in force when `issues` is not empty.
 */
export async function loadPolicyDir(dir: string): Promise<LoadResult<PolicySet>> {
  const read = await readPolicyFiles(dir);
  if (read.issues.length > 0 && read.value.length === 0) return { value: emptyPolicySet(), issues: read.issues };
  const result = parsePolicyFiles(read.value);
  return { value: result.value, issues: [...read.issues, ...result.issues] };
}
