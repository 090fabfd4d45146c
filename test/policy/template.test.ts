import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { compileSelector, type PathSegment } from '../../src/policy/selector.js';
import { compileTemplate } from '../../src/policy/template.js';
import type { MessageContext } from '../../src/policy/types.js';

function names(select: string): readonly string[] {
  const r = compileSelector(select);
  if ('error' in r) throw new Error(r.error);
  return r.selector.names;
}

const rejected: Array<{ name: string; select: string; template: string; error: RegExp }> = [
  {
    name: 'an env value',
    select: '$.spec.containers[*].env[*]',
    template: '{{item.value}}',
    error: /\{\{item\.value\}\} could print a value/,
  },
  { name: 'anything under data', select: '$.data', template: '{{item.password}}', error: /could print a value/ },
  { name: 'a whole ConfigMap value', select: '$.data.*', template: '{{item}}', error: /could print a value/ },
  {
    name: 'a whole item under a wildcard',
    select: '$.spec.containers[*]',
    template: '{{item}}',
    error: /could print a value/,
  },
  { name: 'annotations', select: '$.metadata', template: '{{item.annotations.note}}', error: /could print a value/ },
  { name: 'container args', select: '$.spec.containers[*]', template: '{{item.args}}', error: /could print a value/ },
  { name: 'recursive descent', select: '$..env[*]', template: '{{item.name}}', error: /could print a value/ },
  { name: 'stringData', select: '$.stringData', template: '{{item.token}}', error: /could print a value/ },
  {
    name: 'an unknown variable',
    select: '$',
    template: '{{namespce}}',
    error: /^unknown variable \{\{namespce\}\}; use one of \{\{policy\}\}/,
  },
  {
    name: 'an item field that is not a name',
    select: '$.spec',
    template: '{{item.a[0]}}',
    error: /item fields are plain names/,
  },
];
for (const c of rejected) {
  test(`template rejected at load: ${c.name}`, () => {
    const r = compileTemplate(c.template, [names(c.select)]);
    assert.ok('errors' in r, 'expected the template to be rejected');
    assert.equal(r.errors.length, 1);
    assert.match(r.errors[0]!, c.error);
  });
}

function context(itemPath: PathSegment[], item: unknown, object: unknown = {}): MessageContext {
  return {
    policy: 'p',
    rule: 'r',
    kind: 'Deployment',
    name: 'web',
    namespace: 'shop',
    operation: 'CREATE',
    object,
    item,
    itemPath,
    findings: [
      { detector: 'private-key', confidence: 'high', key: 'k', line: 3, description: 'a PEM private key' },
      { detector: 'private-key', confidence: 'high', key: 'k', description: 'a PEM private key' },
    ],
  };
}

const rendered: Array<{ name: string; select: string; template: string; ctx: MessageContext; expected: string }> = [
  {
    name: 'names, kinds and paths',
    select: '$.spec.containers[*].env[*]',
    template: '{{kind}} {{namespace}}/{{name}} {{operation}} [{{policy}}/{{rule}}] {{path}} {{key}} {{item.name}}',
    ctx: context(['spec', 'containers', 0, 'env', 2], { name: 'DB', value: 'no' }),
    expected: 'Deployment shop/web CREATE [p/r] spec.containers[0].env[2] env DB',
  },
  {
    name: 'a list prints comma-separated, an object prints nothing',
    select: '$.rules[*]',
    template: '{{item.verbs}}|{{item.meta}}|{{item.missing}}',
    ctx: context(['rules', 0], { verbs: ['get', 'list'], meta: { a: 1 } }),
    expected: 'get, list||',
  },
  {
    name: 'the container holding the item',
    select: '$.spec.template.spec.initContainers[*].env[*]',
    template: '{{container}}',
    ctx: context(
      ['spec', 'template', 'spec', 'initContainers', 1, 'env', 0],
      {},
      { spec: { template: { spec: { initContainers: [{ name: 'a' }, { name: 'migrate' }] } } } },
    ),
    expected: 'migrate',
  },
  {
    name: 'findings: distinct detectors, descriptions, first line',
    select: '$.data.*',
    template: '{{key}}: {{finding.detector}} / {{finding.description}} / {{finding.line}}',
    ctx: context(['data', 'tls.key'], 'x'),
    expected: 'tls.key: private-key / a PEM private key / 3',
  },
  {
    name: 'a wildcard that reaches a value field at run time is hidden',
    select: '$.*',
    template: '{{item.password}}',
    ctx: context(['data'], { password: 'CANARY-0d3f' }),
    expected: '[hidden]',
  },
  {
    name: 'a multi-line template renders as one line',
    select: '$.rules[*]',
    template: 'first line\n  second\tline\r\n',
    ctx: context(['rules', 0], {}),
    expected: 'first line second line',
  },
];
for (const c of rendered) {
  test(`template renders: ${c.name}`, () => {
    const r = compileTemplate(c.template, [names(c.select)]);
    assert.ok('template' in r, 'errors' in r ? r.errors.join('; ') : '');
    assert.equal(r.template.render(c.ctx), c.expected);
  });
}
