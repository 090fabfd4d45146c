import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import * as shroud from '../src/index.js';

test('the library API evaluates, seals and decodes without the server or the CLI', async () => {
  const { value: set, issues } = shroud.parsePolicyFiles([
    {
      file: 'inline.yaml',
      text: [
        'apiVersion: policy.shroud.dev/v1',
        'kind: Policy',
        'metadata: {name: no-host-path}',
        'spec:',
        '  enforcement: deny',
        '  match: {kinds: [Pod]}',
        '  rules:',
        '    - name: host-path',
        '      select: "$.spec.volumes[*]"',
        '      when: [{path: "$.hostPath", exists: true}]',
        '      message: "volume {{item.name}} mounts the node filesystem"',
      ].join('\n'),
    },
  ]);
  assert.deepEqual(issues, []);
  const pod = {
    kind: 'Pod',
    metadata: { name: 'p' },
    spec: { containers: [], volumes: [{ name: 'root', hostPath: { path: '/' } }] },
  };
  const evaluation = shroud.evaluateObject(set, { object: pod, kind: 'Pod', operation: 'CREATE' }, { now: new Date() });
  assert.deepEqual(
    evaluation.violations.map((v) => [v.policy, v.rule]),
    [['no-host-path', 'host-path']],
  );

  const keyring = shroud.createKeyring();
  const provider = new shroud.LocalKeyringProvider(keyring);
  const context = { namespace: 'shop', serviceAccount: 'web', name: 'db', key: 'password' };
  const sealed = await shroud.sealValue('hunter2-but-longer', { scope: 'strict', context, provider });
  assert.match(sealed, /^shroud:v1:/);
  const opened = await shroud.openValue(sealed, { provider, expected: context });
  assert.equal(opened.plaintext.toString('utf8'), 'hunter2-but-longer');

  assert.throws(
    () => shroud.decodeReview([]),
    (err: unknown) => shroud.isShroudError(err, 'ADMISSION_REVIEW_INVALID'),
  );
});
