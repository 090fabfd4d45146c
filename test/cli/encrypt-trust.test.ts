/**
 * `shroud encrypt --public-key`: trust that lives outside the public key file (a pin, or the
 * known-keys file on first use) and the file's expiry. Spawns the built CLI with HOME and
 * XDG_CONFIG_HOME in a temp dir, so no test reads or writes the real home.
 */
import { runCli } from '../helpers/cli.js';
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import {
  createKeyring,
  exportPublicKey,
  LocalKeyringProvider,
  openValue,
  parseKeyring,
  parseKnownKeys,
  parsePublicKey,
  publicKeyFingerprint,
} from '../../src/crypto/index.js';
import { tempDir } from '../helpers/temp-dir.js';

const BIN = fileURLToPath(new URL('../../bin/shroud.js', import.meta.url));
const CANARY = 'CANARY-trust-plaintext-7f3a91';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment of a test run: the real one without HOME, XDG_CONFIG_HOME and any SHROUD_ variable. */
function cleanEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || k === 'HOME' || k === 'XDG_CONFIG_HOME' || k.startsWith('SHROUD_')) continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

/** Runs the built CLI as its own process (killed after 60 s at most); no output may hold the canary. */
/** Runs `shroud ARGS` in-process (the CLI takes its environment and folder as arguments). */
async function shroud(args: string[], cwd: string, env: Record<string, string>): Promise<Run> {
  const r = await runCli(args, { cwd, env });
  return checkCanary(args, r);
}

/** Runs `shroud ARGS` as a real process: for the tests where separate processes are the point. */
function spawnShroud(args: string[], cwd: string, env: Record<string, string>): Promise<Run> {
  return new Promise((done, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 60_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => {
      try {
        done(checkCanary(args, { code, stdout, stderr }));
      } catch (err) {
        reject(err);
      }
    });
  });
}

/** The canary: the plaintext given to --from-literal never appears on stdout or stderr. */
function checkCanary(args: string[], r: Run): Run {
  if (r.stdout.includes(CANARY) || r.stderr.includes(CANARY))
    throw new Error(`plaintext in the output of shroud ${args.slice(0, 2).join(' ')}`);
  return r;
}

const SEAL = ['encrypt', '--namespace', 'shop', '--service-account', 'web', '--name', 'web-secrets'];
const sealArgs = (file: string, ...more: string[]) => [
  ...SEAL,
  '--from-literal',
  `K=${CANARY}`,
  '--public-key',
  file,
  ...more,
];

interface World {
  cwd: string;
  home: string;
  env: Record<string, string>;
  knownKeys: string;
  /** Fingerprint of the keyring's primary version, as `keys status` shows it. */
  real: string;
  /** Fingerprint of the attacker's key in swapped.json. */
  evil: string;
  keyring: string;
}

/**
 * A keyring, its exported public key (pub.json), and swapped.json: the same file with an
 * attacker's key in it and the fingerprint field recomputed to match, as an attacker who can
 * edit the repository would leave it.
 */
async function world(): Promise<World> {
  const cwd = tempDir('shroud-trust-');
  const home = join(cwd, 'home');
  mkdirSync(home);
  const env = cleanEnv({ HOME: home });
  assert.equal((await shroud(['keys', 'init'], cwd, env)).code, 0);
  assert.equal((await shroud(['keys', 'export-public', '--out', 'pub.json'], cwd, env)).code, 0);
  const status = JSON.parse((await shroud(['keys', 'status', '--output', 'json'], cwd, env)).stdout);
  const real = status.versions[0].publicKeyFingerprint as string;
  const attacker = parsePublicKey(exportPublicKey(createKeyring()));
  const doc = JSON.parse(readFileSync(join(cwd, 'pub.json'), 'utf8'));
  assert.equal(doc.fingerprint, real, 'the exported file and keys status agree');
  const evil = publicKeyFingerprint(attacker.publicKey);
  writeFileSync(
    join(cwd, 'swapped.json'),
    JSON.stringify({ ...doc, publicKey: attacker.publicKey.toString('base64url'), fingerprint: evil }, null, 2),
  );
  const keyring = join(cwd, '.shroud/keyring.json');
  return { cwd, home, env, knownKeys: join(home, '.config/shroud/known-keys'), real, evil, keyring };
}

async function opens(w: World, manifest: string): Promise<boolean> {
  const provider = new LocalKeyringProvider(parseKeyring(readFileSync(w.keyring, 'utf8')));
  const sealed = parse(manifest).data.K as string;
  const ctx = { namespace: 'shop', serviceAccount: 'web', name: 'web-secrets', key: 'K' };
  return (await openValue(sealed, { provider, expected: ctx })).plaintext.toString() === CANARY;
}

const mode = (path: string) => statSync(path).mode & 0o777;

test('a first use seals, records the fingerprint in ~/.config/shroud/known-keys (0600, folder 0700) and says so', async () => {
  const w = await world();
  const first = await shroud(sealArgs('pub.json'), w.cwd, w.env);
  assert.equal(first.code, 0, first.stderr);
  assert.ok(await opens(w, first.stdout));
  assert.match(
    first.stderr,
    new RegExp(
      `^shroud: first use of local key "[0-9a-f]{16}" version 1: trusted fingerprint ${w.real} and recorded it in ${w.knownKeys}:4\\.`,
    ),
  );
  assert.match(first.stderr, /shroud keys status/);
  assert.equal(mode(w.knownKeys), 0o600);
  assert.equal(mode(join(w.home, '.config/shroud')), 0o700);
  assert.deepEqual(
    parseKnownKeys(readFileSync(w.knownKeys, 'utf8'), w.knownKeys).map((e) => [e.version, e.fingerprint, e.line]),
    [[1, w.real, 4]],
  );
  const before = readFileSync(w.knownKeys, 'utf8');
  const again = await shroud(sealArgs('pub.json'), w.cwd, w.env);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.stderr, '', 'a known key is used quietly');
  assert.equal(readFileSync(w.knownKeys, 'utf8'), before, 'nothing is added for a known key');
});

const locations: { name: string; env: (w: World) => Record<string, string>; file: (w: World) => string }[] = [
  {
    name: '$XDG_CONFIG_HOME/shroud/known-keys',
    env: (w) => ({ ...w.env, XDG_CONFIG_HOME: join(w.cwd, 'xdg') }),
    file: (w) => join(w.cwd, 'xdg/shroud/known-keys'),
  },
  {
    name: '--known-keys FILE (relative to the working directory)',
    env: (w) => ({ ...w.env, XDG_CONFIG_HOME: join(w.cwd, 'xdg') }),
    file: (w) => join(w.cwd, 'trust/kk'),
  },
  {
    name: 'SHROUD_KNOWN_KEYS',
    env: (w) => ({ ...w.env, SHROUD_KNOWN_KEYS: join(w.cwd, 'env-kk') }),
    file: (w) => join(w.cwd, 'env-kk'),
  },
];

for (const l of locations) {
  test(`the known-keys file can be ${l.name}, and a swapped file is refused there after a first use`, async () => {
    const w = await world();
    const extra = l.name.startsWith('--known-keys') ? ['--known-keys', 'trust/kk'] : [];
    const env = l.env(w);
    const first = await shroud(sealArgs('pub.json', ...extra), w.cwd, env);
    assert.equal(first.code, 0, first.stderr);
    assert.ok(first.stderr.includes(`recorded it in ${l.file(w)}:4.`), first.stderr);
    assert.ok(!existsSync(w.knownKeys), 'the default file is not touched');
    const swapped = await shroud(sealArgs('swapped.json', ...extra), w.cwd, env);
    assert.equal(swapped.code, 3);
    assert.match(swapped.stderr, /^CRYPTO_PUBLIC_KEY_UNTRUSTED: /);
    assert.ok(swapped.stderr.includes(`but ${l.file(w)}:4 expects ${w.real}`), swapped.stderr);
  });
}

test('under trust on first use, a swapped public key file is refused after a first use, saying how to check and re-pin', async () => {
  const w = await world();
  assert.equal((await shroud(sealArgs('pub.json'), w.cwd, w.env)).code, 0);
  const before = readFileSync(w.knownKeys, 'utf8');
  const r = await shroud(sealArgs('swapped.json'), w.cwd, w.env);
  assert.equal(r.code, 3);
  assert.equal(r.stdout, '', 'nothing was sealed');
  assert.match(r.stderr, /^CRYPTO_PUBLIC_KEY_UNTRUSTED: swapped\.json holds local key "[0-9a-f]{16}" version 1 /);
  assert.ok(r.stderr.includes(`with fingerprint ${w.evil}, but ${w.knownKeys}:4 expects ${w.real}`), r.stderr);
  assert.match(r.stderr, /"shroud keys status" lists the public key fingerprint of every version/);
  assert.ok(r.stderr.includes(`delete line 4 of ${w.knownKeys}, or pass --fingerprint ${w.evil}`), r.stderr);
  assert.equal(readFileSync(w.knownKeys, 'utf8'), before, 'a refusal changes nothing');
});

const pins: {
  name: string;
  args: (fp: string) => string[];
  env: (fp: string) => Record<string, string>;
  from: string;
}[] = [
  { name: '--fingerprint', args: (fp) => ['--fingerprint', fp], env: () => ({}), from: '--fingerprint' },
  {
    name: 'SHROUD_PUBLIC_KEY_FINGERPRINT',
    args: () => [],
    env: (fp) => ({ SHROUD_PUBLIC_KEY_FINGERPRINT: fp.toUpperCase().replace('SHA256', 'sha256') }),
    from: 'SHROUD_PUBLIC_KEY_FINGERPRINT',
  },
];

for (const p of pins) {
  test(`with a pin (${p.name}) the right key seals and a swapped file is refused, before any first use; the known-keys file is not used`, async () => {
    const w = await world();
    const env = { ...w.env, ...p.env(w.real) };
    const swapped = await shroud(sealArgs('swapped.json', ...p.args(w.real)), w.cwd, env);
    assert.equal(swapped.code, 3);
    assert.equal(swapped.stdout, '');
    assert.ok(
      swapped.stderr.startsWith(`CRYPTO_PUBLIC_KEY_UNTRUSTED: swapped.json holds local key`) &&
        swapped.stderr.includes(`with fingerprint ${w.evil}, but ${p.from} expects ${w.real}; nothing was sealed`),
      swapped.stderr,
    );
    assert.match(swapped.stderr, /shroud keys status/);
    const ok = await shroud(sealArgs('pub.json', ...p.args(w.real)), w.cwd, env);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stderr, '');
    assert.ok(await opens(w, ok.stdout));
    assert.ok(!existsSync(w.knownKeys), 'a pinned run neither reads nor writes the known-keys file');
    // Not read either: a corrupt known-keys file does not matter to a pinned run.
    mkdirSync(join(w.home, '.config/shroud'), { recursive: true });
    writeFileSync(w.knownKeys, 'not json\n', { mode: 0o600 });
    assert.equal((await shroud(sealArgs('pub.json', ...p.args(w.real)), w.cwd, env)).code, 0);
  });
}

test('re-pinning: after checking, --fingerprint takes the new key, and deleting the named line makes it a first use again', async () => {
  const w = await world();
  assert.equal((await shroud(sealArgs('pub.json'), w.cwd, w.env)).code, 0);
  const refused = await shroud(sealArgs('swapped.json'), w.cwd, w.env);
  assert.equal(refused.code, 3);
  // The new key is the right one here (say the keyring was re-created): pin it.
  const pinned = await shroud(sealArgs('swapped.json', '--fingerprint', w.evil), w.cwd, w.env);
  assert.equal(pinned.code, 0, pinned.stderr);
  assert.match(pinned.stdout, /shroud:v1:/);
  // Or follow the message: delete the line it names.
  const m = / delete line (\d+) of (\S+), or pass/.exec(refused.stderr);
  assert.ok(m, refused.stderr);
  const lines = readFileSync(m[2]!, 'utf8').split('\n');
  lines.splice(Number(m[1]) - 1, 1);
  writeFileSync(m[2]!, lines.join('\n'));
  const first = await shroud(sealArgs('swapped.json'), w.cwd, w.env);
  assert.equal(first.code, 0, first.stderr);
  assert.ok(first.stderr.includes(`trusted fingerprint ${w.evil}`), first.stderr);
  assert.equal((await shroud(sealArgs('swapped.json'), w.cwd, w.env)).code, 0);
  const old = await shroud(sealArgs('pub.json'), w.cwd, w.env);
  assert.equal(old.code, 3, 'the key trusted before is now the different one');
  assert.ok(old.stderr.includes(`expects ${w.evil}`), old.stderr);
});

const corrupt: { name: string; text: string; line: number }[] = [
  { name: 'a line that is not JSON', text: '# mine\n\nlocal abc 1 sha256:00\n', line: 3 },
  {
    name: 'a fingerprint that is not one',
    text: '{"provider":"local","keyId":"k","version":1,"fingerprint":"sha256:xyz"}\n',
    line: 1,
  },
  {
    name: 'the same key version twice',
    text: `${'{"provider":"local","keyId":"k","version":1,"fingerprint":"sha256:'}${'a'.repeat(32)}"}\n`.repeat(2),
    line: 2,
  },
];

for (const c of corrupt) {
  test(`a known-keys file with ${c.name} is CRYPTO_KNOWN_KEYS_INVALID naming file:line, and is left as it was`, async () => {
    const w = await world();
    mkdirSync(join(w.home, '.config/shroud'), { recursive: true });
    writeFileSync(w.knownKeys, c.text, { mode: 0o600 });
    const r = await shroud(sealArgs('pub.json'), w.cwd, w.env);
    assert.equal(r.code, 3);
    assert.equal(r.stdout, '');
    assert.ok(r.stderr.startsWith(`CRYPTO_KNOWN_KEYS_INVALID: ${w.knownKeys}:${c.line}: `), r.stderr);
    assert.equal(readFileSync(w.knownKeys, 'utf8'), c.text, 'never silently rewritten');
  });
}

test('a known-keys file that group or others may write is refused', async () => {
  const w = await world();
  mkdirSync(join(w.home, '.config/shroud'), { recursive: true });
  writeFileSync(w.knownKeys, '# empty\n');
  chmodSync(w.knownKeys, 0o666);
  const r = await shroud(sealArgs('pub.json'), w.cwd, w.env);
  assert.equal(r.code, 3);
  assert.match(r.stderr, /^CRYPTO_KNOWN_KEYS_INVALID: .*known-keys: has mode 0666: group or others may write it/);
});

test('without a pin and without HOME or XDG_CONFIG_HOME, nothing is sealed and the message says how to pin', async () => {
  const w = await world();
  const r = await shroud(sealArgs('pub.json'), w.cwd, cleanEnv({}));
  assert.equal(r.code, 3);
  assert.equal(r.stdout, '');
  assert.match(
    r.stderr,
    /^CRYPTO_PUBLIC_KEY_UNTRUSTED: cannot decide whether to trust .* --fingerprint .* --known-keys FILE/,
  );
});

test('--fingerprint with --keyring is a usage error', async () => {
  const w = await world();
  const r = await shroud(
    [...SEAL, '--from-literal', `K=${CANARY}`, '--keyring', w.keyring, '--fingerprint', w.real],
    w.cwd,
    w.env,
  );
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--fingerprint pins the key of --public-key/);
});

const expiry: {
  name: string;
  make: (w: World) => Promise<void>;
  code: number;
  stderr: RegExp;
}[] = [
  {
    name: 'an expired file is refused, saying to re-export',
    make: async (w) => {
      const doc = JSON.parse(readFileSync(join(w.cwd, 'pub.json'), 'utf8'));
      writeFileSync(join(w.cwd, 'pub.json'), JSON.stringify({ ...doc, expires: '2020-01-01T00:00:00Z' }));
    },
    code: 3,
    stderr: /^CRYPTO_PUBLIC_KEY_EXPIRED: pub\.json expired at 2020-01-01T00:00:00Z .*shroud keys export-public/,
  },
  {
    name: 'a file that expires within 14 days seals with a warning',
    make: async (w) => {
      // Two and a half days from now: two whole days left, however the clock moves during the test.
      const doc = JSON.parse(readFileSync(join(w.cwd, 'pub.json'), 'utf8'));
      const expires = new Date(Date.now() + 2.5 * 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
      writeFileSync(join(w.cwd, 'pub.json'), JSON.stringify({ ...doc, expires }));
    },
    code: 0,
    stderr:
      /^shroud: warning: pub\.json expires at \S+ \(in 2 day\(s\)\); after that encrypt refuses it\. Get a fresh one: shroud keys export-public/,
  },
  {
    name: 'a file without expires (an older export) seals with a warning',
    make: async (w) => {
      const doc = JSON.parse(readFileSync(join(w.cwd, 'pub.json'), 'utf8'));
      writeFileSync(join(w.cwd, 'pub.json'), JSON.stringify({ ...doc, expires: undefined }));
    },
    code: 0,
    stderr: /^shroud: warning: pub\.json has no expiry date .*shroud keys export-public/,
  },
  {
    name: 'a file that expires within the hour seals with a warning',
    make: async (w) => {
      const doc = JSON.parse(readFileSync(join(w.cwd, 'pub.json'), 'utf8'));
      const soon = new Date(Date.now() + 3_600_000).toISOString();
      writeFileSync(join(w.cwd, 'pub.json'), JSON.stringify({ ...doc, expires: soon }));
    },
    code: 0,
    stderr: /^shroud: warning: pub\.json expires at \S+ \(in less than a day\)/,
  },
  {
    name: 'a file valid for 15 more days seals without a warning',
    make: async (w) => {
      assert.equal(
        (await shroud(['keys', 'export-public', '--out', 'pub.json', '--valid-for', '16'], w.cwd, w.env)).code,
        0,
      );
    },
    code: 0,
    stderr: /^$/,
  },
];

for (const e of expiry) {
  test(e.name, async () => {
    const w = await world();
    await e.make(w);
    const pinned = await shroud(sealArgs('pub.json', '--fingerprint', w.real), w.cwd, w.env);
    assert.equal(pinned.code, e.code, pinned.stderr);
    assert.match(pinned.stderr, e.stderr);
    const unpinned = await shroud(sealArgs('pub.json'), w.cwd, w.env);
    assert.equal(unpinned.code, e.code, unpinned.stderr);
    assert.equal(/warning/.test(unpinned.stderr), /warning/.test(pinned.stderr));
    assert.equal(existsSync(w.knownKeys), e.code === 0, 'a refused file is not recorded as trusted');
  });
}

test('keys export-public says the fingerprint and expiry; --valid-for out of range is a usage error', async () => {
  const w = await world();
  const r = await shroud(['keys', 'export-public', '--out', 'p2.json', '--valid-for', '30'], w.cwd, w.env);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.stdout.includes(`Fingerprint ${w.real}`), r.stdout);
  const expires = JSON.parse(readFileSync(join(w.cwd, 'p2.json'), 'utf8')).expires as string;
  assert.ok(r.stdout.includes(`encrypt refuses the file after ${expires}`), r.stdout);
  const days = (Date.parse(expires) - Date.now()) / 86_400_000;
  assert.ok(days > 29 && days <= 30, `expires ${expires} is 30 days away`);
  for (const bad of ['0', '3651', 'ten']) {
    const b = await shroud(['keys', 'export-public', '--valid-for', bad], w.cwd, w.env);
    assert.equal(b.code, 2, `--valid-for ${bad}`);
  }
});

test('concurrent first uses of four different keys all land in the known-keys file', async () => {
  const w = await world();
  const files: string[] = [];
  for (let i = 0; i < 4; i++) {
    const file = `k${i}.json`;
    writeFileSync(join(w.cwd, file), exportPublicKey(createKeyring()));
    files.push(file);
  }
  // Separate processes: the lock on the known-keys file is what keeps every line.
  const runs = await Promise.all(files.map((f) => spawnShroud(sealArgs(f), w.cwd, w.env)));
  for (const r of runs) assert.equal(r.code, 0, r.stderr);
  const entries = parseKnownKeys(readFileSync(w.knownKeys, 'utf8'), w.knownKeys);
  assert.deepEqual(
    entries.map((e) => e.keyId).sort(),
    files.map((f) => parsePublicKey(readFileSync(join(w.cwd, f), 'utf8')).ref.keyId).sort(),
  );
});

test('keys status shows the fingerprint of every version; a pin taken from it seals to that version only', async () => {
  const w = await world(); // pub.json: version 1
  assert.equal((await shroud(['keys', 'rotate'], w.cwd, w.env)).code, 0);
  assert.equal((await shroud(['keys', 'export-public', '--out', 'pub2.json'], w.cwd, w.env)).code, 0);
  assert.equal((await shroud(['keys', 'retire', '--version', '1'], w.cwd, w.env)).code, 0);
  const text = (await shroud(['keys', 'status'], w.cwd, w.env)).stdout;
  const rows = new Map(
    [...text.matchAll(/^\s+(\d+)\s+(\w+)\s+\S+\s+[0-9a-f]{32}\s+(sha256:[0-9a-f]{32})$/gm)].map((m) => [
      Number(m[1]),
      m[3]!,
    ]),
  );
  assert.deepEqual([...rows.keys()], [1, 2], text);
  assert.equal(rows.get(1), w.real);
  const cases: { file: string; pin: string; code: number }[] = [
    { file: 'pub.json', pin: rows.get(1)!, code: 0 },
    { file: 'pub2.json', pin: rows.get(2)!, code: 0 },
    { file: 'pub2.json', pin: rows.get(1)!, code: 3 },
    { file: 'pub.json', pin: rows.get(2)!, code: 3 },
  ];
  for (const c of cases) {
    const r = await shroud(sealArgs(c.file, '--fingerprint', c.pin), w.cwd, w.env);
    assert.equal(r.code, c.code, `${c.file} pinned to ${c.pin}: ${r.stderr}`);
    if (c.code === 0) assert.ok(await opens(w, r.stdout));
  }
});

test('the first use of a new version of a known key id says so, since an attacker could pick a new version number', async () => {
  const w = await world();
  assert.equal((await shroud(sealArgs('pub.json'), w.cwd, w.env)).code, 0);
  assert.equal((await shroud(['keys', 'rotate'], w.cwd, w.env)).code, 0);
  assert.equal((await shroud(['keys', 'export-public', '--out', 'pub2.json'], w.cwd, w.env)).code, 0);
  const r = await shroud(sealArgs('pub2.json'), w.cwd, w.env);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stderr,
    /^shroud: first use of local key "[0-9a-f]{16}" version 2: .*:5\. This is a NEW version of a key id you have sealed to before \(known versions: 1\)/,
  );
});
