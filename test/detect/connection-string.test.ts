import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import { connectionStringDetector, passwordParamBefore } from '../../src/detect/connection-string.js';
import { join } from './fixtures.js';

const pw = join('Kq7', 'vR2x9Lm');
const lines = (value: string): (number | undefined)[] => connectionStringDetector.scan('k', value).map((f) => f.line);

test('connection-string finds passwords in connection strings', async (t) => {
  const cases = [
    {
      name: 'jdbc query parameters',
      value: join('jdbc:postgresql://db/app?user=app&password=', pw),
      lines: [undefined],
    },
    {
      name: 'jdbc sqlserver',
      value: join('jdbc:sqlserver://h:1433;databaseName=S;user=sa;password=', pw, ';'),
      lines: [undefined],
    },
    { name: 'odbc', value: join('Driver={X};Server=db;Uid=svc;Pwd=', pw, ';'), lines: [undefined] },
    {
      name: 'ado.net',
      value: join('Server=tcp:h,1433;User ID=app;Password=', pw, ';Encrypt=True'),
      lines: [undefined],
    },
    { name: 'libpq', value: join('host=db user=app password=', pw, ' sslmode=require'), lines: [undefined] },
    {
      name: 'azure storage',
      value: join('AccountName=x;AccountKey=', pw, 'Zq9w+/=;EndpointSuffix=core'),
      lines: [undefined],
    },
    {
      name: 'jaas on the second line',
      value: join(
        'sasl.mechanism=PLAIN\nsasl.jaas.config=x.PlainLoginModule required username="u" password="',
        pw,
        '";',
      ),
      lines: [2],
    },
    { name: 'oracle thin', value: join('jdbc:oracle:thin:app/', pw, '@//h:1521/S'), lines: [undefined] },
    { name: 'go dsn', value: join('app:', pw, '@tcp(db:3306)/orders'), lines: [undefined] },
    { name: 'basic auth', value: join('Basic ', Buffer.from(join('bot:', pw)).toString('base64')), lines: [undefined] },
    {
      name: 'docker auth',
      value: join('{"auths":{"r":{"auth":"', Buffer.from(join('u:', pw)).toString('base64'), '"}}}'),
      lines: [undefined],
    },
  ];
  for (const c of cases) await t.test(c.name, () => assert.deepEqual(lines(c.value), c.lines));
});

test('connection-string leaves placeholders and lone settings alone', async (t) => {
  const cases = [
    { name: 'template password', value: 'jdbc:postgresql://db/app?user=app&password=${DB_PASSWORD}' },
    { name: 'angle password', value: 'Server=db;Uid=app;Pwd=<password>;' },
    { name: 'made-up jaas password', value: 'PlainLoginModule required username="alice" password="alice-secret";' },
    { name: 'lone password line (config-file-secret judges it)', value: join('password=', pw) },
    { name: 'properties password line', value: join('spring.datasource.password=', pw, '\nserver.port=8080') },
    { name: 'basic auth of a placeholder', value: join('Basic ', Buffer.from('user:password').toString('base64')) },
    { name: 'no password', value: 'Server=db;Database=shop;Trusted_Connection=True;' },
  ];
  for (const c of cases) await t.test(c.name, () => assert.deepEqual(connectionStringDetector.scan('k', c.value), []));
});

test('connection-string findings never carry the value', () => {
  const findings = connectionStringDetector.scan(
    'ConnectionStrings__Default',
    join('Server=db;User ID=a;Password=', pw),
  );
  assert.equal(findings.length, 1);
  assert.ok(!JSON.stringify(findings).includes(pw));
});

test('password parameters found from each = are the matches of a regex search for their names at a boundary', () => {
  // The reading connection-string used before: one case-insensitive search for the names.
  const reference = (text: string): number[][] => {
    const found: number[][] = [];
    for (const m of text.matchAll(/(?:password|pwd|passwd|accountkey|sharedaccesskey)[ \t]*=[ \t]*/gi))
      if (m.index === 0 || ';&? \t\r\n,("\''.includes(text[m.index - 1] as string))
        found.push([m.index, m.index + m[0].indexOf('=')]);
    return found;
  };
  const piece = fc.constantFrom(
    'password',
    'PassWord',
    'pwd',
    'PWD',
    'passwd',
    'AccountKey',
    'SharedAccessKey',
    'sharedaccesskey',
    'accountkey',
    'pass',
    'word',
    'wd',
    'key',
    'd',
    'y',
    '=',
    ' ',
    '\t',
    ';',
    '\n',
    'x',
    '\u017f',
    'K',
    '\u212a',
    '==',
    '.',
    '&',
    '(',
    '"',
  );
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 14 }), (parts) => {
      const text = parts.join('');
      const fast: number[][] = [];
      for (let eq = text.indexOf('='); eq !== -1; eq = text.indexOf('=', eq + 1)) {
        const start = passwordParamBefore(text, 0, eq);
        if (start !== -1) fast.push([start, eq]);
      }
      assert.deepEqual(fast, reference(text), text);
    }),
    { numRuns: 3000 },
  );
});
