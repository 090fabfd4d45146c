import { strict as assert } from 'node:assert';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import type { AdmissionRequest, KubeObject, ReviewVerdict } from '../../src/admission/types.js';
import {
  applyEnforcementOverride,
  createPolicyReviewer,
  type EnforcementOverride,
  type Evaluation,
  parsePolicyFiles,
  type PolicySet,
  WOULD_DENY_PREFIX,
} from '../../src/policy/index.js';

const AUDIT_POLICY = `apiVersion: policy.shroud.dev/v1
kind: Policy
metadata: {name: audit-latest}
spec:
  enforcement: audit
  match: {kinds: [Pod]}
  rules:
    - name: latest-tag
      select: "$.spec.containers[*]"
      when:
        - {path: "$.image", matches: ":latest$"}
      message: container {{item.name}} uses a latest tag
`;
const builtinFiles = await Promise.all(
  (await readdir('policies'))
    .filter((f) => f.endsWith('.yaml'))
    .map(async (file) => ({ file, text: await readFile(join('policies', file), 'utf8') })),
);
const parsed = parsePolicyFiles([...builtinFiles, { file: 'audit.yaml', text: AUDIT_POLICY }]);
assert.deepEqual(parsed.issues, []);
const WITH_AUDIT: PolicySet = parsed.value;

function request(object: KubeObject): AdmissionRequest {
  const kind = String(object.kind);
  return {
    uid: '0b6f1c9e-1d2f-4c8e-9f0a-2a5b7c9d1e3f',
    kind: { group: '', version: 'v1', kind },
    resource: { group: '', version: 'v1', resource: `${kind.toLowerCase()}s` },
    name: 'web',
    namespace: 'shop',
    operation: 'CREATE',
    userInfo: { username: 'dev@example.com', groups: ['system:authenticated'] },
    object,
  };
}

const secretEnvPod: KubeObject = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', namespace: 'shop' },
  spec: {
    containers: [
      {
        name: 'app',
        image: 'nginx:latest',
        env: [{ name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } }],
      },
    ],
  },
};
const getAllSecrets: KubeObject = {
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'ClusterRole',
  metadata: { name: 'reader' },
  rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }],
};

const SECRET_ENV = '[disallow-secret-env/secret-env-var] spec.containers[0].env[0]: ';
const LATEST = '[audit-latest/latest-tag] spec.containers[0]: container app uses a latest tag';
const GET_ALL = '[restrict-secret-rbac/get-all-secrets] rules[0]: get on all secrets reads any Secret by name';

/** The verdict's shape, with each line cut to what the case names. */
function shape(v: ReviewVerdict): Record<string, unknown> {
  return {
    allowed: v.allowed,
    message: v.message?.split('; env vars')[0],
    warnings: v.warnings?.map((w) => w.split('; ')[0]),
    auditAnnotations:
      v.auditAnnotations === undefined
        ? undefined
        : Object.fromEntries(Object.entries(v.auditAnnotations).map(([k, a]) => [k, a.split('; ')[0]])),
  };
}

const cases: Array<{
  name: string;
  override: EnforcementOverride | undefined;
  object: KubeObject;
  expected: Record<string, unknown>;
}> = [
  {
    name: 'no override: a Secret env var is denied, the audit rule annotates',
    override: undefined,
    object: secretEnvPod,
    expected: {
      allowed: false,
      message: `${SECRET_ENV}container "app" reads key "password" of Secret "db" into env var DB_PASSWORD`,
      warnings: undefined,
      auditAnnotations: { 'audit-latest': LATEST },
    },
  },
  {
    name: 'warn: the Secret env var pod is allowed with a warning that says it would be denied; audit stays audit',
    override: 'warn',
    object: secretEnvPod,
    expected: {
      allowed: true,
      message: undefined,
      warnings: [
        `${SECRET_ENV}${WOULD_DENY_PREFIX}container "app" reads key "password" of Secret "db" into env var DB_PASSWORD`,
      ],
      auditAnnotations: { 'audit-latest': LATEST },
    },
  },
  {
    name: 'audit: the Secret env var pod is allowed with an audit annotation and no warning',
    override: 'audit',
    object: secretEnvPod,
    expected: {
      allowed: true,
      message: undefined,
      warnings: undefined,
      auditAnnotations: {
        'disallow-secret-env': `${SECRET_ENV}${WOULD_DENY_PREFIX}container "app" reads key "password" of Secret "db" into env var DB_PASSWORD`,
        'audit-latest': LATEST,
      },
    },
  },
  {
    name: 'warn: a warn rule still warns, without the would-deny prefix',
    override: 'warn',
    object: getAllSecrets,
    expected: { allowed: true, message: undefined, warnings: [GET_ALL], auditAnnotations: undefined },
  },
  {
    name: 'audit: a warn rule becomes an audit annotation',
    override: 'audit',
    object: getAllSecrets,
    expected: {
      allowed: true,
      message: undefined,
      warnings: undefined,
      auditAnnotations: { 'restrict-secret-rbac': GET_ALL },
    },
  },
];

for (const c of cases) {
  test(`enforcement override: ${c.name}`, () => {
    const reviewer = createPolicyReviewer(() => WITH_AUDIT, { enforcementOverride: c.override });
    assert.deepEqual(shape(reviewer.review(request(c.object))), c.expected);
  });
}

test('enforcement override: counts left out are capped too, and the evaluation given is not changed', () => {
  const evaluation: Evaluation = {
    results: [{ policy: 'p', rule: 'r', enforcement: 'deny', status: 'fail' }],
    violations: [{ policy: 'p', rule: 'r', enforcement: 'deny', path: 'spec', message: 'm', location: ['spec'] }],
    omitted: [{ policy: 'p', rule: 'r', enforcement: 'deny', count: 3 }],
    notices: [],
  };
  const before = structuredClone(evaluation);
  const audited = applyEnforcementOverride(evaluation, 'audit');
  assert.deepEqual(evaluation, before);
  assert.deepEqual(
    [audited.results[0]?.enforcement, audited.violations[0]?.enforcement, audited.omitted[0]?.enforcement],
    ['audit', 'audit', 'audit'],
  );
  assert.equal(audited.violations[0]?.message, `${WOULD_DENY_PREFIX}m`);
});
