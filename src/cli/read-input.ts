import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ShroudError } from '../errors.js';
import type { CliIO } from './io.js';

/**
 * Reads a file named on the command line (relative to io.cwd) as bytes. A file that cannot be
 * read is an input failure (CONFIG_INVALID, exit 3) naming the file as the user gave it.
 * @throws CONFIG_INVALID
 */
export async function readInputFile(file: string, io: CliIO): Promise<Buffer> {
  try {
    return await readFile(resolve(io.cwd, file));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    throw new ShroudError('CONFIG_INVALID', `cannot read ${file} (${code})`, { cause: err, details: { file } });
  }
}

/** Reads a file named on the command line as UTF-8 text; `-` reads stdin. @throws CONFIG_INVALID */
export async function readInputText(file: string, io: CliIO): Promise<string> {
  if (file !== '-') return (await readInputFile(file, io)).toString('utf8');
  let text = '';
  for await (const chunk of io.stdin)
    text += typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
  return text;
}
