/**
 * `shroud keys rewrap FILE...`: moves every sealed value in YAML files to the primary key
 * version, replacing only each value's token (see sealed-tokens.ts). A file is rewritten
 * whole or not at all: if any value in it fails, it is left as it was and the failure reported.
 */
import { rewrapValue, type KekProvider } from '../../crypto/index.js';
import { isShroudError } from '../../errors.js';
import { formatIssue } from '../../issues.js';
import { EXIT, type CliIO } from '../io.js';
import { readInputFile } from '../read-input.js';
import { findSealedScalars, replaceSealedScalars, type SealedScalar } from '../sealed-tokens.js';
import { writeFileAtomic } from '../../fs/write-file-atomic.js';

/** Rewraps the files (absolute `paths`, shown as `names`) and returns the exit code. */
export async function rewrapFiles(paths: string[], names: string[], provider: KekProvider, io: CliIO): Promise<number> {
  let failed = false;
  for (const [i, path] of paths.entries()) {
    const name = names[i]!;
    const text = (await readInputFile(name, io)).toString('utf8');
    const { scalars, issues } = findSealedScalars(text, name);
    for (const issue of issues) io.stderr.write(`${issue.code}: ${formatIssue(issue)}\n`);
    if (issues.length > 0) {
      failed = true;
      continue;
    }
    const replacements: { scalar: SealedScalar; value: string }[] = [];
    let fileFailed = false;
    for (const scalar of scalars) {
      try {
        const result = await rewrapValue(scalar.value, { provider });
        if (result.changed) replacements.push({ scalar, value: result.value });
      } catch (err) {
        if (!isShroudError(err)) throw err;
        fileFailed = true;
        io.stderr.write(`${err.code}: ${name}:${scalar.line}${scalar.key ? ` (${scalar.key})` : ''}: ${err.message}\n`);
      }
    }
    if (fileFailed) {
      failed = true;
      io.stderr.write(`${name}: left unchanged\n`);
      continue;
    }
    if (replacements.length > 0) {
      const result = replaceSealedScalars(text, replacements, name);
      if ('issue' in result) {
        failed = true;
        io.stderr.write(`${result.issue.code}: ${formatIssue(result.issue)}\n`);
        continue;
      }
      await writeFileAtomic(path, result.text);
    }
    io.stdout.write(
      `${name}: ${replacements.length} rewrapped, ${scalars.length - replacements.length} already current\n`,
    );
  }
  return failed ? EXIT.FAILURE : EXIT.OK;
}
