/**
 * Keyed provider formats (a UUID that is a Heroku API key only under a name saying so) inside JSON:
 * minified documents with every member on one line, pretty-printed ones whose members share a
 * line, nested objects whose enclosing name names the provider. The walk itself (json-members.ts)
 * is checked on its own at the end; its linear cost is checked with the other shapes in
 * linear-work.test.ts (adversarial-work.ts lists the JSON shapes).
 */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { BUILTIN_FORMATS, MAX_FINDINGS_PER_DETECTOR, scanEntry } from '../../src/detect/index.js';
import { JsonContext, jsonStringEnd, walkJsonMembers } from '../../src/detect/json-members.js';
import { HEX, Synthetic } from './synthetic.js';

const NAMES = ['provider-token', 'provider-token-weak'];
const random = new Synthetic('keyed-json');
const uuid = (): string =>
  [8, 4, 4, 4, 12].map((n, i) => (i === 2 ? `4${random.string(HEX, 3)}` : random.string(HEX, n))).join('-');
const HEROKU = uuid();
const SCALEWAY = uuid();
const DATADOG = random.string(HEX, 32);

/** The finding description of a built-in format, by id (as tokens.ts words it). */
function describeFormat(id: string): string {
  const f = BUILTIN_FORMATS.find((x) => x.id === id);
  assert.ok(f !== undefined, id);
  return `${f.provider} ${f.what} (its shape, under a key that names ${f.provider})`;
}

interface Case {
  name: string;
  /** The ConfigMap key; a neutral file name unless a case is about the key. */
  key?: string;
  value: string;
  /** Per finding: the format id and the 1-based line (undefined for a one-line value). */
  expected: Array<[id: string, line: number | undefined]>;
}

const CASES: Case[] = [
  // Found.
  {
    name: 'minified, a provider-naming member among others',
    value: `{"LOG_LEVEL":"info","HEROKU_API_KEY":"${HEROKU}","PORT":"8080"}`,
    expected: [['heroku-api-key', undefined]],
  },
  {
    name: 'minified, two providers',
    value: `{"HEROKU_API_KEY":"${HEROKU}","DD_API_KEY":"${DATADOG}"}`,
    expected: [
      ['heroku-api-key', undefined],
      ['datadog-api-key', undefined],
    ],
  },
  {
    name: 'a .NET appsettings.json on one line: the enclosing section names the provider',
    value: `{"Logging":{"LogLevel":{"Default":"Information"}},"Datadog":{"ApiKey":"${DATADOG}","Site":"datadoghq.eu"}}`,
    expected: [['datadog-api-key', undefined]],
  },
  {
    name: 'the ConfigMap key names the provider, the member holds the credential',
    key: 'heroku.json',
    value: `{"app":"orders","api_key":"${HEROKU}"}`,
    expected: [['heroku-api-key', undefined]],
  },
  {
    name: 'pretty-printed, members sharing a line: the line of the member',
    value: `{\n  "region": "fr-par", "zone": "fr-par-1",\n  "port": 8080, "SCW_SECRET_KEY": "${SCALEWAY}"\n}\n`,
    expected: [['scaleway-secret-key', 3]],
  },
  {
    name: 'pretty-printed, one member per line: reported once',
    value: `{\n  "LOG_LEVEL": "info",\n  "HEROKU_API_KEY": "${HEROKU}"\n}\n`,
    expected: [['heroku-api-key', 3]],
  },
  {
    name: 'an array of provider objects under a provider-naming member',
    value: `{"heroku":[{"app":"a","api_key":"${HEROKU}"}]}`,
    expected: [['heroku-api-key', undefined]],
  },
  {
    name: 'escaped quotes before the member do not derail the walk',
    value: `{"motd":"say \\"hi\\", \\\\","HEROKU_API_KEY":"${HEROKU}"}`,
    expected: [['heroku-api-key', undefined]],
  },
  {
    name: 'deep nesting, the provider named close above the member',
    value: `${'{"a":'.repeat(20)}{"heroku":{"auth":{"api_key":"${HEROKU}"}}}${'}'.repeat(20)}`,
    expected: [['heroku-api-key', undefined]],
  },
  // Not found.
  {
    name: 'the same value under a neutral member',
    value: `{"LOG_LEVEL":"info","REQUEST_ID":"${HEROKU}","TRACE":"${DATADOG}"}`,
    expected: [],
  },
  {
    name: 'a neutral member inside a provider-naming object (a request id)',
    value: `{"heroku":{"request_id":"${HEROKU}","release":"v42"}}`,
    expected: [],
  },
  {
    name: 'a credential name without the provider anywhere',
    value: `{"service":{"api_key":"${HEROKU}"}}`,
    expected: [],
  },
  {
    name: 'the provider named more than four objects above the member',
    value: `{"heroku":{"a":{"b":{"c":{"d":{"api_key":"${HEROKU}"}}}}}}`,
    expected: [],
  },
  {
    name: 'a member more than 32 containers deep has no enclosing names',
    value: `${'{"heroku":'.repeat(40)}{"api_key":"${HEROKU}"}${'}'.repeat(40)}`,
    expected: [],
  },
  {
    name: 'the provider object has closed before the member',
    value: `{"heroku":{"app":"a"},"other":{"api_key":"${HEROKU}"}}`,
    expected: [],
  },
  {
    name: 'the member is text inside a string (escaped quotes)',
    value: `{"note":"set \\"HEROKU_API_KEY\\":\\"${HEROKU}\\" in the dashboard"}`,
    expected: [],
  },
  {
    name: 'placeholder UUIDs and hex keys',
    value: `{"HEROKU_API_KEY":"00000000-0000-0000-0000-000000000000","DD_API_KEY":"0123456789abcdef0123456789abcdef","DD_APP_KEY":"${'a'.repeat(40)}","SCW_SECRET_KEY":"12345678-1234-1234-1234-123456789abc"}`,
    expected: [],
  },
  {
    name: 'template placeholders',
    value: `{"HEROKU_API_KEY":"\${HEROKU_API_KEY}","DD_API_KEY":"<your-datadog-api-key>"}`,
    expected: [],
  },
];

test('keyed formats in JSON members', async (t) => {
  for (const c of CASES)
    await t.test(c.name, () => {
      const findings = scanEntry(c.key ?? 'config.json', c.value, NAMES);
      assert.deepEqual(
        findings.map((f) => [f.description, f.line]),
        c.expected.map(([id, line]) => [describeFormat(id), line]),
      );
      for (const f of findings) assert.equal(f.confidence, 'high');
    });
});

test('findings never carry the value', () => {
  const findings = scanEntry('config.json', `{"HEROKU_API_KEY":"${HEROKU}"}`, NAMES);
  assert.equal(findings.length, 1);
  assert.ok(!JSON.stringify(findings).includes(HEROKU.slice(0, 8)));
});

test('a value that starts like JSON but has no members is still read line by line', () => {
  const caddy = `{\n  admin off\n}\nheroku_api_key = ${HEROKU}\n`;
  assert.deepEqual(
    scanEntry('Caddyfile', caddy, NAMES).map((f) => f.line),
    [4],
  );
});

test('many credentials in one document stop at the per-detector bound', () => {
  const members = Array.from({ length: 40 }, (_, i) => `"HEROKU_API_KEY_${i}":"${uuid()}"`);
  const findings = scanEntry('config.json', `{${members.join(',')}}`, NAMES);
  assert.equal(findings.length, MAX_FINDINGS_PER_DETECTOR);
});

test('the member walk: names, enclosing names and lines', async (t) => {
  const cases: Array<{ name: string; value: string; members: string[] }> = [
    { name: 'flat', value: '{"a":"1","b":2,"c":"3"}', members: ['a=1 in [] line 0', 'c=3 in [] line 0'] },
    {
      name: 'nested objects and arrays',
      value: '{"x":{"y":[{"z":"1"}],"w":"2"},"v":"3"}',
      members: ['z=1 in [x,y] line 0', 'w=2 in [x] line 0', 'v=3 in [] line 0'],
    },
    {
      name: 'strings in arrays are not members; brackets inside strings are text',
      value: '{"l":["a","b"],"s":"{[","t":"u"}',
      members: ['s={[ in [] line 0', 't=u in [] line 0'],
    },
    { name: 'lines', value: '{\n "a": "1",\n "b":\n  "2"\n}', members: ['a=1 in [] line 2', 'b=2 in [] line 13'] },
    { name: 'unbalanced closers are ignored', value: '}}]{"a":{"b":"1"}}', members: ['b=1 in [a] line 0'] },
    { name: 'an unterminated string ends the walk', value: '{"a":"1","b', members: ['a=1 in [] line 0'] },
  ];
  for (const c of cases)
    await t.test(c.name, () => {
      const context = new JsonContext();
      const seen: string[] = [];
      walkJsonMembers(
        c.value,
        {
          member(nameStart, nameEnd, valueStart, valueEnd) {
            const name = c.value.slice(nameStart + 1, nameEnd - 1);
            const text = c.value.slice(valueStart + 1, valueEnd - 1);
            seen.push(`${name}=${text} in [${context.names(c.value).join(',')}] line ${context.memberLineStart}`);
            return false;
          },
        },
        context,
      );
      assert.deepEqual(seen, c.members);
    });
  await t.test('names: the nearest first, none past 32 containers', () => {
    const namesAt = (doc: string, most?: number): string[][] => {
      const context = new JsonContext();
      const seen: string[][] = [];
      const visitor = {
        member: (): boolean => {
          seen.push(context.names(doc, most));
          return false;
        },
      };
      walkJsonMembers(doc, visitor, context);
      return seen;
    };
    const nested = (depth: number): string =>
      `${Array.from({ length: depth }, (_, i) => `{"n${i}":`).join('')}{"k":"v"}${'}'.repeat(depth)}`;
    // The root object has no name: 32 containers are the root and 31 named ones.
    assert.equal(namesAt(nested(31))[0]?.length, 31);
    assert.deepEqual(namesAt(nested(31), 2), [['n29', 'n30']]);
    assert.deepEqual(namesAt(nested(40)), [[]]);
  });
});

/** The end of a JSON string read character by character, escapes in pairs: what jsonStringEnd must agree with. */
function stringEndByCharacters(value: string, start: number): number {
  let i = start + 1;
  while (i < value.length) {
    const c = value[i];
    if (c === '\\') i += 2;
    else if (c === '"') return i + 1;
    else i++;
  }
  return value.length;
}

test('jsonStringEnd finds the closing quote past escaped quotes and backslash runs', async (t) => {
  const cases: Array<{ name: string; value: string; end: number }> = [
    { name: 'plain', value: '"abc" x', end: 5 },
    { name: 'escaped quote', value: '"a\\"b" x', end: 6 },
    { name: 'escaped backslash before the quote', value: '"a\\\\" x', end: 5 },
    { name: 'three backslashes', value: '"a\\\\\\"b" x', end: 8 },
    { name: 'no closing quote', value: '"abc\\"', end: 6 },
    { name: 'a trailing backslash', value: '"abc\\', end: 5 },
  ];
  for (const c of cases)
    await t.test(c.name, () => {
      assert.equal(jsonStringEnd(c.value, 0), c.end);
      assert.equal(stringEndByCharacters(c.value, 0), c.end);
    });
  await t.test('agrees with reading character by character on random text of quotes and backslashes', () => {
    const text = new Synthetic('json-string-end');
    for (let n = 0; n < 2000; n++) {
      const value = `"${text.string('"\\ab', 1 + (n % 24))}`;
      assert.equal(jsonStringEnd(value, 0), stringEndByCharacters(value, 0), JSON.stringify(value));
    }
  });
});
