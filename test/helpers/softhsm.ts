/**
 * A real SoftHSM2 for tests: a temp folder of tokens per test file, pointed at by SOFTHSM2_CONF
 * (set in this process before the module is first initialised, and passed to child processes).
 *
 * Without softhsm2-util the tests that need it fail on CI (CI set) with a message saying what to
 * install, and are skipped elsewhere.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './temp-dir.js';

export const SOFTHSM_MODULE_CANDIDATES = [
  '/usr/lib/softhsm/libsofthsm2.so',
  '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so',
  '/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so',
  '/usr/local/lib/softhsm/libsofthsm2.so',
];

function hasUtil(): boolean {
  try {
    execFileSync('softhsm2-util', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function hasBinding(): boolean {
  try {
    // Resolved, not loaded: the provider loads it itself.
    return existsSync(new URL('../../node_modules/pkcs11js/build/Release/pkcs11.node', import.meta.url));
  } catch {
    return false;
  }
}

export interface SoftHsm {
  dir: string;
  conf: string;
  tokens: string;
  module: string;
  /** Environment for child processes. */
  env: Record<string, string>;
  /** Initialises a token in the first free slot; returns its label. */
  initToken(label: string, pin: string, soPin?: string): void;
  /** Unplugs every token (moves the folder away) and plugs them back. */
  unplug(): void;
  plugBack(): void;
}

/**
 * Why SoftHSM cannot be used here, or undefined when it can. On CI a missing SoftHSM is an error
 * (the test calls assert.fail with it); elsewhere the test is skipped with it.
 */
export function softHsmMissing(): string | undefined {
  const module = SOFTHSM_MODULE_CANDIDATES.find((m) => existsSync(m));
  if (!hasUtil() || module === undefined)
    return 'SoftHSM2 is not installed (softhsm2-util and libsofthsm2.so): apt-get install softhsm2 (.ci/run does)';
  if (!hasBinding())
    return 'pkcs11js is not built (node_modules/pkcs11js/build/Release/pkcs11.node): npm rebuild pkcs11js';
  return undefined;
}

/** node:test options: skip locally without SoftHSM; on CI run (and fail in `requireSoftHsm`). */
export function softHsmTestOptions(): { skip?: string } {
  const missing = softHsmMissing();
  return missing !== undefined && process.env.CI !== 'true' && process.env.CI !== '1' ? { skip: missing } : {};
}

/** Sets up SoftHSM in a temp folder for this process. @throws (fails the test) when it is missing */
export function requireSoftHsm(): SoftHsm {
  const missing = softHsmMissing();
  if (missing !== undefined) throw new Error(`PKCS#11 tests need SoftHSM2: ${missing}`);
  const dir = tempDir('shroud-softhsm-');
  const tokens = join(dir, 'tokens');
  const away = join(dir, 'unplugged');
  mkdirSync(tokens);
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(
    conf,
    `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`,
  );
  process.env.SOFTHSM2_CONF = conf;
  const module = SOFTHSM_MODULE_CANDIDATES.find((m) => existsSync(m))!;
  return {
    dir,
    conf,
    tokens,
    module,
    env: { SOFTHSM2_CONF: conf },
    initToken(label, pin, soPin = 'so-pin-4711') {
      execFileSync('softhsm2-util', ['--init-token', '--free', '--label', label, '--pin', pin, '--so-pin', soPin], {
        env: { ...process.env, SOFTHSM2_CONF: conf },
        stdio: 'ignore',
      });
    },
    unplug() {
      rmSync(away, { recursive: true, force: true });
      cpSync(tokens, away, { recursive: true });
      rmSync(tokens, { recursive: true, force: true });
    },
    plugBack() {
      cpSync(away, tokens, { recursive: true });
      rmSync(away, { recursive: true, force: true });
    },
  };
}
