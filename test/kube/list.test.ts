import { strict as assert } from 'node:assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { isShroudError } from '../../src/errors.js';
import { createListClient, type ListTarget } from '../../src/kube/index.js';
import { type FakeListApiServer, startFakeListApiServer } from '../helpers/fake-list-apiserver.js';
import { SCAN_FIXTURES, SCAN_ROUTES } from '../helpers/scan-routes.js';
import { tempDir } from '../helpers/temp-dir.js';

let api: FakeListApiServer;
let dir: string;
before(async () => {
  dir = tempDir('kube-list-');
  api = await startFakeListApiServer(dir, SCAN_FIXTURES, SCAN_ROUTES);
});
after(async () => {
  await api.close();
});

const DISCOVERIES: { name: string; group: string; kind: string; expected: unknown }[] = [
  {
    name: 'a served kind: its resource, not a subresource of the same kind',
    group: 'argoproj.io',
    kind: 'Rollout',
    expected: { found: { group: 'argoproj.io', version: 'v1alpha1', resource: 'rollouts', kind: 'Rollout' } },
  },
  {
    name: 'a served group without the kind',
    group: 'argoproj.io',
    kind: 'AnalysisTemplate',
    expected: { missing: 'argoproj.io/v1alpha1 has no resource of kind AnalysisTemplate' },
  },
  {
    name: 'a group the API server does not serve',
    group: 'keda.sh',
    kind: 'ScaledJob',
    expected: { missing: 'the API server does not serve the group keda.sh' },
  },
];

for (const d of DISCOVERIES) {
  test(`discover: ${d.name}`, async () => {
    const client = createListClient({ kubeconfigPath: api.kubeconfig });
    try {
      assert.deepEqual(await client.discover(d.group, d.kind), d.expected);
    } finally {
      client.close();
    }
  });
}

test('listAll hands over every page in order, kind and apiVersion filled in, at the page size asked', async () => {
  const client = createListClient({ kubeconfigPath: api.kubeconfig, pageSize: 2, concurrency: 2 });
  const targets: ListTarget[] = [
    { group: '', version: 'v1', resource: 'pods', kind: 'Pod' },
    { group: 'apps', version: 'v1', resource: 'deployments', kind: 'Deployment' },
  ];
  const pages = new Map<string, string[][]>();
  try {
    const results = await client.listAll(targets, {
      onPage: (t, items) => {
        for (const i of items) assert.deepEqual([i.apiVersion, i.kind], [t.group === '' ? 'v1' : 'apps/v1', t.kind]);
        pages.set(t.resource, [
          ...(pages.get(t.resource) ?? []),
          items.map((i) => (i.metadata as { name: string }).name),
        ]);
      },
      onRestart: () => assert.fail('no restart expected'),
    });
    assert.deepEqual(
      results.map((r) => [r.target.resource, r.items, r.pages, r.restarts]),
      [
        ['pods', 6, 3, 0],
        ['deployments', 4, 1, 0],
      ],
    );
  } finally {
    client.close();
  }
  assert.deepEqual(pages.get('pods'), [
    ['web-7d4b9c8f6d-x2k9q', 'web-7d4b9c8f6d-p8m4z'],
    ['api-5c9f8b7d6-abcde', 'worker-6b7c8d9f5-qrstu'],
    ['legacy-84c6d5f7b9-kk2lp', 'kube-proxy-8xk2p'],
  ]);
  assert.ok(api.requests.filter((q) => q.path === '/api/v1/pods').every((q) => q.query.get('limit') === '2'));
});

test('a credential the API server rejects is KUBE_REQUEST_REFUSED, naming the resource and not the credential', async () => {
  const config = JSON.parse(readFileSync(api.kubeconfig, 'utf8')) as { users: { user: { token: string } }[] };
  const wrong = 'wrong-credential-7c1f';
  config.users[0]!.user.token = wrong;
  const path = join(dir, 'wrong-kubeconfig');
  writeFileSync(path, JSON.stringify(config), { mode: 0o600 });
  const client = createListClient({ kubeconfigPath: path });
  try {
    await assert.rejects(
      client.listAll([{ group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap' }], {
        onPage: () => assert.fail('no page expected'),
        onRestart: () => assert.fail('no restart expected'),
      }),
      (err: unknown) =>
        isShroudError(err) &&
        err.code === 'KUBE_REQUEST_REFUSED' &&
        /HTTP 401; the credentials need list on configmaps/.test(err.message) &&
        !err.message.includes(wrong),
    );
  } finally {
    client.close();
  }
});
