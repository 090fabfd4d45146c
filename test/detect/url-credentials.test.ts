import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { urlCredentialsDetector } from '../../src/detect/url-credentials.js';
import { join } from './fixtures.js';

const pw = join('Kq7', 'vR2x9Lm');

test('url-credentials finds passwords in URLs', async (t) => {
  const cases = [
    { name: 'postgres DSN', value: join('postgres://app:', pw, '@db.internal:5432/app'), lines: [undefined] },
    {
      name: 'mongodb+srv',
      value: join('mongodb+srv://svc:', pw, '@cluster0.example.net/?retryWrites=true'),
      lines: [undefined],
    },
    { name: 'redis with empty user', value: join('redis://:', pw, '@redis:6379/0'), lines: [undefined] },
    { name: 'amqp in YAML', value: join('broker:\n  url: amqp://guest:', pw, '@rabbit:5672/\n'), lines: [2] },
    { name: 'percent-encoded password', value: join('mysql://root:p%40ss', pw, '@mysql/db'), lines: [undefined] },
    {
      name: 'at sign in the password',
      value: join('https://bot:a@b', pw, '@git.example.com/repo.git'),
      lines: [undefined],
    },
    { name: 'short password is still a password', value: 'postgres://app:qt7@localhost/app', lines: [undefined] },
    { name: 'two URLs', value: join('a=http://u:', pw, '@h1\nb=http://u:', pw, '@h2'), lines: [1, 2] },
  ];
  for (const c of cases) {
    await t.test(c.name, () =>
      assert.deepEqual(
        urlCredentialsDetector.scan('k', c.value).map((f) => f.line),
        c.lines,
      ),
    );
  }
});

test('url-credentials ignores URLs without a real password', async (t) => {
  const cases = [
    { name: 'no userinfo', value: 'https://api.example.com:8443/v1/items?user=a:b' },
    { name: 'user name only', value: 'https://deploy@git.example.com/repo.git' },
    { name: 'empty password', value: 'ftp://anonymous:@ftp.example.com/' },
    { name: 'env placeholder', value: 'postgres://app:${DB_PASSWORD}@db:5432/app' },
    { name: 'kubernetes expansion', value: 'postgres://app:$(DB_PASSWORD)@db:5432/app' },
    { name: 'angle placeholder', value: 'postgres://app:<password>@db:5432/app' },
    { name: 'helm template', value: 'postgres://app:{{.Values.pw}}@db:5432/app' },
    { name: 'changeme', value: 'postgres://app:changeme@db:5432/app' },
    { name: 'masked', value: 'postgres://app:****@db:5432/app' },
    { name: 'the word password', value: 'postgres://user:password@localhost/db' },
    { name: 'email address', value: 'mailto:ops@example.com' },
    { name: 'at sign after the path', value: 'https://example.com/users/a:b@c' },
    { name: 'scheme-less', value: '://user:secretvalue@host' },
    { name: 'no host', value: 'https://user:secretvalue@' },
  ];
  for (const c of cases) await t.test(c.name, () => assert.deepEqual(urlCredentialsDetector.scan('k', c.value), []));
});
