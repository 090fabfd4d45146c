/**
 * Renders `shroud scan` reports: text (grouped by namespace and policy), JSON (a contract for
 * scripts), SARIF 2.1.0 (logical locations: objects in a cluster, not files), and
 * wgpolicyk8s.io/v1alpha2 PolicyReport / ClusterPolicyReport objects as YAML.
 */
import { stringify } from 'yaml';
import type { Enforcement, PolicySet } from '../policy/index.js';
import { type CheckException, LEVEL, sarifRules } from './check-report.js';
import type { SecretReader } from './scan-rbac.js';

/** One violation on one object. */
export interface ScanFinding {
  policy: string;
  rule: string;
  enforcement: Enforcement;
  path: string;
  message: string;
}

/** An exception that exempted rules of one policy on an object. */
/** An applied exception, reported as `check` reports it. */
export type ScanException = CheckException;

export type ScanVerdict = 'denied' | 'warned' | 'audited' | 'passed' | 'excluded';

/** One listed object and what the policies said about it, judged as a CREATE. */
export interface ScanObject {
  apiVersion: string;
  kind: string;
  namespace: string | null;
  name: string;
  uid: string | null;
  /** The furthest owner the object shows (`Deployment web`), or null. */
  owner: string | null;
  verdict: ScanVerdict;
  violations: ScanFinding[];
  violationsOmitted: number;
  exceptions: ScanException[];
  /** Rules that ran and found nothing (for PolicyReport pass results). */
  passed: { policy: string; rule: string; enforcement: Enforcement }[];
}

export interface ScanListed {
  resource: string;
  group: string;
  version: string;
  kind: string;
  items: number;
  pages: number;
  restarts: number;
}

export interface UninjectedPod {
  namespace: string;
  name: string;
  owner: string | null;
}

export interface ScanReport {
  server: string;
  listed: ScanListed[];
  /** Custom workload kinds the API server does not serve. */
  skipped: { kind: string; reason: string }[];
  objects: ScanObject[];
  secretReaders: SecretReader[];
  uninjectedPods: UninjectedPod[];
}

const SEVERITY: Record<Enforcement, string> = { deny: 'high', warn: 'medium', audit: 'low' };

function ref(o: { kind: string; namespace: string | null; name: string }): string {
  return o.namespace === null ? `${o.kind} ${o.name}` : `${o.kind} ${o.namespace}/${o.name}`;
}

interface PolicyGroup {
  policy: string;
  denied: number;
  warned: number;
  audited: number;
  findings: {
    kind: string;
    name: string;
    owner: string | null;
    rule: string;
    enforcement: Enforcement;
    path: string;
    message: string;
  }[];
}

/** Findings by namespace (cluster-scoped objects under null, last) and policy, both sorted. */
export function groupFindings(objects: readonly ScanObject[]): { namespace: string | null; policies: PolicyGroup[] }[] {
  const byNs = new Map<string | null, Map<string, PolicyGroup>>();
  for (const o of objects) {
    const counted = new Set<string>();
    for (const v of o.violations) {
      let ns = byNs.get(o.namespace);
      if (ns === undefined) {
        ns = new Map();
        byNs.set(o.namespace, ns);
      }
      let g = ns.get(v.policy);
      if (g === undefined) {
        g = { policy: v.policy, denied: 0, warned: 0, audited: 0, findings: [] };
        ns.set(v.policy, g);
      }
      g.findings.push({
        kind: o.kind,
        name: o.name,
        owner: o.owner,
        rule: v.rule,
        enforcement: v.enforcement,
        path: v.path,
        message: v.message,
      });
      // Objects per policy, by the strongest enforcement of that policy's violations on them.
      if (!counted.has(v.policy)) {
        counted.add(v.policy);
        const strongest = o.violations.filter((x) => x.policy === v.policy).map((x) => x.enforcement);
        if (strongest.includes('deny')) g.denied++;
        else if (strongest.includes('warn')) g.warned++;
        else g.audited++;
      }
    }
  }
  const order = [...byNs.keys()].sort((a, b) => (a === null ? 1 : b === null ? -1 : a < b ? -1 : a > b ? 1 : 0));
  return order.map((namespace) => ({
    namespace,
    policies: [...byNs.get(namespace)!.values()].sort((a, b) => (a.policy < b.policy ? -1 : 1)),
  }));
}

export function summarize(report: ScanReport) {
  const count = (v: ScanVerdict) => report.objects.filter((o) => o.verdict === v).length;
  return {
    objects: report.objects.length,
    denied: count('denied'),
    warned: count('warned'),
    audited: count('audited'),
    passed: count('passed'),
    excluded: count('excluded'),
    violations: report.objects.reduce((n, o) => n + o.violations.length, 0),
    violationsOmitted: report.objects.reduce((n, o) => n + o.violationsOmitted, 0),
    secretReaders: report.secretReaders.length,
    uninjectedPods: report.uninjectedPods.length,
  };
}

function exceptionsOf(report: ScanReport) {
  return report.objects.flatMap((o) => o.exceptions.map((e) => ({ object: ref(o), ...e })));
}

/** The JSON contract: listed, skipped, namespaces, exceptions, secretReaders, uninjectedPods, summary. */
export function renderScanJson(report: ScanReport): string {
  const { violationsOmitted, ...summary } = summarize(report);
  return `${JSON.stringify(
    {
      server: report.server,
      listed: report.listed,
      skipped: report.skipped,
      namespaces: groupFindings(report.objects),
      exceptions: exceptionsOf(report),
      secretReaders: report.secretReaders,
      uninjectedPods: report.uninjectedPods,
      summary: { ...summary, ...(violationsOmitted > 0 ? { violationsOmitted } : {}) },
    },
    null,
    2,
  )}\n`;
}

function readerLine(r: SecretReader): string {
  const s = r.subject;
  const who = s.kind === 'ServiceAccount' ? `ServiceAccount ${s.namespace}/${s.name}` : `${s.kind} ${s.name}`;
  const only = r.resourceNames === null ? '' : ` (only ${r.resourceNames.join(', ')})`;
  const agg = r.aggregatedFrom.length === 0 ? '' : ` (aggregated from ${r.aggregatedFrom.join(', ')})`;
  const dflt = r.defaultRole ? ' [default role]' : '';
  return `${who}: ${r.verbs.join(',')}${only} via ${r.binding} -> ${r.role}${agg}${dflt}`;
}

/** Text: findings by namespace and policy, exceptions, the two extra answers, then counts. */
export function renderScanText(report: ScanReport): string {
  const lines: string[] = [];
  for (const ns of groupFindings(report.objects)) {
    lines.push(ns.namespace === null ? 'Cluster-scoped' : `Namespace ${ns.namespace}`);
    for (const g of ns.policies) {
      lines.push(`  ${g.policy}: ${g.denied} denied, ${g.warned} warned, ${g.audited} audit only`);
      for (const f of g.findings) {
        const owner = f.owner === null ? '' : ` (${f.owner})`;
        lines.push(`    ${f.enforcement.padEnd(5)} ${f.kind} ${f.name}${owner} [${f.rule}] ${f.path}`);
        lines.push(`          ${f.message}`);
      }
    }
    lines.push('');
  }
  const exceptions = exceptionsOf(report);
  if (exceptions.length > 0) {
    lines.push('Exceptions applied');
    for (const e of exceptions)
      lines.push(
        `  ${e.object}: ${e.name} [${e.policy}/${e.rules.join(',')}] via ${e.matched}${e.expires === null ? '' : `, expires ${e.expires}`}`,
      );
    lines.push('');
  }
  lines.push('Who can read Secrets');
  if (report.secretReaders.length === 0) lines.push('  nobody through the listed RBAC');
  let lastNs: string | undefined;
  for (const r of report.secretReaders) {
    if (r.namespace !== lastNs) {
      lines.push(r.namespace === '*' ? '  all namespaces' : `  namespace ${r.namespace}`);
      lastNs = r.namespace;
    }
    lines.push(`    ${readerLine(r)}`);
  }
  lines.push('');
  lines.push('Pods labelled shroud.dev/inject=true without the shroud-unseal init container');
  if (report.uninjectedPods.length === 0) lines.push('  none');
  for (const p of report.uninjectedPods)
    lines.push(`  Pod ${p.namespace}/${p.name}${p.owner === null ? '' : ` (${p.owner})`}`);
  lines.push('');
  const listed = report.listed.map((l) => `${l.resource} ${l.items}${l.pages > 1 ? ` (${l.pages} pages)` : ''}`);
  lines.push(`Listed from ${report.server}: ${listed.join(', ')}.`);
  for (const s of report.skipped) lines.push(`Skipped ${s.kind}: ${s.reason}.`);
  const s = summarize(report);
  let summary =
    `Scanned ${s.objects} objects: ${s.denied} would be denied, ${s.warned} allowed with warnings, ` +
    `${s.audited} audit only, ${s.passed} passed, ${s.excluded} excluded.`;
  if (s.violationsOmitted > 0) summary += ` ${s.violationsOmitted} violations were not listed (--max-violations).`;
  lines.push(summary);
  return `${lines.join('\n')}\n`;
}

/** SARIF 2.1.0: a reporting rule per policy rule, a result per violation located by object and path. */
export function renderScanSarif(report: ScanReport, set: PolicySet): string {
  const { rules, index } = sarifRules(set);
  const results = report.objects.flatMap((o) =>
    o.violations.map((v) => ({
      ruleId: `${v.policy}/${v.rule}`,
      ruleIndex: index.get(`${v.policy}/${v.rule}`) ?? -1,
      level: LEVEL[v.enforcement],
      message: { text: `${ref(o)} ${v.path}: ${v.message}` },
      locations: [{ logicalLocations: [{ fullyQualifiedName: `${ref(o)}/${v.path}`, kind: 'object' }] }],
    })),
  );
  const notifications = exceptionsOf(report).map((e) => ({
    level: 'note',
    message: { text: `${e.object}: exception ${e.name} [${e.policy}/${e.rules.join(',')}] via ${e.matched}` },
  }));
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'shroud', informationUri: 'https://shroud.dev', rules } },
        invocations: [{ executionSuccessful: true, toolExecutionNotifications: notifications }],
        results,
      },
    ],
  };
  return `${JSON.stringify(sarif, null, 2)}\n`;
}

type PolicyReportResult = {
  policy: string;
  rule: string;
  result: 'pass' | 'fail' | 'warn' | 'skip';
  severity: string;
  message: string;
  source: 'shroud';
  scored: true;
  timestamp: { seconds: number; nanos: 0 };
  resources: { apiVersion: string; kind: string; name: string; namespace?: string; uid?: string }[];
  properties?: Record<string, string>;
};

/**
 * One PolicyReport per namespace with judged objects and one ClusterPolicyReport for
 * cluster-scoped objects, named `shroud-scan`, as a multi-document YAML stream. Results: `fail`
 * for a deny or audit violation (as Kyverno reports audit), `warn` for a warn violation, `pass`
 * for a rule that ran and found nothing, `skip` for a rule an exception exempted. Excluded
 * objects are not reported. Each result is written on one line as a JSON flow mapping (YAML
 * 1.2 reads JSON), so a report of 100,000 results is written in well under a second.
 */
export function renderPolicyReports(report: ScanReport, now: Date): string {
  const seconds = Math.floor(now.getTime() / 1000);
  const byNs = new Map<string | null, PolicyReportResult[]>();
  for (const o of report.objects) {
    if (o.verdict === 'excluded') continue;
    const resource = {
      apiVersion: o.apiVersion,
      kind: o.kind,
      name: o.name,
      ...(o.namespace === null ? {} : { namespace: o.namespace }),
      ...(o.uid === null ? {} : { uid: o.uid }),
    };
    const base = { source: 'shroud' as const, scored: true as const, timestamp: { seconds, nanos: 0 as const } };
    const out: PolicyReportResult[] = [];
    for (const v of o.violations)
      out.push({
        policy: v.policy,
        rule: v.rule,
        result: v.enforcement === 'warn' ? 'warn' : 'fail',
        severity: SEVERITY[v.enforcement],
        message: `${v.path}: ${v.message}`,
        ...base,
        resources: [resource],
        properties: { path: v.path, enforcement: v.enforcement },
      });
    for (const p of o.passed)
      out.push({
        policy: p.policy,
        rule: p.rule,
        result: 'pass',
        severity: SEVERITY[p.enforcement],
        message: 'passed',
        ...base,
        resources: [resource],
      });
    for (const e of o.exceptions)
      for (const rule of e.rules)
        out.push({
          policy: e.policy,
          rule,
          result: 'skip',
          severity: 'info',
          message: `exempted by exception ${e.name} (matched ${e.matched})`,
          ...base,
          resources: [resource],
          properties: { exception: e.name },
        });
    if (out.length === 0) continue;
    const list = byNs.get(o.namespace) ?? [];
    list.push(...out);
    byNs.set(o.namespace, list);
  }
  const docs: string[] = [];
  const order = [...byNs.keys()].sort((a, b) => (a === null ? 1 : b === null ? -1 : a < b ? -1 : a > b ? 1 : 0));
  for (const ns of order) {
    const results = byNs.get(ns)!;
    const summary = { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 };
    for (const r of results) summary[r.result]++;
    const doc = {
      apiVersion: 'wgpolicyk8s.io/v1alpha2',
      kind: ns === null ? 'ClusterPolicyReport' : 'PolicyReport',
      metadata: {
        name: 'shroud-scan',
        ...(ns === null ? {} : { namespace: ns }),
        labels: { 'app.kubernetes.io/managed-by': 'shroud' },
      },
      summary,
    };
    // The header in block style; each result one JSON flow mapping (valid YAML), one per line:
    // the yaml library writes block style at about 2.5 MB/s, too slow for a large cluster's passes.
    const lines = results.map((r) => `  - ${JSON.stringify(r)}`);
    docs.push(`${stringify(doc, { lineWidth: 0 })}results:${lines.length === 0 ? ' []' : `\n${lines.join('\n')}`}\n`);
  }
  return docs.length === 0 ? '' : `---\n${docs.join('---\n')}`;
}
