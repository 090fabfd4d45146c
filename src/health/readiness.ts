/** One thing the server needs before it can serve (certificates, policies...). */
export interface ReadinessCheck {
  ok: boolean;
  /** Facts for operators: file names, generation numbers, the last error message. Never secrets. */
  [detail: string]: unknown;
}

/** What `/readyz` returns: ready only when every check is ok. */
export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, ReadinessCheck>;
}

/** Combines named checks into a report, evaluated each time it is called. */
export function readinessFrom(checks: Record<string, () => ReadinessCheck>): () => ReadinessReport {
  return () => {
    const results: Record<string, ReadinessCheck> = {};
    let ready = true;
    for (const [name, check] of Object.entries(checks)) {
      const result = check();
      results[name] = result;
      ready &&= result.ok;
    }
    return { ready, checks: results };
  };
}
