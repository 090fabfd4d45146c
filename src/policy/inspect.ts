/** Read-only views of a PolicySet, for the CLI, the bench and log lines. */
import type { PolicySet, PolicyTarget } from './types.js';

/** Where policies apply on objects of `kind` (empty when none does): one map lookup. */
export function policiesForKind(set: PolicySet, kind: string): readonly PolicyTarget[] {
  return set.byKind.get(kind) ?? set.anyKind;
}

export interface SelectorReportRow {
  policy: string;
  rule: string;
  /** `select` or `when[i].path`. */
  where: string;
  source: string;
  compiled: boolean;
}

/** Every selector of the set and whether it runs compiled or through jsonpath-plus. */
export function selectorReport(set: PolicySet): SelectorReportRow[] {
  const rows: SelectorReportRow[] = [];
  for (const p of set.policies) {
    for (const r of p.rules) {
      for (const s of r.select)
        rows.push({ policy: p.name, rule: r.name, where: 'select', source: s.source, compiled: s.compiled });
      r.when.forEach((c, i) => {
        rows.push({
          policy: p.name,
          rule: r.name,
          where: `when[${i}].path`,
          source: c.path.source,
          compiled: c.path.compiled,
        });
      });
    }
  }
  return rows;
}
