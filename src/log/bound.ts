/**
 * Longest text a log field keeps from a request. Kubernetes names are at most 253 characters,
 * so 256 keeps every real name whole, while a hostile request (a 3 MB "name") cannot make a
 * 3 MB log line: without the bound, a fuzz run wrote 174 MB of logs.
 */
export const MAX_LOGGED_FIELD = 256;

/** `value` cut to `max` characters, saying how much was cut; undefined stays undefined. */
export function boundText(value: string | undefined, max = MAX_LOGGED_FIELD): string | undefined {
  if (value === undefined || value.length <= max) return value;
  return `${value.slice(0, max)}...(+${value.length - max} chars)`;
}
