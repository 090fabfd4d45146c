/**
 * The parts of unseal-init in-process: the backoff, request batching, reading answers, reading
 * the mounted folders, writing files, and the retry loop against a scripted call on a fake clock
 * (so deadlines are exact, and no test waits).
 */
import { strict as assert } from 'node:assert';
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { isShroudError } from '../../src/errors.js';
import {
  BACKOFF,
  backoffMs,
  batches,
  type CallOutcome,
  MAX_ITEMS_PER_REQUEST,
  readSealedDir,
  type SealedItem,
  unsealInit,
  type UnsealInitOptions,
  watchSealed,
  writePlaintexts,
} from '../../src/unseal/client/index.js';
import { readAnswer, readErrorAnswer } from '../../src/unseal/client/answer.js';
import { tempDir } from '../helpers/temp-dir.js';
import { configMapVolume } from './unseal-stub.js';

describe('backoff', () => {
  const cases = [
    { name: 'first attempt, lowest draw', attempt: 1, random: 0, retryAfter: undefined, max: 0, min: 0 },
    { name: 'first attempt, highest draw', attempt: 1, random: 0.9999, retryAfter: undefined, max: 249, min: 249 },
    { name: 'third attempt doubles twice', attempt: 3, random: 0.5, retryAfter: undefined, max: 500, min: 500 },
    { name: 'capped', attempt: 40, random: 0.9999, retryAfter: undefined, max: 7999, min: 7999 },
    { name: 'Retry-After is a floor', attempt: 1, random: 0, retryAfter: 2, max: 2000, min: 2000 },
    { name: 'Retry-After is capped', attempt: 1, random: 0, retryAfter: 3600, max: BACKOFF.capMs, min: BACKOFF.capMs },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const ms = backoffMs(c.attempt, c.random, c.retryAfter);
      assert.ok(ms >= c.min && ms <= c.max, `${ms}`);
    });
  }
});

const item = (i: number, size = 10): SealedItem => ({
  configMap: 'cm',
  key: `K${i}`,
  value: `shroud:v1:${'x'.repeat(size)}`,
});

describe('batches', () => {
  const cases = [
    { name: 'one request for a few', items: [item(1), item(2)], sizes: [2] },
    {
      name: 'split at the item limit',
      items: Array.from({ length: MAX_ITEMS_PER_REQUEST + 3 }, (_, i) => item(i)),
      sizes: [MAX_ITEMS_PER_REQUEST, 3],
    },
    {
      name: 'split at the body limit',
      items: Array.from({ length: 5 }, (_, i) => item(i, 300 * 1024)),
      sizes: [3, 2],
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const out = batches(c.items);
      assert.deepEqual(
        out.map((b) => b.length),
        c.sizes,
      );
      for (const b of out) assert.ok(Buffer.byteLength(JSON.stringify({ items: b })) <= 1024 * 1024);
    });
  }
  test('one value too large to send is UNSEAL_INIT_INPUT, naming it', () => {
    assert.throws(
      () => batches([item(1, 1024 * 1024)]),
      (e: unknown) => isShroudError(e, 'UNSEAL_INIT_INPUT') && /cm\/K1 is too large/.test(e.message),
    );
  });
});

describe('reading answers', () => {
  const asked = [
    { configMap: 'cm', key: 'A' },
    { configMap: 'cm', key: 'B' },
  ];
  const answer = (body: unknown) => Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  test('a good answer gives the bytes in the order asked', () => {
    const out = readAnswer(
      answer({
        items: [
          { configMap: 'cm', key: 'B', value: Buffer.from('bee').toString('base64') },
          { configMap: 'cm', key: 'A', value: '' },
        ],
      }),
      asked,
    );
    assert.deepEqual(
      out.map((p) => [p.key, p.bytes.toString()]),
      [
        ['A', ''],
        ['B', 'bee'],
      ],
    );
  });
  const bad = [
    { name: 'not JSON', body: 'nope', message: /is not JSON/ },
    { name: 'no items', body: { error: {} }, message: /has no "items" list/ },
    { name: 'an item that is no object', body: { items: [1] }, message: /item #1 is not an object/ },
    {
      name: 'a name with a backslash',
      body: { items: [{ configMap: 'cm', key: 'a\\b', value: '' }] },
      message: /not a plain file name/,
    },
    {
      name: 'the key .',
      body: { items: [{ configMap: 'cm', key: '.', value: '' }] },
      message: /names the key "\.", which is not a plain file name/,
    },
    {
      name: 'an item twice',
      body: {
        items: [
          { configMap: 'cm', key: 'A', value: '' },
          { configMap: 'cm', key: 'A', value: '' },
        ],
      },
      message: /answers cm\/A twice/,
    },
    {
      name: 'a ConfigMap not asked for',
      body: { items: [{ configMap: 'other', key: 'A', value: '' }] },
      message: /answers other\/A, which was not asked for/,
    },
  ];
  for (const c of bad) {
    test(`refused: ${c.name}`, () => {
      assert.throws(
        () => readAnswer(answer(c.body), asked),
        (e: unknown) => isShroudError(e, 'UNSEAL_INIT_ANSWER_INVALID') && c.message.test(e.message),
      );
    });
  }
  test('an error answer is read as far as it is well-formed, each text made one short line', () => {
    const read = readErrorAnswer(
      answer({
        error: { code: 'UNSEAL_FORBIDDEN', message: `line one\nline two\u0007${'x'.repeat(500)}` },
        items: [{ configMap: 'cm', key: 'A', code: 'CRYPTO_INTEGRITY' }, { configMap: '..', key: 'A' }, 'junk'],
      }),
    );
    assert.equal(read.code, 'UNSEAL_FORBIDDEN');
    assert.ok(read.message!.startsWith('line one line two x'));
    assert.ok(read.message!.length <= 200);
    assert.deepEqual(read.items, [{ configMap: 'cm', key: 'A', code: 'CRYPTO_INTEGRITY' }]);
    assert.deepEqual(readErrorAnswer(answer('<html>')), { code: undefined, message: undefined, items: [] });
  });
});

describe('reading the mounted ConfigMaps', () => {
  test('keys are followed through ..data; the volume entries, folders in place of keys and plain values are not sent', async () => {
    const dir = tempDir();
    configMapVolume(dir, 'b-cm', { Z: 'shroud:v1:zz', PLAIN: 'hello' });
    configMapVolume(dir, 'a-cm', { K: '  shroud:v1:kk\n' });
    mkdirSync(join(dir, 'b-cm', 'NOT_A_FILE'));
    symlinkSync('missing-target', join(dir, 'b-cm', 'DANGLING'));
    writeFileSync(join(dir, '.hidden'), 'x');
    const read = await readSealedDir(dir);
    assert.deepEqual(read.configMaps, ['a-cm', 'b-cm']);
    assert.deepEqual(read.items, [
      { configMap: 'a-cm', key: 'K', value: 'shroud:v1:kk' },
      { configMap: 'b-cm', key: 'Z', value: 'shroud:v1:zz' },
    ]);
    assert.deepEqual(
      read.skipped.map((n) => n.key),
      ['DANGLING', 'NOT_A_FILE', 'PLAIN'],
    );
  });
  const refused = [
    {
      name: 'a folder not named as a ConfigMap',
      make: (dir: string) => configMapVolume(dir, 'Bad_Name', { K: 'shroud:v1:x' }),
      message: /Bad_Name is not named as a ConfigMap/,
    },
    {
      name: 'a value over 1 MiB',
      make: (dir: string) => configMapVolume(dir, 'big', { K: Buffer.alloc(1024 * 1024 + 1, 0x61) }),
      message: /big\/K at .* is larger than a ConfigMap can hold/,
    },
    { name: 'no folder', make: (dir: string) => dir, message: /cannot read the sealed ConfigMaps folder .*ENOENT/ },
  ];
  for (const c of refused) {
    test(`UNSEAL_INIT_INPUT: ${c.name}`, async () => {
      const base = tempDir();
      const dir = c.name === 'no folder' ? join(base, 'missing') : base;
      c.make(dir);
      await assert.rejects(
        readSealedDir(dir),
        (e: unknown) => isShroudError(e, 'UNSEAL_INIT_INPUT') && c.message.test(e.message),
      );
    });
  }
});

describe('writing files', () => {
  test('a second write replaces files, removes keys no longer sealed and leftover temp files', async () => {
    const out = tempDir();
    const p = (key: string, text: string) => ({ configMap: 'cm', key, bytes: Buffer.from(text) });
    await writePlaintexts(out, [p('A', 'one'), p('B', 'two')], 0o400);
    // An interrupted run's temp file, as unseal-init names them.
    const folder = join(out, 'cm');
    chmodSync(folder, 0o700);
    writeFileSync(join(folder, '..shroud-0123456789abcdef.tmp'), 'half');
    chmodSync(folder, 0o500);
    await writePlaintexts(out, [p('A', 'three')], 0o440);
    assert.deepEqual(readdirSync(folder), ['A']);
    assert.equal(readFileSync(join(folder, 'A'), 'utf8'), 'three');
    assert.equal(statSync(join(folder, 'A')).mode & 0o777, 0o440);
    assert.equal(statSync(folder).mode & 0o777, 0o550);
  });
  test('a link where the ConfigMap folder goes is refused, and what it points to is untouched', async () => {
    const out = tempDir();
    const elsewhere = tempDir();
    symlinkSync(elsewhere, join(out, 'cm'));
    await assert.rejects(
      writePlaintexts(out, [{ configMap: 'cm', key: 'A', bytes: Buffer.from('x') }], 0o400),
      (e: unknown) =>
        isShroudError(e, 'UNSEAL_INIT_WRITE_FAILED') &&
        /is not a folder .*0 of 1 file\(s\) were written/.test(e.message),
    );
    assert.deepEqual(readdirSync(elsewhere), []);
    assert.ok(lstatSync(join(out, 'cm')).isSymbolicLink());
  });
  test('a missing output folder is UNSEAL_INIT_WRITE_FAILED', async () => {
    await assert.rejects(
      writePlaintexts(join(tempDir(), 'absent'), [], 0o400),
      (e: unknown) => isShroudError(e, 'UNSEAL_INIT_WRITE_FAILED') && /mount the shroud-secrets volume/.test(e.message),
    );
  });
});

describe('the retry loop (scripted calls, fake clock)', () => {
  function setup(script: (attempt: number) => CallOutcome, deadlineMs = 10_000) {
    const dir = tempDir();
    configMapVolume(join(dir, 'sealed'), 'cm', { K: 'shroud:v1:kk' });
    mkdirSync(join(dir, 'out'));
    writeFileSync(join(dir, 'token'), 'tkn');
    let clock = 0;
    const sleeps: number[] = [];
    let calls = 0;
    const lines: string[] = [];
    const options: UnsealInitOptions = {
      url: new URL('https://unseal.example:8443'),
      caPem: '',
      tokenFile: join(dir, 'token'),
      sealedDir: join(dir, 'sealed'),
      outputDir: join(dir, 'out'),
      fileMode: 0o400,
      deadlineMs,
    };
    const run = () =>
      unsealInit(options, {
        now: () => clock,
        sleep: async (ms) => {
          sleeps.push(ms);
          clock += ms;
        },
        random: () => 0.5,
        say: (line) => lines.push(line),
        call: async (o) => {
          calls++;
          clock += 100; // each call takes 100 ms of fake time
          assert.equal(o.timeoutMs, Math.min(10_000, deadlineMs - (clock - 100)));
          return script(calls);
        },
      });
    return { run, dir, sleeps, lines, calls: () => calls, now: () => clock };
  }
  const ok = (): CallOutcome => ({
    kind: 'answer',
    status: 200,
    body: Buffer.from(JSON.stringify({ items: [{ configMap: 'cm', key: 'K', value: 'cGxhaW4=' }] })),
    retryAfterSeconds: undefined,
  });
  const status = (s: number, retryAfterSeconds?: number): CallOutcome => ({
    kind: 'answer',
    status: s,
    body: Buffer.from('{}'),
    retryAfterSeconds,
  });

  test('503 until the deadline: retried, never waiting past the deadline, then UNSEAL_INIT_DEADLINE', async () => {
    const t = setup(() => status(503), 5000);
    await assert.rejects(t.run(), (e: unknown) => isShroudError(e, 'UNSEAL_INIT_DEADLINE'));
    assert.ok(t.calls() > 3, `${t.calls()} calls`);
    assert.ok(t.now() <= 5000, `${t.now()} ms of fake time`);
    assert.deepEqual(readdirSync(join(t.dir, 'out')), []);
  });
  test('Retry-After is waited for', async () => {
    const t = setup((n) => (n === 1 ? status(503, 3) : ok()));
    const report = await t.run();
    assert.deepEqual(t.sleeps, [3000]);
    assert.equal(report.attempts, 2);
  });
  test('connection errors, then an answer', async () => {
    const t = setup((n) => (n < 3 ? { kind: 'unreachable', reason: 'ECONNRESET' } : ok()));
    const report = await t.run();
    assert.equal(report.attempts, 3);
    assert.equal(readFileSync(join(t.dir, 'out', 'cm', 'K'), 'utf8'), 'plain');
    assert.match(t.lines.join('\n'), /attempt 2 failed \(ECONNRESET\)/);
  });
  const final: Array<{ name: string; outcome: CallOutcome; code: string }> = [
    { name: '400', outcome: status(400), code: 'UNSEAL_INIT_REFUSED' },
    { name: '401', outcome: status(401), code: 'UNSEAL_INIT_REFUSED' },
    { name: '403', outcome: status(403), code: 'UNSEAL_INIT_REFUSED' },
    { name: '413', outcome: status(413), code: 'UNSEAL_INIT_REFUSED' },
    { name: '500', outcome: status(500), code: 'UNSEAL_INIT_SERVICE_FAILED' },
    { name: 'an oversized answer', outcome: { kind: 'oversized', status: 200 }, code: 'UNSEAL_INIT_ANSWER_INVALID' },
    { name: 'an untrusted server', outcome: { kind: 'untrusted', reason: 'x' }, code: 'UNSEAL_INIT_TLS' },
  ];
  for (const c of final) {
    test(`not retried: ${c.name}`, async () => {
      const t = setup(() => c.outcome);
      await assert.rejects(t.run(), (e: unknown) => isShroudError(e) && e.code === c.code);
      assert.equal(t.calls(), 1);
      assert.deepEqual(t.sleeps, []);
    });
  }
});

describe('--watch (scripted calls, fake clock)', () => {
  test('a change fetches again; a failed refresh keeps the files and is retried with backoff; abort stops', async () => {
    const dir = tempDir();
    const sealed = join(dir, 'sealed');
    configMapVolume(sealed, 'cm', { K: 'shroud:v1:kk' });
    mkdirSync(join(dir, 'out'));
    writeFileSync(join(dir, 'token'), 'tkn');
    const answers: Array<number> = [200, 403, 403, 200];
    const plain = ['one', 'two'];
    let clock = 0;
    let calls = 0;
    const failed: string[] = [];
    const stop = new AbortController();
    const steps: Array<() => void> = [
      () => undefined, // nothing changed: no call
      () => {
        // the kubelet swaps ..data
        mkdirSync(join(sealed, 'cm', '..2026_11_30_01'));
        writeFileSync(join(sealed, 'cm', '..2026_11_30_01', 'K'), 'shroud:v1:k2');
        symlinkSync('..2026_11_30_01', join(sealed, 'cm', '..data_tmp'));
        renameSync(join(sealed, 'cm', '..data_tmp'), join(sealed, 'cm', '..data'));
      },
      () => undefined, // the retry is not due yet (30 s)
      () => (clock += 30_000), // due: fails again, next in 60 s
      () => (clock += 30_000), // not due
      () => (clock += 30_000), // due: succeeds
      () => stop.abort(),
    ];
    await watchSealed(
      {
        url: new URL('https://unseal.example'),
        caPem: '',
        tokenFile: join(dir, 'token'),
        sealedDir: sealed,
        outputDir: join(dir, 'out'),
        fileMode: 0o400,
        deadlineMs: 1000,
      },
      { intervalMs: 1000, signal: stop.signal, retryMs: 30_000 },
      {
        now: () => clock,
        sleep: async () => undefined,
        random: () => 0,
        say: () => undefined,
        fetched: () => undefined,
        failed: (err) => failed.push(err.code),
        pause: async (ms) => {
          clock += ms;
          steps.shift()?.();
        },
        call: async () => {
          const status = answers[calls++] ?? 500;
          const value = Buffer.from(plain[calls === 1 ? 0 : 1]!).toString('base64');
          return {
            kind: 'answer',
            status,
            body: Buffer.from(JSON.stringify(status === 200 ? { items: [{ configMap: 'cm', key: 'K', value }] } : {})),
            retryAfterSeconds: undefined,
          };
        },
      },
    );
    assert.equal(calls, 4);
    assert.deepEqual(failed, ['UNSEAL_INIT_REFUSED', 'UNSEAL_INIT_REFUSED']);
    assert.equal(readFileSync(join(dir, 'out', 'cm', 'K'), 'utf8'), 'two');
    assert.equal(steps.length, 0);
  });
});
