/**
 * The README's table of provider formats, generated from src/detect/formats/table.ts (a test
 * keeps the README in step). Run `npx tsx test/detect/format-table.ts` to print it.
 */
import { BUILTIN_FORMATS, type Part } from '../../src/detect/index.js';

function part(p: Part): string {
  if (typeof p === 'string') return p;
  const [alphabet, min, max = min] = p;
  return `{${alphabet}:${min === max ? min : `${min}-${max}`}}`;
}

function shape(f: (typeof BUILTIN_FORMATS)[number]): string {
  const head = (f.head ?? []).map(part).join('');
  const body = f.body.map(part).join('');
  if (f.keyed === true) return `${body} under a key naming ${(f.hints ?? []).join('/')}`;
  const anchors = anchorList(f.prefixes);
  return f.head === undefined ? `${anchors}${body}` : `${head}${anchors}${body}`;
}

/**
 * Anchors joined by ` / `; 26 anchors that differ only in one lower-case letter (Honeycomb's
 * `hc[x]ik_`) are written once with `[a-z]` in its place.
 */
function anchorList(prefixes: readonly string[]): string {
  if (prefixes.length === 26) {
    const first = prefixes[0] as string;
    const at = [...first].findIndex((_, i) => prefixes.some((p) => p[i] !== first[i]));
    const rest = (p: string): string => p.slice(0, at) + p.slice(at + 1);
    const letters = new Set(prefixes.map((p) => p[at]));
    if (
      at !== -1 &&
      prefixes.every((p) => p.length === first.length && rest(p) === rest(first)) &&
      [...'abcdefghijklmnopqrstuvwxyz'].every((c) => letters.has(c))
    )
      return `${first.slice(0, at)}[a-z]${first.slice(at + 1)}`;
  }
  return prefixes.join(' / ');
}

function cell(text: string): string {
  return `\`${text.replaceAll('|', '\\|').replaceAll('`', "'")}\``;
}

export function formatTable(): string {
  const rows = BUILTIN_FORMATS.map(
    (f) =>
      `| ${f.provider} | ${f.what} | ${cell(shape(f))}${f.checksum === undefined ? '' : ' + CRC-32'} | ${f.tier} |`,
  );
  return `| provider | credential | shape | tier |\n| --- | --- | --- | --- |\n${rows.join('\n')}\n`;
}

if (process.argv[1]?.endsWith('format-table.ts')) process.stdout.write(formatTable());
