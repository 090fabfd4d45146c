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

const invalidFields: { name: string; field: keyof ScopeContext; value: string }[] = [
  { name: 'namespace with capitals', field: 'namespace', value: 'Team-A' },
  { name: 'namespace with a dot (a subdomain, not a label)', field: 'namespace', value: 'team.a' },
  { name: 'namespace longer than 63', field: 'namespace', value: 'a'.repeat(64) },
  { name: 'namespace ending in a hyphen', field: 'namespace', value: 'team-' },
  { name: 'service account with an underscore', field: 'serviceAccount', value: 'web_app' },
  { name: 'service account with an empty label', field: 'serviceAccount', value: 'web..app' },
  { name: 'ConfigMap name with a slash', field: 'name', value: 'web/config' },
  { name: 'ConfigMap name longer than 253', field: 'name', value: 'a'.repeat(254) },
  { name: 'key "."', field: 'key', value: '.' },
  { name: 'key ".."', field: 'key', value: '..' },
  { name: 'key with a space', field: 'key', value: 'API TOKEN' },
  { name: 'key with a non-ASCII letter', field: 'key', value: 'PASSWÖRD' },
  { name: 'key with a lone high surrogate', field: 'key', value: 'K\uD800' },
  { name: 'namespace with a lone low surrogate', field: 'namespace', value: 'a\uDC00' },
];

for (const f of invalidFields) {
  test(`scope field: ${f.name} is CRYPTO_SCOPE_INVALID naming the field, when sealing and when opening`, async () => {
    const bad = { ...context, [f.field]: f.value };
    const sealErr = await rejectsWithCode(
      sealValue('v', { scope: 'strict', context: bad, provider }),
      'CRYPTO_SCOPE_INVALID',
    );
    const sealed = await sealValue('v', { scope: 'strict', context, provider });
    const before = unwraps;
    const openErr = await rejectsWithCode(openValue(sealed, { provider, expected: bad }), 'CRYPTO_SCOPE_INVALID');
    assert.equal(unwraps, before, 'refused before any provider call');
    for (const err of [sealErr, openErr]) {
      assert.match(err.message, new RegExp(`\\b${f.field}\\b`));
      assert.equal((err as Error & { details?: { field?: string } }).details?.field, f.field);
      if (f.value.length > 2) assert.ok(!err.message.includes(f.value), 'the value is not echoed');
    }
  });
}

test('two different lone surrogates do not collide: sealing for one is refused, opening with either is refused', async () => {
  // Both encode to the UTF-8 bytes of U+FFFD, so without the check a value sealed for one opened for the other.
  await rejectsWithCode(
    sealValue('v', { scope: 'strict', context: { ...context, key: '\uD800' }, provider }),
    'CRYPTO_SCOPE_INVALID',
  );
  await rejectsWithCode(
    sealValue('v', { scope: 'namespace', context: { namespace: '\uD800' }, provider }),
    'CRYPTO_SCOPE_INVALID',
  );
  const sealed = await sealValue('v', { scope: 'strict', context, provider });
  for (const key of ['\uD800', '\uDC00']) {
    await rejectsWithCode(openValue(sealed, { provider, expected: { ...context, key } }), 'CRYPTO_SCOPE_INVALID');
  }
});

test('valid Kubernetes names at the limits seal and open', async () => {
  const edge = {
    namespace: 'a'.repeat(63),
    serviceAccount: `${'a'.repeat(63)}.${'b'.repeat(63)}`,
    name: `${Array.from({ length: 4 }, () => 'c'.repeat(62)).join('.')}.d`, // 253
    key: '_.-Key.9'.padEnd(253, 'x'),
  };
  assert.equal(edge.name.length, 253);
  const sealed = await sealValue('v', { scope: 'strict', context: edge, provider });
  assert.equal((await openValue(sealed, { provider, expected: edge })).plaintext.toString(), 'v');
});
