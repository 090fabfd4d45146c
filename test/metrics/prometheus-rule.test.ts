/**
 * manifests/monitoring: the PrometheusRule parses, every alert says what it is and what to do,
 * and every metric its expressions name is one Shroud exports.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { parse, parseAllDocuments } from 'yaml';
import { createShroudMetrics } from '../../src/metrics/index.js';

const dir = resolve(import.meta.dirname, '..', '..', 'manifests', 'monitoring');

interface Rule {
  alert?: string;
  expr?: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface PrometheusRule {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string };
  spec: { groups: { name: string; rules: Rule[] }[] };
}

function load(): PrometheusRule {
  const docs = parseAllDocuments(readFileSync(join(dir, 'prometheus-rule.yaml'), 'utf8'));
  assert.equal(docs.length, 1);
  assert.deepEqual(docs[0]!.errors, []);
  return docs[0]!.toJS() as PrometheusRule;
}

/** Metric names in a PromQL expression: identifiers followed by `{`, `[`, `)` or the end, that are not functions or keywords. */
function metricNames(expr: string): string[] {
  const withoutStrings = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  const words = withoutStrings.match(/[a-zA-Z_:][a-zA-Z0-9_:]*/g) ?? [];
  return words.filter((w) => /^(shroud|process|nodejs)_/.test(w));
}

/** The series name a histogram's _bucket/_sum/_count belongs to. */
const family = (name: string): string => name.replace(/_(bucket|sum|count)$/, '');

test('the kustomization lists the rule, and the rule is a monitoring.coreos.com/v1 PrometheusRule', () => {
  const kustomization = parse(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
  assert.deepEqual(kustomization.resources, ['prometheus-rule.yaml']);
  const rule = load();
  assert.equal(rule.apiVersion, 'monitoring.coreos.com/v1');
  assert.equal(rule.kind, 'PrometheusRule');
  assert.equal(rule.metadata.namespace, 'shroud');
});

test('every alert has an expression, a severity, a summary and a runbook-style description', () => {
  const alerts = load().spec.groups.flatMap((g) => g.rules);
  assert.ok(alerts.length >= 8);
  const names = new Set<string>();
  for (const a of alerts) {
    assert.ok(a.alert && /^Shroud[A-Za-z]+$/.test(a.alert), `alert name ${a.alert}`);
    assert.ok(!names.has(a.alert), `${a.alert} twice`);
    names.add(a.alert);
    assert.ok(a.expr && a.expr.trim() !== '', `${a.alert}: expr`);
    assert.ok(['warning', 'critical'].includes(a.labels?.severity ?? ''), `${a.alert}: severity`);
    assert.ok((a.annotations?.summary ?? '').length > 10, `${a.alert}: summary`);
    assert.match(a.annotations?.description ?? '', /What to do/, `${a.alert}: description says what to do`);
  }
  // What operators need, by issue 18: errors, latency, certificates, reloads, unseal refusals.
  for (const needed of [
    'ShroudAdmissionErrors',
    'ShroudAdmissionLatencyNearTimeout',
    'ShroudCertificateExpiresSoon',
    'ShroudCertificateExpiresVerySoon',
    'ShroudPolicyReloadFailing',
    'ShroudUnsealRefusalsSpike',
    'ShroudUnsealUnavailable',
  ])
    assert.ok(names.has(needed), needed);
});

test('every metric an expression names is exported by Shroud (checked against the registry)', async () => {
  const registry = createShroudMetrics().registry;
  const exported = new Set((await registry.getMetricsAsJSON()).map((m) => m.name));
  const histograms = new Set(
    (await registry.getMetricsAsJSON()).filter((m) => String(m.type) === 'histogram').map((m) => m.name),
  );
  const cases = load().spec.groups.flatMap((g) => g.rules.map((r) => ({ name: r.alert!, expr: r.expr! })));
  for (const c of cases) {
    const names = metricNames(c.expr);
    assert.ok(names.length > 0, `${c.name} names no Shroud metric`);
    for (const n of names) {
      const base = family(n);
      assert.ok(exported.has(n) || (histograms.has(base) && base !== n), `${c.name}: ${n} is not exported`);
    }
  }
});

test('the checker itself: a misspelt metric is found', () => {
  assert.deepEqual(metricNames('rate(shroud_admision_requests_total{result="shroud_x"}[5m]) > 0'), [
    'shroud_admision_requests_total',
  ]);
});
