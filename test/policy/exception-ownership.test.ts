import { strict as assert } from 'node:assert';
import { inlinePolicySet } from '../helpers/policy-set.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import request from 'supertest';
import { noChangeMutator } from '../../src/admission/index.js';
import type { AdmissionRequest } from '../../src/admission/types.js';
import { createPolicyReviewer, EXCEPTIONS_ANNOTATION, evaluateObject, ownersOf } from '../../src/policy/index.js';
import { createWebhookApp } from '../../src/webhook/index.js';
import { runCli } from '../helpers/cli.js';
import { memoryLogger } from '../helpers/logs.js';
import { admissionReview } from '../helpers/reviews.js';
import { tempDir } from '../helpers/temp-dir.js';

const NOW = new Date('2026-11-23T10:00:00Z');

/** Denies every container named "bad", on Pods and on every pod template. */
const POLICY = `apiVersion: policy.shroud.dev/v1
kind: Policy
metadata: { name: no-bad }
spec:
  enforcement: deny
  match: { kinds: [Pod] }
  rules:
    - name: no-bad-container
      select: "$.spec.containers[?(@.name == 'bad')]"
      message: "container {{item.name}} is bad"
`;

function exception(name: string, match: string, expires?: string): string {
  return `apiVersion: policy.shroud.dev/v1
kind: PolicyException
metadata: { name: ${name} }
spec:
  policies: [{ name: no-bad }]
  match: ${match}
  reason: legacy workload, moving to mounted files
${expires === undefined ? '' : `  expires: "${expires}"\n`}`;
}

const policySet = inlinePolicySet;

const podSpec = { containers: [{ name: 'bad', image: 'registry.example/app:1' }] };

interface Ref {
  kind: string;
  name: string;
  controller?: boolean;
}

function obj(
  kind: string,
  name: string,
  options: { ns?: string; owner?: Ref; labels?: Record<string, string> } = {},
): Record<string, unknown> {
  const metadata: Record<string, unknown> = { name, namespace: options.ns ?? 'shop' };
  if (options.labels !== undefined) metadata.labels = options.labels;
  if (options.owner !== undefined)
    metadata.ownerReferences = [
      {
        apiVersion: 'apps/v1',
        kind: options.owner.kind,
        name: options.owner.name,
        uid: '6a1f0c1e-0000-4000-8000-00000000000a',
        controller: options.owner.controller ?? true,
      },
    ];
  const template = { metadata: { labels: options.labels ?? {} }, spec: podSpec };
  const spec =
    kind === 'Pod'
      ? podSpec
      : kind === 'CronJob'
        ? { schedule: '0 3 * * *', jobTemplate: { spec: { template } } }
        : { template };
  return { apiVersion: kind === 'Pod' ? 'v1' : 'apps/v1', kind, metadata, spec };
}

const HASH = '5d8f7c9b4';
const RS = `web-${HASH}`;
const DEPLOYMENT_EXCEPTION = exception('web-legacy', '{ kinds: [Deployment], names: [web] }');
const CRONJOB_EXCEPTION = exception('backup-legacy', '{ kinds: [CronJob], names: [backup] }');

const cases: Array<{
  name: string;
  exception: string;
  object: Record<string, unknown>;
  /** The `matched` of the applied exception, or undefined when the object must be denied. */
  matched: string | undefined;
}> = [
  {
    name: 'the Deployment itself',
    exception: DEPLOYMENT_EXCEPTION,
    object: obj('Deployment', 'web'),
    matched: 'Deployment web',
  },
  {
    name: "the Deployment's ReplicaSet (ownerReference to the Deployment)",
    exception: DEPLOYMENT_EXCEPTION,
    object: obj('ReplicaSet', RS, {
      owner: { kind: 'Deployment', name: 'web' },
      labels: { 'pod-template-hash': HASH },
    }),
    matched: 'Deployment web',
  },
  {
    name: "the Deployment's Pod (ownerReference to <deployment>-<hash>, pod-template-hash label)",
    exception: DEPLOYMENT_EXCEPTION,
    object: obj('Pod', `${RS}-x2k9q`, {
      owner: { kind: 'ReplicaSet', name: RS },
      labels: { 'pod-template-hash': HASH },
    }),
    matched: 'Deployment web',
  },
  {
    name: "a bare Pod named like the Deployment's pod, with the hash label, is NOT covered",
    exception: DEPLOYMENT_EXCEPTION,
    object: obj('Pod', `${RS}-x2k9q`, { labels: { 'pod-template-hash': HASH } }),
    matched: undefined,
  },
  {
    name: 'an ownerReference that is not the controller proves nothing',
    exception: DEPLOYMENT_EXCEPTION,
    object: obj('Pod', `${RS}-x2k9q`, {
      owner: { kind: 'ReplicaSet', name: RS, controller: false },
      labels: { 'pod-template-hash': HASH },
    }),
    matched: undefined,
  },
  {
    name: "a Pod whose ReplicaSet name does not end with its pod-template-hash is not the Deployment's",
    exception: DEPLOYMENT_EXCEPTION,
    object: obj('Pod', 'web-other-x2k9q', {
      owner: { kind: 'ReplicaSet', name: 'web-other' },
      labels: { 'pod-template-hash': HASH },
    }),
    matched: undefined,
  },
  {
    name: 'a Pod named web of another Deployment: kinds and names must match the same owner',
    exception: DEPLOYMENT_EXCEPTION,
    object: obj('Pod', 'web', {
      owner: { kind: 'ReplicaSet', name: `api-${HASH}` },
      labels: { 'pod-template-hash': HASH },
    }),
    matched: undefined,
  },
  {
    name: 'the exception for another namespace does not apply',
    exception: exception('web-legacy', '{ namespaces: [billing], kinds: [Deployment], names: [web] }'),
    object: obj('Pod', `${RS}-x2k9q`, {
      owner: { kind: 'ReplicaSet', name: RS },
      labels: { 'pod-template-hash': HASH },
    }),
    matched: undefined,
  },
  {
    name: 'the exception for its own namespace applies',
    exception: exception('web-legacy', '{ namespaces: [shop], kinds: [Deployment], names: [web] }'),
    object: obj('Pod', `${RS}-x2k9q`, {
      owner: { kind: 'ReplicaSet', name: RS },
      labels: { 'pod-template-hash': HASH },
    }),
    matched: 'Deployment web',
  },
  {
    name: "the CronJob's Job (ownerReference to the CronJob)",
    exception: CRONJOB_EXCEPTION,
    object: obj('Job', 'backup-29412345', { owner: { kind: 'CronJob', name: 'backup' } }),
    matched: 'CronJob backup',
  },
  {
    name: "the CronJob's Pod (ownerReference to <cronjob>-<scheduled minute>)",
    exception: CRONJOB_EXCEPTION,
    object: obj('Pod', 'backup-29412345-abcde', {
      owner: { kind: 'Job', name: 'backup-29412345' },
      labels: { 'batch.kubernetes.io/job-name': 'backup-29412345', 'job-name': 'backup-29412345' },
    }),
    matched: 'CronJob backup',
  },
  {
    name: "a Pod of a Job whose name has no scheduled-minute suffix is not the CronJob's",
    exception: CRONJOB_EXCEPTION,
    object: obj('Pod', 'backup-manual-abcde', { owner: { kind: 'Job', name: 'backup-manual' } }),
    matched: undefined,
  },
  {
    name: "a Job exception reaches the Job's Pod",
    exception: exception('migrate-legacy', '{ kinds: [Job], names: [migrate] }'),
    object: obj('Pod', 'migrate-abcde', { owner: { kind: 'Job', name: 'migrate' } }),
    matched: 'Job migrate',
  },
  {
    name: "a StatefulSet exception reaches the StatefulSet's Pod",
    exception: exception('db-legacy', '{ kinds: [StatefulSet], names: [db] }'),
    object: obj('Pod', 'db-0', { owner: { kind: 'StatefulSet', name: 'db' } }),
    matched: 'StatefulSet db',
  },
  {
    name: "a DaemonSet exception reaches the DaemonSet's Pod",
    exception: exception('agent-legacy', '{ kinds: [DaemonSet], names: [agent] }'),
    object: obj('Pod', 'agent-7xk2p', { owner: { kind: 'DaemonSet', name: 'agent' } }),
    matched: 'DaemonSet agent',
  },
  {
    name: 'a Pod exception still matches the Pod by its own kind and name',
    exception: exception('one-pod', '{ kinds: [Pod], names: ["db-*"] }'),
    object: obj('Pod', 'db-0', { owner: { kind: 'StatefulSet', name: 'db' } }),
    matched: 'Pod db-0',
  },
];

describe('exceptions follow ownership', () => {
  for (const c of cases) {
    test(c.name, () => {
      const set = policySet(POLICY, c.exception);
      const meta = c.object.metadata as { name: string; namespace: string };
      const ev = evaluateObject(
        set,
        {
          object: c.object,
          operation: 'CREATE',
          kind: String(c.object.kind),
          name: meta.name,
          namespace: meta.namespace,
        },
        { now: NOW },
      );
      const status = ev.results.find((r) => r.rule === 'no-bad-container')?.status;
      if (c.matched === undefined) {
        assert.equal(status, 'fail');
        assert.equal(ev.exceptions, undefined);
      } else {
        assert.equal(status, 'skip');
        assert.equal(ev.violations.length, 0);
        assert.equal(ev.exceptions?.length, 1);
        assert.equal(ev.exceptions[0]!.matched, c.matched);
        assert.deepEqual(ev.exceptions[0]!.rules, ['no-bad-container']);
        assert.equal(ev.exceptions[0]!.policy, 'no-bad');
      }
    });
  }
});

test('ownersOf: the controller reference first, then the owner named by the controllers', () => {
  const pod = obj('Pod', `${RS}-x2k9q`, {
    owner: { kind: 'ReplicaSet', name: RS },
    labels: { 'pod-template-hash': HASH },
  });
  assert.deepEqual(ownersOf(pod), [
    { kind: 'ReplicaSet', name: RS },
    { kind: 'Deployment', name: 'web' },
  ]);
  assert.deepEqual(ownersOf(obj('Pod', 'bare')), []);
  // A ReplicaSet named exactly "-<hash>" leaves no Deployment name.
  assert.deepEqual(
    ownersOf(
      obj('Pod', 'x', { owner: { kind: 'ReplicaSet', name: `-${HASH}` }, labels: { 'pod-template-hash': HASH } }),
    ),
    [{ kind: 'ReplicaSet', name: `-${HASH}` }],
  );
});

function podRequest(object: Record<string, unknown>): AdmissionRequest {
  const meta = object.metadata as { name: string; namespace: string };
  return {
    uid: 'd9e4c7a1-0000-4000-8000-000000000002',
    kind: { group: '', version: 'v1', kind: String(object.kind) },
    resource: { group: '', version: 'v1', resource: 'pods' },
    name: meta.name,
    namespace: meta.namespace,
    operation: 'CREATE',
    userInfo: { username: 'system:serviceaccount:kube-system:replicaset-controller' },
    object,
    oldObject: null,
  } as AdmissionRequest;
}

const deploymentPod = obj('Pod', `${RS}-x2k9q`, {
  owner: { kind: 'ReplicaSet', name: RS },
  labels: { 'pod-template-hash': HASH },
});

describe('an applied exception is never silent', () => {
  test('the verdict names it as data and in an audit annotation', () => {
    const set = policySet(POLICY, DEPLOYMENT_EXCEPTION, exception('unused', '{ kinds: [Deployment], names: [api] }'));
    const verdict = createPolicyReviewer(() => set, { now: () => NOW }).review(podRequest(deploymentPod));
    assert.equal(verdict.allowed, true);
    assert.deepEqual(verdict.exceptions, [{ name: 'web-legacy', policy: 'no-bad', rules: ['no-bad-container'] }]);
    assert.deepEqual(verdict.auditAnnotations, { [EXCEPTIONS_ANNOTATION]: 'web-legacy' });
    assert.equal(verdict.warnings, undefined, 'no expiry, no warning');
  });

  test('the audit annotation stays within its bound', () => {
    // 60 rules, each exempted by its own exception: 60 names of 40 bytes do not fit in 1 KiB.
    const rules = Array.from(
      { length: 60 },
      (_, i) => `    - name: r-${i}\n      select: "$.spec.containers[?(@.name == 'bad')]"\n      message: "bad"\n`,
    );
    const many = `apiVersion: policy.shroud.dev/v1
kind: Policy
metadata: { name: no-bad }
spec:
  enforcement: deny
  match: { kinds: [Pod] }
  rules:
${rules.join('')}`;
    const docs = [many];
    for (let i = 0; i < 60; i++)
      docs.push(`apiVersion: policy.shroud.dev/v1
kind: PolicyException
metadata: { name: legacy-exception-with-a-long-name-${String(i).padStart(3, '0')} }
spec:
  policies: [{ name: no-bad, rules: [r-${i}] }]
  match: { kinds: [Deployment], names: [web] }
  reason: legacy
`);
    const set = policySet(...docs);
    const verdict = createPolicyReviewer(() => set, { now: () => NOW, maxAuditAnnotationBytes: 1024 }).review(
      podRequest(deploymentPod),
    );
    assert.equal(verdict.allowed, true);
    assert.equal(verdict.exceptions?.length, 60);
    const value = verdict.auditAnnotations?.[EXCEPTIONS_ANNOTATION] ?? '';
    assert.ok(Buffer.byteLength(value) <= 1024, `${Buffer.byteLength(value)} bytes`);
    assert.match(value, /^legacy-exception-with-a-long-name-000,legacy-exception-with-a-long-name-001,/);
    assert.match(value, /,… and \d+ more$/);
  });

  const expiryCases: Array<{ name: string; now: string; warned: boolean; allowed: boolean }> = [
    // "2026-11-30" is valid through that UTC day: it expires at 2026-12-01T00:00:00Z.
    { name: 'eight days before expiry: no warning', now: '2026-11-23T00:00:00Z', warned: false, allowed: true },
    {
      name: 'a second more than seven days before: no warning',
      now: '2026-11-23T23:59:59Z',
      warned: false,
      allowed: true,
    },
    { name: 'exactly seven days before expiry: a warning', now: '2026-11-24T00:00:00Z', warned: true, allowed: true },
    { name: 'on its last day: a warning', now: '2026-11-30T23:00:00Z', warned: true, allowed: true },
    { name: 'expired: denied, no exception named', now: '2026-12-01T00:00:00Z', warned: false, allowed: false },
  ];
  for (const c of expiryCases) {
    test(`expiry: ${c.name}`, () => {
      const set = policySet(POLICY, exception('web-legacy', '{ kinds: [Deployment], names: [web] }', '2026-11-30'));
      const verdict = createPolicyReviewer(() => set, { now: () => new Date(c.now) }).review(podRequest(deploymentPod));
      assert.equal(verdict.allowed, c.allowed);
      const warning = (verdict.warnings ?? []).find((w) => w.includes('web-legacy'));
      if (c.warned) {
        assert.ok(warning !== undefined, 'a warning names the exception');
        assert.match(warning, /expires 2026-11-30/);
        assert.ok(Buffer.byteLength(warning) <= 256);
      } else assert.equal(warning, undefined);
      assert.equal(verdict.auditAnnotations?.[EXCEPTIONS_ANNOTATION] !== undefined, c.allowed);
    });
  }

  test('the decision log line names the exception', async () => {
    const set = policySet(POLICY, DEPLOYMENT_EXCEPTION);
    const logs = memoryLogger();
    const app = createWebhookApp({
      reviewer: createPolicyReviewer(() => set, { now: () => NOW }),
      mutator: noChangeMutator,
      logger: logs.logger,
      readiness: () => ({ ready: true, checks: {} }),
    });
    const res = await request(app).post('/validate').send(admissionReview(deploymentPod));
    assert.equal(res.status, 200);
    assert.equal(res.body.response.allowed, true);
    assert.deepEqual(res.body.response.auditAnnotations, { [EXCEPTIONS_ANNOTATION]: 'web-legacy' });
    const decision = logs.lines().find((l) => l.msg === 'decision');
    assert.deepEqual(decision?.exceptions, ['web-legacy']);

    const bare = obj('Pod', `${RS}-x2k9q`, { labels: { 'pod-template-hash': HASH } });
    const denied = await request(app).post('/validate').send(admissionReview(bare));
    assert.equal(denied.body.response.allowed, false);
    const second = logs.lines().filter((l) => l.msg === 'decision')[1];
    assert.deepEqual(second?.exceptions, []);
  });

  test('shroud check lists the exceptions per object in json, text and sarif', async () => {
    const dir = tempDir();
    const policies = join(dir, 'policies');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(policies);
    writeFileSync(join(policies, 'no-bad.yaml'), POLICY);
    writeFileSync(join(policies, 'web-legacy.yaml'), DEPLOYMENT_EXCEPTION);
    const manifest = join(dir, 'app.yaml');
    writeFileSync(
      manifest,
      `${JSON.stringify(obj('Deployment', 'web'))}\n---\n${JSON.stringify(obj('Deployment', 'api'))}\n`,
    );

    const json = await runCli(['check', '--output', 'json', '--policies', policies, manifest]);
    assert.equal(json.code, 1, json.stderr);
    const report = JSON.parse(json.stdout) as {
      results: Array<{ name: string; allowed: boolean; exceptions: unknown }>;
    };
    assert.deepEqual(
      report.results.map((r) => [r.name, r.allowed, r.exceptions]),
      [
        [
          'web',
          true,
          [
            {
              name: 'web-legacy',
              policy: 'no-bad',
              rules: ['no-bad-container'],
              matched: 'Deployment web',
              expires: null,
            },
          ],
        ],
        ['api', false, []],
      ],
    );

    const text = await runCli(['check', '--policies', policies, manifest]);
    assert.match(
      text.stdout,
      /Deployment shop\/web \(document 0\): allowed \(exception\)\n {4}exception web-legacy \[no-bad\/no-bad-container\] via Deployment web\n/,
    );

    const sarif = await runCli(['check', '--output', 'sarif', '--policies', policies, manifest]);
    const run = (
      JSON.parse(sarif.stdout) as {
        runs: Array<{
          invocations: Array<{ toolExecutionNotifications: Array<{ level: string; message: { text: string } }> }>;
        }>;
      }
    ).runs[0]!;
    assert.deepEqual(
      run.invocations[0]!.toolExecutionNotifications.map((n) => [n.level, n.message.text]),
      [['note', 'Deployment shop/web (document 0): exception web-legacy [no-bad/no-bad-container] via Deployment web']],
    );
  });
});
