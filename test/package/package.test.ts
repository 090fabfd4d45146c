/**
 * The published package: what `npm pack` puts in the tarball, and that the tarball installed into
 * an empty folder gives a working `shroud` (compiled code, built-in policies, no TypeScript loader).
 * Builds dist/ first when it is missing or older than src/, so the file also runs on its own.
 */
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { before, test } from 'node:test';
import { promisify } from 'node:util';
import { tempDir } from '../helpers/temp-dir.js';

const repo = resolve(import.meta.dirname, '..', '..');
const run = promisify(execFile);
const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { name: string };

/** npm without its chatter; nothing here needs the fund or audit round trips. */
const npmEnv = {
  ...process.env,
  npm_config_fund: 'false',
  npm_config_audit: 'false',
  npm_config_update_notifier: 'false',
  npm_config_loglevel: 'error',
};

async function npm(args: string[], cwd: string, timeout: number): Promise<string> {
  const { stdout } = await run('npm', args, { cwd, env: npmEnv, timeout, maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

/** Every file below `dir`, recursively. */
function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return files(path);
    return e.isFile() ? [path] : [];
  });
}

/** `npm run build` unless every file in dist/ is newer than every compiled input. */
async function ensureBuilt(): Promise<void> {
  const dist = join(repo, 'dist');
  if (existsSync(join(dist, 'cli', 'main.js'))) {
    const inputs = [...files(join(repo, 'src')), join(repo, 'tsconfig.json'), join(repo, 'tsconfig.build.json')];
    const newestInput = Math.max(...inputs.map((f) => statSync(f).mtimeMs));
    const oldestOutput = Math.min(...files(dist).map((f) => statSync(f).mtimeMs));
    if (oldestOutput >= newestInput) return;
  }
  await npm(['run', 'build'], repo, 120_000);
}

before(ensureBuilt, { timeout: 180_000 });

/**
 * What the tarball may hold: the compiled code with its declarations, the bin shim, the built-in
 * policies and their schema, package.json and the README. Anything else (sources, tests, fixtures,
 * certificates, keyrings, build caches) is a packaging mistake.
 */
const SHIPPED = [
  /^package\.json$/,
  /^README\.md$/,
  /^bin\/shroud\.js$/,
  /^dist\/(?!test\/|src\/).+\.(js|d\.ts)$/,
  /^policies\/[^/]+\.yaml$/,
  /^policies\/schema\.json$/,
  /^proto\/kms\/v2\/api\.proto$/,
];

function isShippable(path: string): boolean {
  return SHIPPED.some((re) => re.test(path));
}

test('the shipping allow-list: table', () => {
  const cases = [
    { name: 'compiled module', path: 'dist/cli/main.js', ok: true },
    { name: 'declarations', path: 'dist/index.d.ts', ok: true },
    { name: 'keyring code is code', path: 'dist/crypto/keyring-file.js', ok: true },
    { name: 'built-in policy', path: 'policies/disallow-secret-env.yaml', ok: true },
    { name: 'schema', path: 'policies/schema.json', ok: true },
    { name: 'bin shim', path: 'bin/shroud.js', ok: true },
    { name: 'a test', path: 'test/cli/check.test.ts', ok: false },
    { name: 'a compiled test (the build reached outside src/)', path: 'dist/test/cli/check.test.js', ok: false },
    { name: 'a compiled source one level too deep', path: 'dist/src/cli/main.js', ok: false },
    { name: 'test keyring', path: 'test/vectors/insecure-test-keyring.json', ok: false },
    { name: 'dev keyring', path: '.shroud/keyring.json', ok: false },
    { name: 'certificate key', path: 'certs/tls.key', ok: false },
    { name: 'certs readme', path: 'certs/README.md', ok: false },
    { name: 'TypeScript source', path: 'src/cli/main.ts', ok: false },
    { name: 'build cache', path: 'dist/tsconfig.build.tsbuildinfo', ok: false },
    { name: 'source map', path: 'dist/cli/main.js.map', ok: false },
    { name: 'policy test case', path: 'policies/cases/expected.yaml', ok: false },
  ];
  for (const c of cases) assert.equal(isShippable(c.path), c.ok, c.name);
});

test('npm pack ships dist, the bin shim, the built-in policies and the README, and nothing else', async () => {
  // --ignore-scripts: prepack would rebuild dist/ under other test files' feet; ensureBuilt made it fresh.
  const out = await npm(['pack', '--dry-run', '--json', '--ignore-scripts'], repo, 60_000);
  const [report] = JSON.parse(out) as { name: string; files: { path: string }[] }[];
  assert.ok(report !== undefined, 'npm pack --json printed no report');
  assert.equal(report.name, pkg.name);
  const paths = report.files.map((f) => f.path).sort();

  assert.deepEqual(
    paths.filter((p) => !isShippable(p)),
    [],
  );
  assert.deepEqual(
    paths.filter((p) => /^(test|certs|src|bench|\.shroud)\//.test(p) || /keyring[^/]*\.json$/.test(p)),
    [],
  );
  const builtins = readdirSync(join(repo, 'policies')).map((f) => `policies/${f}`);
  for (const needed of [
    'package.json',
    'README.md',
    'bin/shroud.js',
    'dist/cli/main.js',
    'dist/index.d.ts',
    'proto/kms/v2/api.proto',
    ...builtins,
  ])
    assert.ok(paths.includes(needed), `${needed} is missing from the package`);
});

test('the packed tarball installed into an empty folder runs shroud check with the built-in policies', {
  timeout: 300_000,
}, async (t) => {
  const packDir = tempDir('shroud-pack-');
  const out = await npm(['pack', '--json', '--ignore-scripts', '--pack-destination', packDir], repo, 60_000);
  const [report] = JSON.parse(out) as { filename: string }[];
  assert.ok(report !== undefined, 'npm pack --json printed no report');
  const tarball = join(packDir, report.filename);

  const app = tempDir('shroud-install-');
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'install-check', version: '1.0.0', private: true }));
  // Dependencies come from the npm cache when it has them, from the registry otherwise.
  await npm(['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], app, 240_000);

  const installed = join(app, 'node_modules', ...pkg.name.split('/'));
  assert.ok(existsSync(join(installed, 'dist', 'cli', 'main.js')));
  assert.equal(existsSync(join(app, 'node_modules', 'tsx')), false, 'tsx must not be installed with the package');
  assert.equal(existsSync(join(app, 'policies')), false);

  writeFileSync(
    join(app, 'secret-env.yaml'),
    [
      'apiVersion: v1',
      'kind: Pod',
      'metadata: {name: web, namespace: shop}',
      'spec:',
      '  containers:',
      '    - name: app',
      '      image: app:1',
      '      env:',
      '        - name: DB_PASSWORD',
      '          valueFrom: {secretKeyRef: {name: db, key: password}}',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(app, 'clean.yaml'),
    'apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop}\nspec:\n  containers:\n    - {name: app, image: app:1}\n',
  );

  const bin = join(app, 'node_modules', '.bin', 'shroud');
  /** Runs the installed command in the install folder, where there is no ./policies. */
  async function shroud(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return run(bin, args, { cwd: app, timeout: 30_000 }).then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (e: { code: unknown; stdout: string; stderr: string }) => {
        if (typeof e.code !== 'number') throw e;
        return { code: e.code, stdout: e.stdout, stderr: e.stderr };
      },
    );
  }

  const cases = [
    {
      name: 'a Secret in an env var is denied',
      args: ['check', 'secret-env.yaml'],
      code: 1,
      stdout: /\[disallow-secret-env\/secret-env-var\] spec\.containers\[0\]\.env\[0\]/,
    },
    { name: 'a clean pod passes', args: ['check', 'clean.yaml'], code: 0, stdout: /1 passed/ },
    { name: '--help lists the commands', args: ['--help'], code: 0, stdout: /Usage: shroud <command>[\s\S]*check/ },
  ];
  for (const c of cases) {
    await t.test(c.name, async () => {
      const r = await shroud(c.args);
      assert.equal(r.code, c.code, r.stderr);
      assert.match(r.stdout, c.stdout);
    });
  }

  await t.test('the library entry point resolves to compiled JavaScript with types', async () => {
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as {
      exports: { '.': { types: string; default: string } };
    };
    assert.ok(existsSync(join(installed, manifest.exports['.'].types)));
    const probe = `const m = await import(${JSON.stringify(pkg.name)}); console.log(import.meta.resolve(${JSON.stringify(pkg.name)}), typeof m.evaluateObject, typeof m.sealValue);`;
    const r = await run(process.execPath, ['--input-type=module', '-e', probe], { cwd: app, timeout: 30_000 });
    const [url, evaluate, seal] = r.stdout.trim().split(' ');
    assert.ok(url?.endsWith(`/node_modules/${pkg.name}/dist/index.js`), url);
    assert.deepEqual([evaluate, seal], ['function', 'function']);
  });
});
