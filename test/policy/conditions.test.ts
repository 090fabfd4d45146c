import { generateKeyPairSync } from 'node:crypto';
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { compileCondition, isUnderPrefix, type Operator } from '../../src/policy/conditions.js';
import { compileSelector } from '../../src/policy/selector.js';

// Real key material: the private-key detector wants an actual base64 body, not just the markers.
const PEM_KEY = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

function check(operator: Operator, arg: unknown, path: string, item: unknown, root: unknown = {}): boolean {
  const sel = compileSelector(path);
  if ('error' in sel) throw new Error(sel.error);
  const c = compileCondition(operator, arg, sel.selector);
  if ('error' in c) throw new Error(c.error);
  return c.condition.test(item, [], { root, findings: [] });
}

const role = {
  verbs: ['get', 'list'],
  resources: ['secrets'],
  apiGroups: [''],
  resourceNames: [],
  flag: false,
  count: 0,
  none: null,
};
const cases: Array<{
  name: string;
  operator: Operator;
  arg: unknown;
  path: string;
  item?: unknown;
  expected: boolean;
}> = [
  { name: 'exists: a present list element', operator: 'exists', arg: true, path: '$.verbs[*]', expected: true },
  {
    name: 'exists: an empty list has no elements',
    operator: 'exists',
    arg: true,
    path: '$.resourceNames[*]',
    expected: false,
  },
  { name: 'exists: false and zero are present', operator: 'exists', arg: true, path: '$.flag', expected: true },
  { name: 'exists: null is not present', operator: 'exists', arg: true, path: '$.none', expected: false },
  { name: 'exists: false means absent', operator: 'exists', arg: false, path: '$.missing', expected: true },
  { name: 'absent: no match', operator: 'absent', arg: true, path: '$.resourceNames[*]', expected: true },
  { name: 'absent: a match', operator: 'absent', arg: true, path: '$.verbs[*]', expected: false },
  { name: 'equals: any match', operator: 'equals', arg: 'list', path: '$.verbs[*]', expected: true },
  { name: 'equals: numbers are not strings', operator: 'equals', arg: '0', path: '$.count', expected: false },
  { name: 'equals: the empty string', operator: 'equals', arg: '', path: '$.apiGroups[*]', expected: true },
  { name: 'anyOf: case-sensitive', operator: 'anyOf', arg: ['LIST', 'Get'], path: '$.verbs[*]', expected: false },
  { name: 'anyOf: one of several', operator: 'anyOf', arg: ['watch', 'list'], path: '$.verbs[*]', expected: true },
  { name: 'noneOf: none present', operator: 'noneOf', arg: ['watch', '*'], path: '$.verbs[*]', expected: true },
  { name: 'noneOf: one present', operator: 'noneOf', arg: ['list'], path: '$.verbs[*]', expected: false },
  { name: 'noneOf: no matches at all', operator: 'noneOf', arg: ['x'], path: '$.missing[*]', expected: true },
  { name: 'matches: a regular expression', operator: 'matches', arg: '^sec', path: '$.resources[*]', expected: true },
  { name: 'matches: only strings', operator: 'matches', arg: '0', path: '$.count', expected: false },
  {
    name: 'under: whole segments',
    operator: 'under',
    arg: ['/var/log'],
    path: '$',
    item: '/var/log/app',
    expected: true,
  },
  {
    name: 'under: not a segment boundary',
    operator: 'under',
    arg: ['/var/log'],
    path: '$',
    item: '/var/logs',
    expected: false,
  },
  {
    name: 'notUnder: an empty list covers nothing',
    operator: 'notUnder',
    arg: [],
    path: '$',
    item: '/',
    expected: true,
  },
  {
    name: 'notUnder: an allowed path',
    operator: 'notUnder',
    arg: ['/var/log/'],
    path: '$',
    item: '/var/log',
    expected: false,
  },
  {
    name: 'detector: a private key',
    operator: 'detector',
    arg: 'private-key',
    path: '$',
    item: PEM_KEY,
    expected: true,
  },
  {
    name: 'detector: high covers every high detector',
    operator: 'detector',
    arg: 'high',
    path: '$',
    item: PEM_KEY.replaceAll('PRIVATE KEY', 'RSA PRIVATE KEY'),
    expected: true,
  },
  {
    name: 'detector: a list of names',
    operator: 'detector',
    arg: ['secret-named-key'],
    path: '$',
    item: 'plain',
    expected: false,
  },
  { name: 'noDetector: nothing found', operator: 'noDetector', arg: 'high', path: '$', item: 'hello', expected: true },
  {
    name: 'noDetector: something found',
    operator: 'noDetector',
    arg: 'high',
    path: '$',
    item: PEM_KEY,
    expected: false,
  },
];
for (const c of cases) {
  test(`condition ${c.name}`, () => {
    assert.equal(check(c.operator, c.arg, c.path, c.item ?? role), c.expected);
  });
}

const podRoot = {
  spec: {
    containers: [{ name: 'a', volumeMounts: [{ name: 'logs', readOnly: true }] }],
    initContainers: [{ name: 'i', volumeMounts: [{ name: 'logs', readOnly: 'true' }] }],
    volumes: [
      { name: 'logs', hostPath: { path: '/var/log' } },
      { name: 'ro', hostPath: { path: '/x' } },
    ],
  },
};
test('condition writableMount: readOnly must be the boolean true in every container kind', () => {
  assert.equal(check('writableMount', true, '$.name', { name: 'logs' }, podRoot), true);
  assert.equal(check('writableMount', true, '$.name', { name: 'ro' }, podRoot), false);
  assert.equal(check('writableMount', false, '$.name', { name: 'ro' }, podRoot), true);
});

test('isUnderPrefix: segment-wise, "/" covers every absolute path, back-steps cover nothing', () => {
  assert.deepEqual(
    [
      isUnderPrefix('/var/log', '/var/log'),
      isUnderPrefix('/var/log/a/b', '/var/log'),
      isUnderPrefix('/var/logs', '/var/log'),
      isUnderPrefix('/var', '/var/log'),
      isUnderPrefix('/anything', '/'),
      isUnderPrefix('/etc/ssl', '/etc/ssl//'),
      isUnderPrefix('/var/log/../../etc', '/var/log'),
    ],
    [true, true, false, false, true, true, false],
  );
});

test('compileCondition: invalid arguments are sentences with the field', () => {
  const sel = compileSelector('$');
  assert.ok('selector' in sel);
  assert.deepEqual(compileCondition('under', ['var/log'], sel.selector), {
    error: 'prefix "var/log" must be an absolute path',
    code: 'POLICY_SCHEMA_INVALID',
    field: 'under',
  });
  const unknown = compileCondition('detector', 'jwtt', sel.selector);
  assert.ok('error' in unknown && unknown.code === 'POLICY_DETECTOR_UNKNOWN');
});
