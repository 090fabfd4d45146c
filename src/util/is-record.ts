/**
 * True for a plain key-value object (what a JSON or YAML mapping parses to): not null, not an
 * array. The one test every decoder of untrusted documents uses before reading fields.
 */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
