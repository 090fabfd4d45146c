import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { secretReaders, selectorMatches } from '../../src/cli/scan-rbac.js';

type Obj = Record<string, unknown>;

function clusterRole(
  name: string,
  rules: unknown[] | undefined,
  labels: Record<string, string> = {},
  agg?: unknown[],
): Obj {
  return {
    metadata: { name, labels },
    ...(rules === undefined ? {} : { rules }),
    ...(agg === undefined ? {} : { aggregationRule: { clusterRoleSelectors: agg } }),
  };
}

function crb(name: string, role: string, subjects: unknown[]): Obj {
  return { metadata: { name }, roleRef: { kind: 'ClusterRole', name: role }, subjects };
}

const USER = { kind: 'User', name: 'u' };

const CASES: {
  name: string;
  clusterRoles: Obj[];
  roles?: Obj[];
  roleBindings?: Obj[];
  bindings?: Obj[];
  expected: { who: string; ns: string; verbs: string[]; names: string[] | null; from?: string[] }[];
}[] = [
  {
    name: 'resources * and apiGroups * read Secrets; write verbs do not count',
    clusterRoles: [clusterRole('r', [{ apiGroups: ['*'], resources: ['*'], verbs: ['get', 'create', 'delete'] }])],
    bindings: [crb('b', 'r', [USER])],
    expected: [{ who: 'User u', ns: '*', verbs: ['get'], names: null }],
  },
  {
    name: 'another API group, or only write verbs, grant no reading',
    clusterRoles: [
      clusterRole('r', [
        { apiGroups: ['apps'], resources: ['secrets'], verbs: ['get'] },
        { apiGroups: [''], resources: ['secrets'], verbs: ['create', 'update'] },
        { apiGroups: [''], resources: ['configmaps'], verbs: ['list'] },
      ]),
    ],
    bindings: [crb('b', 'r', [USER])],
    expected: [],
  },
  {
    name: 'aggregation by matchExpressions, transitively, and a cycle ends',
    clusterRoles: [
      clusterRole('top', undefined, {}, [{ matchExpressions: [{ key: 'tier', operator: 'In', values: ['mid'] }] }]),
      clusterRole('mid', [], { tier: 'mid' }, [{ matchLabels: { tier: 'leaf' } }]),
      clusterRole('leaf', [{ apiGroups: [''], resources: ['secrets'], verbs: ['watch'] }], { tier: 'leaf' }, [
        { matchLabels: { tier: 'mid' } },
      ]),
      clusterRole('other', [{ apiGroups: [''], resources: ['secrets'], verbs: ['list'] }], { tier: 'none' }),
    ],
    bindings: [crb('b', 'top', [USER])],
    expected: [{ who: 'User u', ns: '*', verbs: ['watch'], names: null, from: ['leaf'] }],
  },
  {
    name: 'a RoleBinding to a ClusterRole reads in its namespace; resourceNames are kept apart; SA namespace defaults',
    clusterRoles: [
      clusterRole('r', [
        { apiGroups: [''], resources: ['secrets'], verbs: ['get'], resourceNames: ['b', 'a'] },
        { apiGroups: [''], resources: ['secrets'], verbs: ['list'] },
      ]),
    ],
    roleBindings: [
      {
        metadata: { name: 'rb', namespace: 'ns1' },
        roleRef: { kind: 'ClusterRole', name: 'r' },
        subjects: [{ kind: 'ServiceAccount', name: 'sa' }],
      },
    ],
    expected: [
      { who: 'ServiceAccount ns1/sa', ns: 'ns1', verbs: ['get'], names: ['a', 'b'] },
      { who: 'ServiceAccount ns1/sa', ns: 'ns1', verbs: ['list'], names: null },
    ],
  },
  {
    name: 'an empty name in resourceNames: list and watch read every Secret, get reads only the named ones',
    clusterRoles: [
      clusterRole('r', [
        { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list'], resourceNames: ['', 'tls'] },
      ]),
      clusterRole('g', [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'], resourceNames: [''] }]),
    ],
    bindings: [crb('b', 'r', [USER]), crb('c', 'g', [USER])],
    expected: [
      { who: 'User u', ns: '*', verbs: ['get', 'list'], names: ['tls'] },
      { who: 'User u', ns: '*', verbs: ['list'], names: null },
    ],
  },
  {
    name: 'bindings to missing roles grant nothing; a Role is looked up in the binding namespace',
    clusterRoles: [],
    roles: [
      { metadata: { name: 'r', namespace: 'ns2' }, rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['*'] }] },
    ],
    roleBindings: [
      { metadata: { name: 'x', namespace: 'ns1' }, roleRef: { kind: 'Role', name: 'r' }, subjects: [USER] },
      { metadata: { name: 'y', namespace: 'ns2' }, roleRef: { kind: 'Role', name: 'r' }, subjects: [USER] },
    ],
    bindings: [crb('gone', 'missing', [USER])],
    expected: [{ who: 'User u', ns: 'ns2', verbs: ['*'], names: null }],
  },
];

for (const c of CASES) {
  test(`secretReaders: ${c.name}`, () => {
    const rows = secretReaders(c.roles ?? [], c.clusterRoles, c.roleBindings ?? [], c.bindings ?? []);
    assert.deepEqual(
      rows.map((r) => ({
        who:
          r.subject.kind === 'ServiceAccount'
            ? `ServiceAccount ${r.subject.namespace}/${r.subject.name}`
            : `${r.subject.kind} ${r.subject.name}`,
        ns: r.namespace,
        verbs: r.verbs,
        names: r.resourceNames,
        ...(r.aggregatedFrom.length > 0 ? { from: r.aggregatedFrom } : {}),
      })),
      c.expected,
    );
  });
}

test('selectorMatches: matchLabels and each matchExpressions operator', () => {
  const labels = { a: '1', b: '2' };
  const table: [string, unknown, boolean][] = [
    ['empty selector', {}, true],
    ['matchLabels hit', { matchLabels: { a: '1' } }, true],
    ['matchLabels miss', { matchLabels: { a: '2' } }, false],
    ['In', { matchExpressions: [{ key: 'b', operator: 'In', values: ['2', '3'] }] }, true],
    ['NotIn', { matchExpressions: [{ key: 'b', operator: 'NotIn', values: ['2'] }] }, false],
    ['Exists', { matchExpressions: [{ key: 'c', operator: 'Exists' }] }, false],
    ['DoesNotExist', { matchExpressions: [{ key: 'c', operator: 'DoesNotExist' }] }, true],
    ['unknown operator', { matchExpressions: [{ key: 'a', operator: 'Gt', values: ['0'] }] }, false],
  ];
  for (const [name, selector, expected] of table) assert.equal(selectorMatches(selector, labels), expected, name);
});
