import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import {
  createKeyring,
  LocalKeyringProvider,
  openValue,
  sealValue,
  type KekProvider,
  type ScopeContext,
} from '../../src/crypto/index.js';
import { rejectsWithCode } from '../helpers/crypto.js';

const keyring = createKeyring();
const local = new LocalKeyringProvider(keyring);
let unwraps = 0;
const provider: KekProvider = {
  id: local.id,
  wrap: (r) => local.wrap(r),
  unwrap: (r) => {
    unwraps++;
    return local.unwrap(r);
  },
  status: () => local.status(),
};
const context: Required<ScopeContext> = {
  namespace: 'team-a',
  serviceAccount: 'web',
  name: 'web-config',
  key: 'API_TOKEN',
};

const mismatches: { name: string; field: keyof ScopeContext; value: string }[] = [
  { name: 'other namespace', field: 'namespace', value: 'team-b' },
  { name: 'other service account', field: 'serviceAccount', value: 'default' },
  { name: 'other ConfigMap name', field: 'name', value: 'other-config' },
  { name: 'other key', field: 'key', value: 'API_TOKEN_2' },
];

for (const m of mismatches) {
  test(`strict scope: ${m.name} fails with CRYPTO_SCOPE_MISMATCH`, async () => {
    const sealed = await sealValue('v', { scope: 'strict', context, provider });
    await rejectsWithCode(
      openValue(sealed, { provider, expected: { ...context, [m.field]: m.value } }),
      'CRYPTO_SCOPE_MISMATCH',
    );
  });
}

test('namespace scope: opens for any account, name and key in the namespace, not in another', async () => {
  const sealed = await sealValue('v', { scope: 'namespace', context: { namespace: 'team-a' }, provider });
  const opened = await openValue(sealed, {
    provider,
    expected: { namespace: 'team-a', serviceAccount: 'x', name: 'y', key: 'z' },
  });
  assert.equal(opened.plaintext.toString(), 'v');
  assert.equal(opened.scope, 'namespace');
  await rejectsWithCode(
    openValue(sealed, { provider, expected: { ...context, namespace: 'team-b' } }),
    'CRYPTO_SCOPE_MISMATCH',
  );
});

test('cluster scope opens anywhere', async () => {
  const sealed = await sealValue('v', { scope: 'cluster', context: {}, provider });
  assert.equal((await openValue(sealed, { provider, expected: {} })).plaintext.toString(), 'v');
  assert.equal((await openValue(sealed, { provider, expected: context })).plaintext.toString(), 'v');
});

test('fields are length-prefixed: moving characters between fields does not match', async () => {
  const sealed = await sealValue('v', {
    scope: 'strict',
    context: { ...context, namespace: 'ab', serviceAccount: 'c' },
    provider,
  });
  await rejectsWithCode(
    openValue(sealed, { provider, expected: { ...context, namespace: 'a', serviceAccount: 'bc' } }),
    'CRYPTO_SCOPE_MISMATCH',
  );
});

test('an opener missing a field the scope binds gets CRYPTO_SCOPE_INVALID before any provider call', async () => {
  const sealed = await sealValue('v', { scope: 'strict', context, provider });
  const before = unwraps;
  await rejectsWithCode(
    openValue(sealed, { provider, expected: { namespace: 'team-a', name: 'web-config', key: 'API_TOKEN' } }),
    'CRYPTO_SCOPE_INVALID',
  );
  assert.equal(unwraps, before);
});

test('sealing without the fields of the scope, or with an over-long field, is CRYPTO_SCOPE_INVALID', async () => {
  await rejectsWithCode(
    sealValue('v', { scope: 'strict', context: { namespace: 'a' }, provider }),
    'CRYPTO_SCOPE_INVALID',
  );
  await rejectsWithCode(
    sealValue('v', { scope: 'namespace', context: { namespace: '' }, provider }),
    'CRYPTO_SCOPE_INVALID',
  );
  await rejectsWithCode(
    sealValue('v', { scope: 'namespace', context: { namespace: 'n'.repeat(254) }, provider }),
    'CRYPTO_SCOPE_INVALID',
  );
});

test('allowedScopes refuses other scope kinds with CRYPTO_SCOPE_MISMATCH', async () => {
  const sealed = await sealValue('v', { scope: 'cluster', context: {}, provider });
  await rejectsWithCode(
    openValue(sealed, { provider, expected: context, allowedScopes: ['strict', 'namespace'] }),
    'CRYPTO_SCOPE_MISMATCH',
  );
  assert.equal(
    (await openValue(sealed, { provider, expected: context, allowedScopes: ['cluster'] })).plaintext.toString(),
    'v',
  );
});
