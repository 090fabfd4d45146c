import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { hintLines } from '../../src/detect/hint-lines.js';
import { SECRET_HINT } from '../../src/detect/secret-names.js';
import { randomText } from './fixtures.js';

/** The hint lines counted the plain way: every line tested on its own. */
function plain(value: string): { spans: number[]; secret: boolean[] } {
  const spans: number[] = [];
  const secret: boolean[] = [];
  let start = 0;
  for (const line of value.split('\n')) {
    if (/pass|pw|secret|token|key|cred|pat|auth/i.test(line)) {
      spans.push(start, start + line.length);
      secret.push(SECRET_HINT.test(line));
    }
    start += line.length + 1;
  }
  return { spans, secret };
}

test('hintLines lists the lines a plain per-line test lists', async (t) => {
  const cases: Array<{ name: string; value: string }> = [
    { name: 'no hint', value: 'server.port=8080\napp.name=orders\n' },
    { name: 'properties file', value: 'a=1\nspring.datasource.password=x\napp.token.ttl=3600\n# Key\n' },
    { name: 'only pat and auth', value: 'GITHUB_PAT=x\nauthor=me\npath=/tmp\n' },
    { name: 'pat first, secret later on the line', value: 'path=/x password=y\nauth_token=z' },
    { name: 'hint on the last line without newline', value: 'a=1\nPWD=x' },
    { name: 'upper and mixed case', value: 'DB_PASSWORD=x\napiKey=y\nCrEd=z\n' },
    { name: 'empty lines and CRLF', value: '\n\r\npassword=x\r\n\n' },
  ];
  for (let seed = 0; seed < 30; seed++)
    cases.push({ name: `random ${seed}`, value: randomText('patuhkeyswordc\n=', 300, 500 + seed) });
  for (const c of cases)
    await t.test(c.name, () => {
      const found = hintLines(c.value);
      const expected = plain(c.value);
      assert.deepEqual([...found.spans], expected.spans);
      assert.deepEqual([...found.secret], expected.secret);
      assert.equal(found.anySecret, expected.secret.includes(true));
    });
});

test('hintLines handles characters that lower-case to ASCII or to two characters', async (t) => {
  const cases: Array<{ name: string; value: string }> = [
    { name: 'Kelvin sign is not k', value: 'TO\u212aEN=x\n\u212aEY=y\nkey=z\n' },
    { name: 'dotted capital I changes the length', value: '\u0130\u0130\u0130\npassword=x\nPIN=1\nauth=2\n' },
    { name: 'non-ASCII around fragments', value: 'é password é\nçtokenç\n' },
  ];
  for (const c of cases)
    await t.test(c.name, () => {
      const found = hintLines(c.value);
      const expected = plain(c.value);
      assert.deepEqual([...found.spans], expected.spans);
      assert.deepEqual([...found.secret], expected.secret);
    });
});
