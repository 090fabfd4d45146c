import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { jwtDetector } from '../../src/detect/jwt.js';
import { base62, fake, join } from './fixtures.js';

const b64url = (text: string): string => Buffer.from(text).toString('base64url');

test('jwt finds signed tokens', async (t) => {
  const cases = [
    { name: 'HS256', value: fake.jwt(), lines: [undefined] },
    { name: 'RS256 with kid', value: fake.jwt({ alg: 'RS256', kid: 'k1' }, base62(342, 2)), lines: [undefined] },
    { name: 'after Bearer', value: join('Authorization: Bearer ', fake.jwt()), lines: [undefined] },
    { name: 'in a properties file', value: join('a=b\nservice.token=', fake.jwt(), '\n'), lines: [2] },
    { name: 'header not starting with alg', value: fake.jwt({ typ: 'JWT', alg: 'ES256' }), lines: [undefined] },
  ];
  for (const c of cases) {
    await t.test(c.name, () =>
      assert.deepEqual(
        jwtDetector.scan('k', c.value).map((f) => f.line),
        c.lines,
      ),
    );
  }
});

test('jwt ignores look-alikes', async (t) => {
  const cases = [
    { name: 'header without alg', value: fake.jwt({ typ: 'JWT' }) },
    { name: 'header with non-string alg', value: fake.jwt({ alg: 1 }) },
    {
      name: 'unsigned token (alg none, empty signature)',
      value: join(b64url('{"alg":"none"}'), '.', b64url('{"sub":"x"}'), '.'),
    },
    { name: 'short signature', value: fake.jwt({ alg: 'HS256' }, 'abc') },
    { name: 'header that is not JSON', value: join('eyJub3QganNvbg', '.', b64url('{"sub":"x"}'), '.', base62(43)) },
    {
      name: 'JWE (five segments)',
      value: join(fake.jwt({ alg: 'RSA-OAEP', enc: 'A256GCM' }), '.', base62(22), '.', base62(22)),
    },
    { name: 'only two segments', value: join(b64url('{"alg":"HS256"}'), '.', b64url('{"sub":"x"}')) },
    { name: 'eyJ inside a base64 blob', value: join('QUJD', fake.jwt()) },
    { name: 'plain base64 JSON (not a token)', value: b64url('{"alg":"HS256","a":"b"}') },
  ];
  for (const c of cases) await t.test(c.name, () => assert.deepEqual(jwtDetector.scan('k', c.value), []));
});

test('jwt: documentation examples, whose claims are all stand-ins, are not tokens', async (t) => {
  const token = (payload: object): string =>
    join(
      Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url'),
      '.',
      Buffer.from(JSON.stringify(payload)).toString('base64url'),
      '.',
      base62(43, 31),
    );
  const cases = [
    {
      name: 'sequential sub and a placeholder name',
      payload: { sub: '1234567890', name: 'John Doe', iat: 1 },
      found: 0,
    },
    { name: 'example issuer and test user', payload: { iss: 'https://example.com', sub: 'test-user' }, found: 0 },
    { name: 'numeric sequential sub and a name', payload: { sub: 1234567890, name: 'Jane Doe' }, found: 0 },
    { name: 'one simple claim is not enough', payload: { sub: 'user-1', iat: 1 }, found: 1 },
    { name: 'real-looking claims', payload: { sub: 'a3f9c2e1-77b0', email: 'ops@shop.io', name: 'Orders' }, found: 1 },
  ];
  for (const c of cases)
    await t.test(c.name, () => assert.equal(jwtDetector.scan('k', token(c.payload)).length, c.found));
});
