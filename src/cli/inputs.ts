/**
 * Expands the paths given to `shroud check` into files, named as the user gave them: a
 * directory `deploy/` yields `deploy/app.yaml`. `-` is standard input, read once.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import type { FileIssue } from '../issues.js';
import type { CliIO } from './io.js';
import { readStdin } from './read-input.js';

const MANIFEST = /\.(ya?ml|json)$/i;
/** Folders that never hold manifests worth checking and can be huge. */
const SKIP_DIRS = new Set(['node_modules']);

/** A file to check: its name as shown, and where to read it. */
export interface InputFile {
  name: string;
  /** Absolute path, or undefined for standard input. */
  path: string | undefined;
}

async function walk(shown: string, absolute: string, out: InputFile[]): Promise<void> {
  const entries = await readdir(absolute, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.name.startsWith('.') || SKIP_DIRS.has(e.name)) continue;
    const childShown = join(shown, e.name);
    const childAbs = join(absolute, e.name);
    if (e.isDirectory()) await walk(childShown, childAbs, out);
    else if ((e.isFile() || e.isSymbolicLink()) && MANIFEST.test(e.name))
      out.push({ name: childShown, path: childAbs });
  }
}

/**
 * Expands command-line paths; directories recursively (.yaml, .yml, .json; dot-folders skipped).
 * A path that cannot be used is a POLICY_INPUT_INVALID issue naming it as given.
 */
export async function expandInputs(
  paths: readonly string[],
  cwd: string,
): Promise<{ files: InputFile[]; problems: FileIssue[] }> {
  const files: InputFile[] = [];
  const problems: FileIssue[] = [];
  let stdinSeen = false;
  for (const p of paths) {
    if (p === '-') {
      if (!stdinSeen) files.push({ name: '-', path: undefined });
      stdinSeen = true;
      continue;
    }
    const absolute = isAbsolute(p) ? p : resolve(cwd, p);
    try {
      const s = await stat(absolute);
      if (s.isDirectory()) await walk(p, absolute, files);
      else files.push({ name: p, path: absolute });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      problems.push({
        code: 'POLICY_INPUT_INVALID',
        file: p,
        message: code === 'ENOENT' ? 'no such file or directory' : `cannot read (${code ?? String(err)})`,
      });
    }
  }
  return { files, problems };
}

/** Reads files with a little concurrency (thousands of files in CI), keeping their order. */
export async function readInputs(
  files: readonly InputFile[],
  io: CliIO,
  each: (file: InputFile, text: string | Error) => void,
): Promise<void> {
  const WINDOW = 32;
  for (let i = 0; i < files.length; i += WINDOW) {
    const batch = files.slice(i, i + WINDOW);
    const texts = await Promise.all(
      batch.map((f) =>
        (f.path === undefined ? readStdin(io) : readFile(f.path, 'utf8')).catch((err: unknown) => err as Error),
      ),
    );
    for (const [k, f] of batch.entries()) each(f, texts[k]!);
  }
}
