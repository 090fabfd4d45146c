/**
 * Parses the `timeout` query parameter kube-apiserver adds to webhook calls: a Go duration
 * such as "10s", "1m30s" or "2500ms". Returns milliseconds, or undefined when absent/invalid
 * (an unparseable timeout must not fail the review).
 */
export function parseGoDuration(value: unknown): number | undefined {
  if (typeof value !== 'string' || value === '' || value.length > 64) return undefined;
  const units: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(value); m !== null; m = re.exec(value)) {
    total += Number(m[1]) * (units[m[2] as string] ?? NaN);
    consumed = re.lastIndex;
  }
  return consumed === value.length && Number.isFinite(total) && total > 0 ? total : undefined;
}
