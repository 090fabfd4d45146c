import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { isShroudError, ShroudError } from '../src/errors.js';
import { formatIssue, type Issue, IssueError, issueError, valueOrThrow } from '../src/issues.js';

const formats: Array<{ name: string; issue: Issue; expected: string }> = [
  {
    name: 'file, line and column',
    issue: { code: 'POLICY_PARSE_FAILED', message: 'bad indent', file: 'p.yaml', line: 3, column: 7 },
    expected: 'p.yaml:3:7: bad indent',
  },
  {
    name: 'file and line (no column)',
    issue: { code: 'CRYPTO_MALFORMED', message: 'folded token', file: 'cm.yaml', line: 2 },
    expected: 'cm.yaml:2: folded token',
  },
  {
    name: 'file only',
    issue: { code: 'POLICY_INPUT_INVALID', message: 'no such file or directory', file: 'x.yaml' },
    expected: 'x.yaml: no such file or directory',
  },
  {
    name: 'no location',
    issue: { code: 'SHROUD_INTERNAL', message: 'the loader failed' },
    expected: 'the loader failed',
  },
  {
    name: 'the path is data, not printed: the message already names the field',
    issue: {
      code: 'POLICY_SCHEMA_INVALID',
      message: 'rules[2].when[0]: unknown operator "anyof"',
      file: 'p.yaml',
      line: 18,
      column: 11,
      path: 'spec.rules[2].when[0]',
    },
    expected: 'p.yaml:18:11: rules[2].when[0]: unknown operator "anyof"',
  },
];

for (const c of formats) {
  test(`formatIssue: ${c.name}`, () => {
    assert.equal(formatIssue(c.issue), c.expected);
  });
}

const a: Issue = {
  code: 'POLICY_SCHEMA_INVALID',
  message: 'enforcement: "block" is not valid',
  file: 'a.yaml',
  line: 6,
};
const b: Issue = { code: 'POLICY_REGEX_INVALID', message: 'rules[0].when[0].matches: bad', file: 'b.yaml', line: 1 };

const errors: Array<{ name: string; input: Issue | Issue[]; code: string; message: string; count: number }> = [
  { name: 'one issue', input: a, code: 'POLICY_SCHEMA_INVALID', message: formatIssue(a), count: 1 },
  { name: 'a list of one', input: [b], code: 'POLICY_REGEX_INVALID', message: formatIssue(b), count: 1 },
  {
    name: 'several: the first one names the code, the rest are counted',
    input: [a, b, b],
    code: 'POLICY_SCHEMA_INVALID',
    message: `${formatIssue(a)} (and 2 more)`,
    count: 3,
  },
  {
    name: 'none is a bug',
    input: [],
    code: 'SHROUD_INTERNAL',
    message: 'an error was raised without any issue; this is a bug in shroud, please report it',
    count: 0,
  },
];

for (const c of errors) {
  test(`issueError: ${c.name}`, () => {
    const err = issueError(c.input);
    assert.ok(err instanceof ShroudError);
    assert.ok(err instanceof IssueError);
    assert.equal(err.code, c.code);
    assert.equal(err.message, c.message);
    assert.equal(err.issues.length, c.count);
    assert.deepEqual(err.details, { issues: err.issues });
  });
}

test('IssueError: a prefix goes before the first issue', () => {
  const err = new IssueError([a, b], 'policies did not load');
  assert.equal(err.message, `policies did not load: ${formatIssue(a)} (and 1 more)`);
  assert.equal(err.code, 'POLICY_SCHEMA_INVALID');
});

test('valueOrThrow: the value when there are no issues, else the IssueError of all of them', () => {
  assert.equal(valueOrThrow({ value: 42, issues: [] }), 42);
  assert.throws(
    () => valueOrThrow({ value: 42, issues: [b, a] }),
    (err: unknown) =>
      isShroudError(err, 'POLICY_REGEX_INVALID') &&
      err.message === `${formatIssue(b)} (and 1 more)` &&
      (err as IssueError).issues.length === 2,
  );
});
