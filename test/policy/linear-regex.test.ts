import { strict as assert } from 'node:assert';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { compileLinearRegex, MAX_PROGRAM_SIZE } from '../../src/policy/linear-regex.js';
import type { CliResult } from '../helpers/cli.js';
import { inWorker } from '../helpers/in-worker.js';
import { matchesPolicy } from './stall-work.js';

// With JavaScript's RegExp, ^(a+)+$ backtracks exponentially on a run of a's that ends in
// something else: 26 characters took 3.4 s, 40 would take hours. The work runs in a worker so
// that a regression fails by this timeout instead of hanging the test run.
const STALL_TIMEOUT = { timeout: 20_000 };
const WORK = new URL('./stall-work.ts', import.meta.url);

const hostileCases = [
  { name: '50 KB that almost matches (the backtracking worst case)', value: `${'a'.repeat(50_000)}!`, denied: false },
  { name: '50 KB that matches', value: 'a'.repeat(50_000), denied: true },
  { name: '40 characters that almost match', value: `${'a'.repeat(39)}!`, denied: false },
];
for (const c of hostileCases) {
  test(`matches ^(a+)+$ runs in linear time: ${c.name}`, STALL_TIMEOUT, async (t) => {
    const paths = await inWorker<string[]>(WORK, 'violationPaths', ['^(a+)+$', { v: c.value }], t.signal);
    assert.deepEqual(paths, c.denied ? ['data.v'] : []);
  });
}

test(
  'shroud check with a ^(a+)+$ policy finishes (26 characters took 3.4 s, 40 would take hours)',
  STALL_TIMEOUT,
  async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'shroud-regex-'));
    try {
      await mkdir(join(dir, 'policies'));
      await writeFile(join(dir, 'policies', 'value-shape.yaml'), matchesPolicy('^(a+)+$'));
      const data = { v26: `${'a'.repeat(25)}!`, v40: `${'a'.repeat(39)}!`, w: 'a'.repeat(26) };
      const manifest = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: 'shop' }, data };
      await writeFile(join(dir, 'cm.json'), JSON.stringify(manifest));
      const r = await inWorker<CliResult>(
        WORK,
        'check',
        [['check', '--policies', 'policies', '--output', 'json', 'cm.json'], dir],
        t.signal,
      );
      assert.equal(r.stderr, '');
      assert.equal(r.code, 1);
      const report = JSON.parse(r.stdout) as { results: Array<{ violations: Array<{ path: string }> }> };
      assert.deepEqual(
        report.results.flatMap((x) => x.violations.map((v) => v.path)),
        ['data.w'],
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
);

// What RE2 syntax accepts and how it matches: unanchored like RegExp#test, inline flags.
const accepted: Array<{ name: string; pattern: string; yes: string[]; no: string[] }> = [
  { name: 'unanchored search', pattern: 'latest', yes: ['nginx:latest', 'latest'], no: ['nginx:1.27'] },
  { name: 'start anchor', pattern: '^sec', yes: ['secrets'], no: ['my-secrets'] },
  { name: 'end anchor', pattern: ':latest$', yes: ['nginx:latest'], no: ['nginx:latest-alpine'] },
  { name: 'inline case-insensitive flag', pattern: '(?i)password', yes: ['DB_PASSWORD'], no: ['DB_PASS'] },
  { name: 'named group, JavaScript spelling', pattern: '^(?<registry>[a-z.]+)/', yes: ['ghcr.io/x'], no: ['x'] },
  { name: 'code point escape', pattern: '^caf\\x{e9}$', yes: ['café'], no: ['cafe'] },
  { name: 'lookahead-like text inside a class is literal', pattern: '^[(?=]+$', yes: ['(?='], no: ['a'] },
  { name: 'nested quantifiers are allowed (and linear)', pattern: '^(a|aa)+$', yes: ['aaa'], no: ['aab'] },
  { name: 'Unicode classes', pattern: '^\\p{Greek}+$', yes: ['αβγ'], no: ['abc'] },
];
for (const c of accepted) {
  test(`regex accepted: ${c.name}`, () => {
    const r = compileLinearRegex(c.pattern);
    assert.ok('regex' in r, 'error' in r ? r.error : '');
    for (const s of c.yes) assert.equal(r.regex.test(s), true, s);
    for (const s of c.no) assert.equal(r.regex.test(s), false, s);
  });
}

// Refused at load, each with a sentence saying what is not supported and why.
const refused: Array<{ name: string; pattern: string; error: RegExp }> = [
  {
    name: 'backreference',
    pattern: '(a)\\1',
    error: /uses a backreference \(\\1\).*needs backtracking.*stall admission/,
  },
  { name: 'named backreference', pattern: '(?<x>a)\\k<x>', error: /uses a named backreference/ },
  { name: 'lookahead', pattern: 'a(?=b)', error: /uses a lookahead \(\?=\.\.\.\), which the linear-time engine/ },
  { name: 'negative lookahead', pattern: '^(?!kube-)', error: /uses a negative lookahead/ },
  { name: 'lookbehind', pattern: '(?<=v)1', error: /uses a lookbehind/ },
  { name: 'negative lookbehind', pattern: '(?<!x)y', error: /uses a negative lookbehind/ },
  { name: 'atomic group', pattern: '(?>a+)b', error: /uses an atomic group/ },
  { name: '\\u escape', pattern: 'caf\\u00e9', error: /writes as \\x\{hhhh\}/ },
  {
    name: 'syntax error',
    pattern: '(latest',
    error: /^invalid regular expression \/\(latest\/: missing closing \) \(RE2 syntax\)$/,
  },
  { name: 'repeat count over 1000', pattern: 'a{1001}', error: /invalid repeat count at "\{1001\}"/ },
  {
    name: 'program too large',
    pattern: '[a-z]{1000}[0-9]{1000}',
    error: new RegExp(`compiles to \\d+ instructions, more than the ${MAX_PROGRAM_SIZE} allowed`),
  },
];
for (const c of refused) {
  test(`regex refused: ${c.name}`, () => {
    const r = compileLinearRegex(c.pattern);
    assert.ok('error' in r, `${c.pattern} was accepted`);
    assert.match(r.error, c.error);
  });
}
