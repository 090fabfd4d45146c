import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, beforeEach, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import type { CliIO } from '../../src/cli/io.js';
import { run } from '../../src/cli/run.js';
import { runCli } from '../helpers/cli.js';
import { type FakeListApiServer, startFakeListApiServer } from '../helpers/fake-list-apiserver.js';
import { POD_PAGE_TOKENS, SCAN_FIXTURES, SCAN_ROUTES } from '../helpers/scan-routes.js';
import { tempDir } from '../helpers/temp-dir.js';

/** The value of team-a's ConfigMap app-config DB_PASSWORD in configmaps.json. */
const CANARY = 'CANARY-scan-9f3a7c-Zq81';
const TEAM_POLICIES = join(SCAN_FIXTURES, 'policies');

let api: FakeListApiServer;
before(async () => {
  api = await startFakeListApiServer(tempDir('scan-'), SCAN_FIXTURES, SCAN_ROUTES);
});
after(async () => {
  await api.close();
});
beforeEach(() => {
  api.requests.length = 0;
  api.expireOnce.clear();
  api.expireAlways.clear();
  api.failPaths.clear();
});

function scan(...extra: string[]) {
  return runCli(['scan', '--kubeconfig', api.kubeconfig, '--policies', TEAM_POLICIES, ...extra]);
}

interface JsonReport {
  server: string;
  listed: { resource: string; items: number; pages: number; restarts: number }[];
  skipped: { kind: string; reason: string }[];
  namespaces: {
    namespace: string | null;
    policies: {
      policy: string;
      denied: number;
      warned: number;
      audited: number;
      findings: { kind: string; name: string; owner: string | null; rule: string; enforcement: string; path: string }[];
    }[];
  }[];
  exceptions: { object: string; name: string; policy: string; matched: string }[];
  secretReaders: unknown[];
  uninjectedPods: unknown[];
  summary: Record<string, number>;
}

/** Findings as `enforcement Kind name [rule] path`, by namespace and policy. */
function findingsOf(report: JsonReport): Record<string, Record<string, string[]>> {
  const out: Record<string, Record<string, string[]>> = {};
  for (const ns of report.namespaces) {
    const byPolicy: Record<string, string[]> = {};
    for (const p of ns.policies)
      byPolicy[p.policy] = p.findings.map((f) => `${f.enforcement} ${f.kind} ${f.name} [${f.rule}] ${f.path}`);
    out[ns.namespace ?? '(cluster)'] = byPolicy;
  }
  return out;
}

const EXPECTED_FINDINGS = {
  'team-a': {
    'disallow-secret-env': [
      'deny Pod web-7d4b9c8f6d-x2k9q [secret-env-var] spec.containers[0].env[1]',
      'deny Pod web-7d4b9c8f6d-p8m4z [secret-env-var] spec.containers[0].env[1]',
      'deny Deployment web [secret-env-var] spec.template.spec.containers[0].env[1]',
      'deny ReplicaSet web-7d4b9c8f6d [secret-env-var] spec.template.spec.containers[0].env[1]',
      'deny Rollout checkout [secret-env-var] spec.template.spec.containers[0].env[0]',
    ],
    'disallow-secrets-in-configmaps': ['deny ConfigMap app-config [secret-value] data.DB_PASSWORD'],
  },
  'team-b': {
    'restrict-secret-rbac': ['deny Role secret-lister [list-or-watch-secrets] rules[0]'],
  },
  '(cluster)': {
    'disallow-host-path': ['deny PersistentVolume pv-node-data [host-path-persistent-volume] spec.hostPath'],
    'restrict-secret-bindings': ['warn ClusterRoleBinding dave-admin [user-or-group-reads-secrets] subjects[0]'],
    'restrict-secret-rbac': ['deny ClusterRole monitoring-secrets [list-or-watch-secrets] rules[0]'],
  },
};

const EXPECTED_READERS = [
  {
    subject: { kind: 'Group', name: 'system:masters' },
    namespace: '*',
    verbs: ['*'],
    resourceNames: null,
    binding: 'ClusterRoleBinding cluster-admin',
    role: 'ClusterRole cluster-admin',
    aggregatedFrom: [],
    defaultRole: true,
  },
  {
    subject: { kind: 'ServiceAccount', name: 'prometheus', namespace: 'monitoring' },
    namespace: '*',
    verbs: ['get', 'list'],
    resourceNames: null,
    binding: 'ClusterRoleBinding prometheus',
    role: 'ClusterRole monitoring',
    aggregatedFrom: ['monitoring-secrets'],
    defaultRole: false,
  },
  {
    subject: { kind: 'User', name: 'dave@example.com' },
    namespace: '*',
    verbs: ['*'],
    resourceNames: null,
    binding: 'ClusterRoleBinding dave-admin',
    role: 'ClusterRole cluster-admin',
    aggregatedFrom: [],
    defaultRole: true,
  },
  {
    subject: { kind: 'ServiceAccount', name: 'web', namespace: 'team-a' },
    namespace: 'team-a',
    verbs: ['get'],
    resourceNames: ['db-creds'],
    binding: 'RoleBinding team-a/web-reads-db-creds',
    role: 'Role team-a/db-creds-reader',
    aggregatedFrom: [],
    defaultRole: false,
  },
  {
    subject: { kind: 'User', name: 'alice@example.com' },
    namespace: 'team-b',
    verbs: ['list', 'watch'],
    resourceNames: null,
    binding: 'RoleBinding team-b/alice-lists-secrets',
    role: 'Role team-b/secret-lister',
    aggregatedFrom: [],
    defaultRole: false,
  },
  {
    subject: { kind: 'Group', name: 'team-c-oncall' },
    namespace: 'team-c',
    verbs: ['get', 'list'],
    resourceNames: null,
    binding: 'RoleBinding team-c/oncall-monitoring',
    role: 'ClusterRole monitoring',
    aggregatedFrom: ['monitoring-secrets'],
    defaultRole: false,
  },
];

test('scan -o json: findings by namespace and policy, exceptions through owners, secret readers, uninjected pods', async () => {
  const r = await scan('-o', 'json');
  assert.equal(r.code, 1, r.stderr);
  const report = JSON.parse(r.stdout) as JsonReport;
  assert.equal(report.server, api.url);
  assert.deepEqual(findingsOf(report), EXPECTED_FINDINGS);
  const counts = report.namespaces.map((ns) => ns.policies.map((p) => [p.policy, p.denied, p.warned, p.audited]));
  assert.deepEqual(counts, [
    [
      ['disallow-secret-env', 5, 0, 0],
      ['disallow-secrets-in-configmaps', 1, 0, 0],
    ],
    [['restrict-secret-rbac', 1, 0, 0]],
    [
      ['disallow-host-path', 1, 0, 0],
      ['restrict-secret-bindings', 0, 1, 0],
      ['restrict-secret-rbac', 1, 0, 0],
    ],
  ]);
  // The exception names the Deployment; its ReplicaSet and Pod are covered through their owners.
  assert.deepEqual(
    report.exceptions.map((e) => [e.object, e.name, e.policy, e.matched]),
    [
      ['Pod team-c/legacy-84c6d5f7b9-kk2lp', 'legacy-node-logs', 'disallow-host-path', 'Deployment legacy'],
      ['Deployment team-c/legacy', 'legacy-node-logs', 'disallow-host-path', 'Deployment legacy'],
      ['ReplicaSet team-c/legacy-84c6d5f7b9', 'legacy-node-logs', 'disallow-host-path', 'Deployment legacy'],
    ],
  );
  assert.deepEqual(report.secretReaders, EXPECTED_READERS);
  assert.deepEqual(report.uninjectedPods, [
    { namespace: 'team-b', name: 'worker-6b7c8d9f5-qrstu', owner: 'Deployment worker' },
  ]);
  assert.deepEqual(
    report.skipped.map((s) => s.kind),
    ['serving.knative.dev/Service', 'keda.sh/ScaledJob', 'apps.kruise.io/CloneSet'],
  );
  const pods = report.listed.find((l) => l.resource === 'pods');
  assert.deepEqual(pods, { resource: 'pods', group: '', version: 'v1', kind: 'Pod', items: 6, pages: 3, restarts: 0 });
  assert.equal(report.listed.find((l) => l.resource === 'rollouts')?.items, 1);
  assert.deepEqual(report.summary, {
    objects: 37,
    denied: 9,
    warned: 1,
    audited: 0,
    passed: 22,
    // kube-system's Pod, DaemonSet and ConfigMap; the bootstrap ClusterRole and ClusterRoleBinding
    excluded: 5,
    violations: 10,
    secretReaders: 6,
    uninjectedPods: 1,
  });
});

test('scan pages with limit=500 and follows continue tokens', async () => {
  const r = await scan('-o', 'json');
  assert.equal(r.code, 1, r.stderr);
  const listPaths = Object.entries(SCAN_ROUTES)
    .filter(([, file]) => !file.startsWith('discovery'))
    .map(([path]) => path);
  const lists = api.requests.filter((q) => listPaths.includes(q.path));
  assert.deepEqual([...new Set(lists.map((q) => q.path))].sort(), [...listPaths].sort(), 'every resource is listed');
  for (const q of lists) assert.equal(q.query.get('limit'), '500', q.path);
  const podCalls = api.requests.filter((q) => q.path === '/api/v1/pods').map((q) => q.query.get('continue'));
  assert.deepEqual(podCalls, [null, POD_PAGE_TOKENS[0], POD_PAGE_TOKENS[1]]);
});

test('scan restarts a list once when its continue token expired (410 Gone), without duplicates', async () => {
  api.expireOnce.add(POD_PAGE_TOKENS[1]);
  const r = await scan('-o', 'json');
  assert.equal(r.code, 1, r.stderr);
  const report = JSON.parse(r.stdout) as JsonReport;
  const pods = report.listed.find((l) => l.resource === 'pods');
  assert.deepEqual([pods?.items, pods?.pages, pods?.restarts], [6, 3, 1]);
  assert.deepEqual(findingsOf(report), EXPECTED_FINDINGS);
  const podCalls = api.requests.filter((q) => q.path === '/api/v1/pods').map((q) => q.query.get('continue'));
  assert.deepEqual(podCalls, [
    null,
    POD_PAGE_TOKENS[0],
    POD_PAGE_TOKENS[1],
    null,
    POD_PAGE_TOKENS[0],
    POD_PAGE_TOKENS[1],
  ]);
});

const FAILURES: { name: string; arrange: () => void; code: string; says: RegExp }[] = [
  {
    name: 'a continue token that expires again after the restart',
    arrange: () => api.expireAlways.add(POD_PAGE_TOKENS[0]),
    code: 'KUBE_UNAVAILABLE',
    says: /list of pods .* expired twice while paging \(HTTP 410 Gone/,
  },
  {
    name: 'a list the credentials may not read',
    arrange: () => api.failPaths.set('/api/v1/configmaps', 403),
    code: 'KUBE_REQUEST_REFUSED',
    says: /refused the list of configmaps \(page 1\) with HTTP 403; the credentials need list on configmaps \(bind the read-only ClusterRole shroud-scan/,
  },
  {
    name: 'an API server error',
    arrange: () => api.failPaths.set('/apis/apps/v1/replicasets', 503),
    code: 'KUBE_UNAVAILABLE',
    says: /the list of replicasets \(page 1\) at https:\/\/127\.0\.0\.1:\d+ answered HTTP 503/,
  },
];

for (const f of FAILURES) {
  test(`scan fails with exit 3 on ${f.name}`, async () => {
    f.arrange();
    const r = await scan('-o', 'json');
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, new RegExp(`^${f.code}: `, 'm'));
    assert.match(r.stderr, f.says);
  });
}

test('scan fails with exit 3 on an unreadable kubeconfig, and 2 on an unknown output format', async () => {
  const bad = await runCli(['scan', '--kubeconfig', join(SCAN_FIXTURES, 'no-such-kubeconfig')]);
  assert.equal(bad.code, 3);
  assert.match(bad.stderr, /^KUBE_CONFIG_INVALID: /m);
  const usage = await scan('-o', 'yaml');
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /text, json, sarif, policyreport/);
});

test('scan -o policyreport: a PolicyReport per namespace and a ClusterPolicyReport, summaries that add up', async () => {
  const r = await scan('-o', 'policyreport');
  assert.equal(r.code, 1, r.stderr);
  const docs = parseAllDocuments(r.stdout).map((d) => {
    assert.deepEqual(d.errors, []);
    return d.toJS() as {
      apiVersion: string;
      kind: string;
      metadata: { name: string; namespace?: string };
      summary: Record<string, number>;
      results: { result: string; source: string; policy: string; rule: string; resources: { kind: string }[] }[];
    };
  });
  assert.deepEqual(
    docs.map((d) => [d.apiVersion, d.kind, d.metadata.name, d.metadata.namespace]),
    [
      ['wgpolicyk8s.io/v1alpha2', 'PolicyReport', 'shroud-scan', 'team-a'],
      ['wgpolicyk8s.io/v1alpha2', 'PolicyReport', 'shroud-scan', 'team-b'],
      ['wgpolicyk8s.io/v1alpha2', 'PolicyReport', 'shroud-scan', 'team-c'],
      ['wgpolicyk8s.io/v1alpha2', 'ClusterPolicyReport', 'shroud-scan', undefined],
    ],
  );
  for (const d of docs) {
    const counted = { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 } as Record<string, number>;
    for (const res of d.results) {
      counted[res.result]! += 1;
      assert.equal(res.source, 'shroud');
      assert.equal(res.resources.length, 1);
    }
    assert.deepEqual(d.summary, counted, `${d.kind} ${d.metadata.namespace}`);
    assert.ok(d.summary.pass! > 0, 'rules that found nothing are reported as pass');
  }
  // fail/warn/skip: the violations above; skip: 3 rules of disallow-host-path on 3 objects the exception covers.
  assert.deepEqual(
    docs.map((d) => [d.summary.fail, d.summary.warn, d.summary.skip, d.summary.error]),
    [
      [6, 0, 0, 0],
      [1, 0, 0, 0],
      [0, 0, 9, 0],
      [2, 1, 0, 0],
    ],
  );
  // Excluded objects (kube-system, bootstrap RBAC) are not reported.
  assert.ok(!r.stdout.includes('kube-system'));
  assert.ok(!r.stdout.includes('kube-proxy'));
});

test('scan --enforcement-override audit: nothing would be denied, exit 0, the findings stay', async () => {
  const r = await scan('-o', 'json', '--enforcement-override', 'audit');
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as JsonReport;
  assert.deepEqual([report.summary.denied, report.summary.warned, report.summary.audited], [0, 0, 10]);
  assert.equal(report.summary.violations, 10);
});

test('scan -o sarif: a result per violation, located by object and path', async () => {
  const r = await scan('-o', 'sarif');
  assert.equal(r.code, 1, r.stderr);
  const sarif = JSON.parse(r.stdout) as {
    runs: {
      results: { ruleId: string; level: string; locations: { logicalLocations: { fullyQualifiedName: string }[] }[] }[];
    }[];
  };
  const results = sarif.runs[0]!.results;
  assert.equal(results.length, 10);
  assert.ok(
    results.some(
      (x) =>
        x.ruleId === 'disallow-secrets-in-configmaps/secret-value' &&
        x.level === 'error' &&
        x.locations[0]!.logicalLocations[0]!.fullyQualifiedName === 'ConfigMap team-a/app-config/data.DB_PASSWORD',
    ),
  );
});

test('scan -o text: grouped by namespace, cluster-scoped last, with both extra answers', async () => {
  const r = await scan();
  assert.equal(r.code, 1, r.stderr);
  const heads = r.stdout
    .split('\n')
    .filter((l) => /^(Namespace |Cluster-scoped|Who can|Pods labelled|Exceptions)/.test(l));
  assert.deepEqual(heads, [
    'Namespace team-a',
    'Namespace team-b',
    'Cluster-scoped',
    'Exceptions applied',
    'Who can read Secrets',
    'Pods labelled shroud.dev/inject=true without the shroud-unseal init container',
  ]);
  assert.match(
    r.stdout,
    /^ {4}ServiceAccount team-a\/web: get \(only db-creds\) via RoleBinding team-a\/web-reads-db-creds -> Role team-a\/db-creds-reader$/m,
  );
  assert.match(r.stdout, /^ {2}Pod team-b\/worker-6b7c8d9f5-qrstu \(Deployment worker\)$/m);
  assert.match(
    r.stdout,
    /^Scanned 37 objects: 9 would be denied, 1 allowed with warnings, 0 audit only, 22 passed, 5 excluded\.$/m,
  );
  // Not a terminal: one progress line per finished list, counts only.
  assert.match(r.stderr, /^listed 6 pods in 3 pages$/m);
  assert.equal(r.stderr.split('\n').filter((l) => l.startsWith('listed ')).length, 15);
});

test('scan progress on a terminal: one rewritten line of counts, cleared at the end, no object names', async () => {
  let stderr = '';
  let stdout = '';
  const io: CliIO = {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: Object.assign({ write: (s: string) => (stderr += s) }, { isTTY: true }),
    stdin: Readable.from([]),
    env: {},
    cwd: process.cwd(),
  };
  const code = await run(['scan', '--kubeconfig', api.kubeconfig, '--policies', TEAM_POLICIES, '-o', 'json'], io);
  assert.equal(code, 1);
  assert.ok(!stderr.includes('\n'), 'no new lines on a terminal');
  assert.ok(stderr.startsWith('\r\x1b[2Klisting: '), 'a rewritten line');
  assert.match(stderr, /listing: 15 lists done, 37 objects/);
  assert.ok(stderr.endsWith('\r\x1b[2K'), 'the line is cleared before the report');
  for (const name of ['web-7d4b9c8f6d', 'app-config', 'team-a', CANARY]) assert.ok(!stderr.includes(name), name);
  assert.ok(stdout.startsWith('{'));
});

test('scan: the secret value of a ConfigMap appears in no output format', async () => {
  for (const output of ['text', 'json', 'sarif', 'policyreport']) {
    const r = await scan('-o', output);
    assert.equal(r.code, 1, output);
    assert.ok(r.stdout.includes('DB_PASSWORD'), `${output} names the key`);
    assert.ok(!r.stdout.includes(CANARY), output);
    assert.ok(!r.stderr.includes(CANARY), output);
  }
});
