import { strict as assert } from 'node:assert';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Issue } from '../../src/issues.js';
import { isShroudError } from '../../src/errors.js';
import { InitialLoadError, openReloadingStore, type DirLoader } from '../../src/watch/index.js';
import { memoryLogger } from '../helpers/logs.js';

/** A loader over *.txt files: each line "name" is a rule; a line "BAD" is an issue at that line. */
const loadRules: DirLoader<readonly string[]> = async (dir) => {
  const rules: string[] = [];
  const issues: Issue[] = [];
  const walk = (folder: string): void => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.txt')) {
        readFileSync(path, 'utf8')
          .split('\n')
          .forEach((l, i) => {
            if (l === 'BAD')
              issues.push({ code: 'POLICY_SCHEMA_INVALID', message: 'bad rule', file: path, line: i + 1 });
            else if (l !== '') rules.push(l);
          });
      }
    }
  };
  walk(dir);
  return { value: Object.freeze(rules.sort()), issues };
};

async function until(check: () => boolean, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) assert.fail('timed out');
    await sleep(25);
  }
}

test('a change on disk is swapped in; a bad one is reported and the last good set stays', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'shroud-store-'));
  const logs = memoryLogger();
  try {
    writeFileSync(join(dir, 'a.txt'), 'one\ntwo\n');
    const store = await openReloadingStore({
      dir,
      load: loadRules,
      logger: logs.logger,
      what: 'policies',
      pollMs: 100,
      debounceMs: 50,
    });
    try {
      assert.deepEqual(store.current(), ['one', 'two']);
      assert.equal(store.generation(), 1);

      mkdirSync(join(dir, 'team'));
      writeFileSync(join(dir, 'team', 'b.txt'), 'three\n');
      await until(() => store.generation() === 2);
      assert.deepEqual(store.current(), ['one', 'three', 'two']);

      writeFileSync(join(dir, 'team', 'b.txt'), 'four\nBAD\n');
      await until(() => store.readiness().lastError !== null);
      assert.deepEqual(store.current(), ['one', 'three', 'two'], 'the last good set stays in force');
      assert.equal(store.generation(), 2);
      const lastError = store.readiness().lastError as { issues: unknown[] };
      assert.deepEqual(lastError.issues, [
        { code: 'POLICY_SCHEMA_INVALID', message: 'bad rule', file: join(dir, 'team', 'b.txt'), line: 2 },
      ]);
      assert.ok(logs.lines().some((l) => l.msg === 'reload rejected; keeping the last good set' && l.line === 2));

      writeFileSync(join(dir, 'team', 'b.txt'), 'four\n');
      await until(() => store.generation() === 3);
      assert.deepEqual(store.current(), ['four', 'one', 'two']);
      assert.equal(store.readiness().lastError, null);
    } finally {
      store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a ConfigMap volume update (the ..data symlink swap) is picked up', async () => {
  // The kubelet's layout: files are links through ..data, which points at a timestamped folder;
  // an update writes a new folder and renames a new link over ..data.
  const dir = mkdtempSync(join(tmpdir(), 'shroud-cm-'));
  try {
    mkdirSync(join(dir, '..2026_01_01_00_00_00.1'));
    writeFileSync(join(dir, '..2026_01_01_00_00_00.1', 'rules.txt'), 'old\n');
    symlinkSync('..2026_01_01_00_00_00.1', join(dir, '..data'));
    symlinkSync(join('..data', 'rules.txt'), join(dir, 'rules.txt'));
    const store = await openReloadingStore({
      dir,
      load: loadRules,
      logger: memoryLogger().logger,
      what: 'policies',
      pollMs: 100,
      debounceMs: 50,
    });
    try {
      assert.deepEqual(store.current(), ['old']);
      mkdirSync(join(dir, '..2026_01_01_00_01_00.2'));
      writeFileSync(join(dir, '..2026_01_01_00_01_00.2', 'rules.txt'), 'new\n');
      symlinkSync('..2026_01_01_00_01_00.2', join(dir, '..data_tmp'));
      renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
      await until(() => store.generation() === 2);
      assert.deepEqual(store.current(), ['new']);
    } finally {
      store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a first load with issues refuses to start and lists every issue', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'shroud-store-'));
  try {
    writeFileSync(join(dir, 'a.txt'), 'BAD\nok\nBAD\n');
    await assert.rejects(
      openReloadingStore({ dir, load: loadRules, logger: memoryLogger().logger, what: 'policies' }),
      (err: unknown) => err instanceof InitialLoadError && err.issues.map((i) => i.line).join(',') === '1,3',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('writes that never pause still get applied: a change waits for quiet at most maxWaitMs', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'shroud-store-'));
  const logs = memoryLogger();
  writeFileSync(join(dir, 'a.txt'), 'v0\n');
  // The poll is slow on purpose: only the file events and the debounce can apply the changes.
  const store = await openReloadingStore({
    dir,
    load: loadRules,
    logger: logs.logger,
    what: 'policies',
    pollMs: 60_000,
    debounceMs: 250,
  });
  let writes = 0;
  let sawPending = false;
  try {
    // A write every 60 ms resets a plain 250 ms debounce forever; keep writing until a
    // reload lands (bounded: at most 400 writes, about 24 s).
    while (store.generation() === 1 && writes < 400) {
      writeFileSync(join(dir, 'a.txt'), `v${++writes}\n`);
      await sleep(60);
      sawPending ||= store.readiness().pendingSince !== null;
    }
    assert.ok(store.generation() > 1, `no reload was applied during ${writes} writes`);
    assert.ok(sawPending, '/readyz showed the pending reload while the writes went on');
    // And when the writes stop, the last content is what is in force.
    writeFileSync(join(dir, 'a.txt'), 'final\n');
    await until(() => store.current().includes('final'));
    await until(() => store.readiness().pendingSince === null);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the first-load error is a ShroudError with the first issue as its code and text, and every issue', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'shroud-store-'));
  try {
    writeFileSync(join(dir, 'a.txt'), 'BAD\nok\nBAD\n');
    await assert.rejects(
      openReloadingStore({ dir, load: loadRules, logger: memoryLogger().logger, what: 'policies' }),
      (err: unknown) =>
        isShroudError(err, 'POLICY_SCHEMA_INVALID') &&
        err.message === `policies did not load: ${join(dir, 'a.txt')}:1: bad rule (and 1 more)` &&
        err instanceof InitialLoadError &&
        err.issues.length === 2 &&
        err.details?.issues === err.issues,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a loader that throws is a bug: the reload is rejected with SHROUD_INTERNAL and the set stays', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'shroud-store-'));
  const logs = memoryLogger();
  let calls = 0;
  const flaky: DirLoader<string> = async () => {
    calls++;
    if (calls > 1) throw new TypeError('cannot read properties of undefined');
    return { value: 'first', issues: [] };
  };
  try {
    const store = await openReloadingStore({ dir, load: flaky, logger: logs.logger, what: 'policies', pollMs: 60_000 });
    try {
      assert.equal(await store.reload(), false);
      assert.equal(store.current(), 'first');
      assert.equal(store.generation(), 1);
      const lastError = store.readiness().lastError as { issues: unknown[] };
      assert.deepEqual(lastError.issues, [
        {
          code: 'SHROUD_INTERNAL',
          message: 'the loader failed: cannot read properties of undefined; please report this bug',
        },
      ]);
      assert.ok(logs.lines().some((l) => l.code === 'SHROUD_INTERNAL'));
    } finally {
      store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
