import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import { compileGlob, matchesAny, compileGlobs } from '../../src/policy/glob.js';
import { inWorker } from '../helpers/in-worker.js';

const cases: Array<{ name: string; glob: string; yes: string[]; no: string[] }> = [
  { name: 'literal', glob: 'kube-system', yes: ['kube-system'], no: ['kube-system2', 'kube-syste', ''] },
  {
    name: 'star: any run, none included',
    glob: 'team-*',
    yes: ['team-', 'team-a', 'team-a-b'],
    no: ['team', 'xteam-a'],
  },
  { name: 'question mark: exactly one', glob: 'ns-?', yes: ['ns-1'], no: ['ns-', 'ns-12'] },
  { name: 'several stars', glob: '*:kube-system:*', yes: ['system:serviceaccount:kube-system:x'], no: ['kube-system'] },
  { name: 'regex characters are literal', glob: 'a.b+(c)', yes: ['a.b+(c)'], no: ['axb+(c)', 'a.bb(c)'] },
  { name: 'star alone', glob: '*', yes: ['', 'anything'], no: [] },
  { name: 'newline is a character like any other', glob: 'a?b*', yes: ['a\nb\n'], no: ['ab'] },
];
for (const c of cases) {
  test(`glob: ${c.name}`, () => {
    const g = compileGlob(c.glob);
    for (const s of c.yes) assert.equal(g.test(s), true, JSON.stringify(s));
    for (const s of c.no) assert.equal(g.test(s), false, JSON.stringify(s));
  });
}

/** The regular expression globs used to compile to (correct, but backtracking). */
function globAsRegExp(glob: string): RegExp {
  let source = '';
  for (const ch of glob) {
    if (ch === '*') source += '.*';
    else if (ch === '?') source += '.';
    else source += ch.replace(/[.+^${}()|[\]\\/-]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 's');
}

test('glob: agrees with the equivalent anchored regular expression', () => {
  const glob = fc.stringMatching(/^[ab*?]{0,8}$/);
  const value = fc.stringMatching(/^[ab]{0,12}$/);
  fc.assert(
    fc.property(glob, value, (g, v) => {
      assert.equal(compileGlob(g).test(v), globAsRegExp(g).test(v), `${g} ${v}`);
    }),
    { numRuns: 2000 },
  );
});

// As a RegExp, `*a*a*a*a*b` backtracks polynomially (a 1,000-character value ran for minutes);
// user and object names come from the request. Run in a worker so a regression fails by timeout.
test('glob: many stars against a long hostile value finish', { timeout: 20_000 }, async (t) => {
  const matched = await inWorker<boolean>(
    new URL('./stall-work.ts', import.meta.url),
    'globMatches',
    ['*a*a*a*a*a*b', 'a'.repeat(100_000)],
    t.signal,
  );
  assert.equal(matched, false);
});

test('glob: matchesAny is true when one glob of the list matches', () => {
  const list = compileGlobs(['kube-*', 'default']);
  assert.equal(matchesAny(list, 'default'), true);
  assert.equal(matchesAny(list, 'kube-public'), true);
  assert.equal(matchesAny(list, 'shop'), false);
  assert.equal(matchesAny(compileGlobs([]), 'x'), false);
});
