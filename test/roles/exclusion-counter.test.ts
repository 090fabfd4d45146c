import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { AdmissionRequest, KubeObject } from '../../src/admission/index.js';
import { createPolicyReviewer, loadPolicyDir } from '../../src/policy/index.js';
import { countExclusions } from '../../src/roles/exclusion-counter.js';

function create(object: KubeObject): AdmissionRequest {
  const meta = object.metadata as { name: string; namespace?: string };
  return {
    uid: 'u',
    kind: { group: '', version: 'v1', kind: String(object.kind) },
    resource: { group: '', version: 'v1', resource: 'pods' },
    name: meta.name,
    namespace: meta.namespace,
    operation: 'CREATE',
    userInfo: { username: 'system:serviceaccount:kube-system:daemon-set-controller' },
    object,
  };
}

const hostPathPod = (namespace: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'kube-proxy-x', namespace },
  spec: {
    containers: [{ name: 'kube-proxy', volumeMounts: [{ name: 'lock', mountPath: '/run/xtables.lock' }] }],
    volumes: [{ name: 'lock', hostPath: { path: '/run/xtables.lock' } }],
  },
});

test('excluded requests are counted per exclusion for /readyz; judged ones are not', async () => {
  const { value, issues } = await loadPolicyDir('policies');
  assert.deepEqual(issues, []);
  const { reviewer, counts } = countExclusions(createPolicyReviewer(() => value));
  assert.deepEqual(counts(), {});
  for (let i = 0; i < 3; i++) assert.equal((await reviewer.review(create(hostPathPod('kube-system')))).allowed, true);
  const judged = await reviewer.review(create(hostPathPod('shop')));
  assert.equal(judged.allowed, false, 'the same pod outside the excluded namespaces is denied');
  const seen = counts();
  assert.equal(Object.keys(seen).length, 1);
  assert.equal(Object.values(seen)[0], 3);
  assert.match(Object.keys(seen)[0]!, /kube-system|system/);
});
