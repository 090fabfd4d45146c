/**
 * Reading what the command line names: standard input, and files given as arguments. Every
 * command reads through these two, so `-` and relative paths mean the same everywhere.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ShroudError } from '../errors.js';
import type { CliIO } from './io.js';

/** Reads all of standard input (io.stdin) as UTF-8. */
export async function readStdin(io: Pick<CliIO, 'stdin'>): Promise<string> {
  let text = '';
  for await (const chunk of io.stdin)
    text += typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
  return text;
}

/**
 * Reads a file named on the command line (relative to io.cwd) as bytes. A file that cannot be
 * read is an input failure (CONFIG_INVALID, exit 3) naming the file as the user gave it.
 * @throws CONFIG_INVALID
 */
export async function readInputFile(file: string, io: Pick<CliIO, 'cwd'>): Promise<Buffer> {
  try {
    return await readFile(resolve(io.cwd, file));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    throw new ShroudError('CONFIG_INVALID', `cannot read ${file} (${code})`, { cause: err, details: { file } });
  }
}

/** Reads a file named on the command line as UTF-8 text; `-` reads stdin. @throws CONFIG_INVALID */
export async function readInputText(file: string, io: Pick<CliIO, 'cwd' | 'stdin'>): Promise<string> {
  return file === '-' ? readStdin(io) : (await readInputFile(file, io)).toString('utf8');
}
