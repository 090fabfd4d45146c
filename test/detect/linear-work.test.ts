/**
 * Detection is linear in the value: scanning twice the input must cost about twice the work.
 * Work is counted, not timed: string methods are wrapped for the duration of one scan and each
 * call is charged the characters it reads (charCodeAt one, indexOf the distance it searched,
 * slice the length it copied, a regex exec or test the distance it advanced or the input it was
 * given). A scan that searched from every match to the end of the value, or walked back to its
 * start, would cost four times the work on twice the input.
 */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { scanEntry } from '../../src/detect/index.js';
import { repeatTo, shapes } from './adversarial-work.js';

type Method = (...args: unknown[]) => unknown;

/** Runs `fn` with string and regex methods wrapped; returns the characters they were charged. */
function countWork(fn: () => void): number {
  let work = 0;
  const S = String.prototype as unknown as Record<string, Method>;
  const R = RegExp.prototype as unknown as Record<string, Method>;
  const saved: Array<[Record<string, Method>, string, Method]> = [];
  const wrap = (
    proto: Record<string, Method>,
    name: string,
    charge: (self: never, args: unknown[], result: unknown) => number,
  ) => {
    const original = proto[name] as Method;
    saved.push([proto, name, original]);
    proto[name] = function (this: never, ...args: unknown[]) {
      const before = name === 'exec' ? (this as RegExp).lastIndex : 0;
      const result = original.apply(this, args);
      work += charge(this, args, name === 'exec' ? before : result);
      return result;
    };
  };
  const distance = (self: string, args: unknown[], result: unknown, backwards: boolean): number => {
    const from = typeof args[1] === 'number' ? (args[1] as number) : backwards ? self.length : 0;
    const at = result as number;
    if (at === -1) return backwards ? from + 1 : self.length - from;
    return Math.abs(at - from) + String(args[0]).length;
  };
  wrap(S, 'charCodeAt', () => 1);
  wrap(S, 'indexOf', (self: string, args, r) => distance(self, args, r, false));
  wrap(S, 'lastIndexOf', (self: string, args, r) => distance(self, args, r, true));
  wrap(S, 'startsWith', (_self, args) => String(args[0]).length);
  wrap(S, 'slice', (_self, _args, r) => (r as string).length);
  wrap(R, 'test', (_self, args) => String(args[0]).length);
  wrap(R, 'exec', (self: RegExp, args, before) =>
    self.global || self.sticky ? Math.max(1, self.lastIndex - (before as number)) : String(args[0]).length,
  );
  try {
    fn();
  } finally {
    for (const [proto, name, original] of saved.reverse()) proto[name] = original;
  }
  return work;
}

const ORDINARY_FILE = [
  'server.port=8080',
  'spring.datasource.url=jdbc:postgresql://db:5432/orders',
  'spring.datasource.password=${DB_PASSWORD}',
  'app.token.ttl=3600',
  'app.cors.allowed-origins=https://shop.example.com',
  '# cache settings',
  '',
].join('\n');

const SIZE = 16 * 1024;
/** Twice the input may cost at most this much more work (2 is exact linearity; the rest is slack for fixed costs). */
const MAX_GROWTH = 2.5;

test('scanEntry does about twice the work on twice the input', async (t) => {
  const inputs = [
    { name: 'ordinary properties file', text: ORDINARY_FILE },
    ...shapes(),
    { name: 'long single line of setting pairs', text: 'a=1;password=Kq7vR2x9Lm;user=u;' },
    { name: 'long token without separators', text: 'Kq7vR2x9LmWp4Zs' },
  ];
  for (const input of inputs)
    await t.test(input.name, () => {
      for (const key of ['data', 'DB_PASSWORD']) {
        const small = repeatTo(input.text, SIZE);
        const large = repeatTo(input.text, 2 * SIZE);
        const smallWork = countWork(() => scanEntry(key, small));
        const largeWork = countWork(() => scanEntry(key, large));
        assert.ok(smallWork > 0, `${input.name}: no work counted`);
        assert.ok(
          largeWork <= MAX_GROWTH * smallWork,
          `${input.name} under ${key}: ${smallWork} characters of work for ${SIZE}, ${largeWork} for ${2 * SIZE}`,
        );
      }
    });
});
