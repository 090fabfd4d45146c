/**
 * Small CEL text helpers for the exported MutatingAdmissionPolicy: literals and the JSONPatch
 * constructor. Pure string building; nothing here evaluates CEL.
 */

/**
 * A CEL string literal (double-quoted) that reads back as `text` exactly: `\` and `"` escaped,
 * `\n`, `\t`, `\r`, and every other character outside printable ASCII as `\uXXXX` (or
 * `\UXXXXXXXX`), so the exported YAML is plain ASCII.
 */
export function celString(text: string): string {
  let out = '"';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === '"') out += '\\"';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (code > 0xffff) out += `\\U${code.toString(16).padStart(8, '0')}`;
    else if (code < 0x20 || code > 0x7e) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** A CEL value for plain JSON data: strings, whole numbers, booleans, lists and string-keyed maps. */
export function celValue(value: unknown): string {
  if (typeof value === 'string') return celString(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new RangeError(`celValue: ${value} is not a whole number`);
    return String(value);
  }
  if (Array.isArray(value)) return `[${value.map(celValue).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).map(([k, v]) => `${celString(k)}: ${celValue(v)}`);
    return `{${entries.join(', ')}}`;
  }
  throw new TypeError(`celValue: ${typeof value} has no CEL literal here`);
}

/**
 * One `JSONPatch{...}` of a MutatingAdmissionPolicy's JSONPatch mutation. Always written as
 * `JSONPatch{op: <op>, from: <from>, path: <path>}` or `JSONPatch{op: <op>, path: <path>, value:
 * <value>}`, arguments being CEL source; the tests rely on this exact spelling to read the same
 * expression as a map literal in an evaluator without Kubernetes' JSONPatch type.
 */
export function jsonPatch(op: string, path: string, value: string): string {
  return `JSONPatch{op: ${celString(op)}, path: ${path}, value: ${value}}`;
}

/** A `move` JSONPatch (no value). */
export function jsonPatchMove(from: string, path: string): string {
  return `JSONPatch{op: ${celString('move')}, from: ${from}, path: ${path}}`;
}
