/**
 * The Dockerfile, outside a container (no container engine can pull a base image on these
 * machines): its final stage's steps are read from the Dockerfile and carried out in a temp
 * folder (production dependencies installed as the deps stage installs them, the files copied
 * as COPY copies them), and the entrypoint runs `serve --role webhook` from there with
 * certificates from `shroud certs`, answering /healthz and /readyz on 127.0.0.1.
 */
import { strict as assert } from 'node:assert';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { basename, dirname, join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp-dir.js';

const repo = resolve(import.meta.dirname, '..', '..');
const dockerfile = readFileSync(join(repo, 'Dockerfile'), 'utf8');

interface Stage {
  from: string;
  name?: string;
  steps: Array<{ op: string; args: string }>;
}

/** The Dockerfile's stages, with continuation lines joined and comments dropped. */
function stages(text: string): { args: Record<string, string>; stages: Stage[] } {
  const args: Record<string, string> = {};
  const out: Stage[] = [];
  const lines = text.replace(/\\\n/g, ' ').split('\n');
  for (const line of lines.map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'))) {
    const [, op = '', rest = ''] = /^(\S+)\s+(.*)$/.exec(line) ?? [];
    if (op === 'ARG' && out.length === 0) {
      const [k = '', v = ''] = rest.split('=');
      args[k] = v;
    } else if (op === 'FROM') {
      const [from = '', , name] = rest.split(/\s+/);
      out.push({ from, name, steps: [] });
    } else out.at(-1)?.steps.push({ op, args: rest });
  }
  return { args, stages: out };
}

const { args, stages: all } = stages(dockerfile);
const final = all.at(-1);

test('the image: multi-stage on a Node LTS, non-root numeric user, shroud as the entrypoint', () => {
  assert.ok(final && all.length >= 2);
  const major = Number(args.NODE_VERSION);
  assert.ok(major >= 20 && major % 2 === 0, `NODE_VERSION ${args.NODE_VERSION} is an LTS line`);
  for (const s of all) assert.match(s.from, /^node:\$\{NODE_VERSION\}-/);
  const user = final.steps.find((s) => s.op === 'USER')?.args ?? '';
  assert.match(user, /^[1-9]\d*:[1-9]\d*$/, 'numeric, not root');
  assert.deepEqual(JSON.parse(final.steps.find((s) => s.op === 'ENTRYPOINT')?.args ?? 'null'), [
    'node',
    '/app/bin/shroud.js',
  ]);
  const build = all.find((s) => s.name === 'build');
  assert.ok(
    build?.steps.some((s) => s.op === 'RUN' && s.args.includes('npm ci') && !s.args.includes('--omit=dev')),
    'build has dev deps',
  );
  // Only the compiled code, production dependencies, package.json, the bin shim and the policies.
  const copies = final.steps.filter((s) => s.op === 'COPY').map((s) => s.args.split(/\s+/).at(-1));
  assert.deepEqual(copies, ['./node_modules', './', './bin/shroud.js', './dist', './policies/', './proto/kms/v2/']);
});

let server: ChildProcess | undefined;
after(() => server?.kill('SIGKILL'));

function get(port: number, path: string, ca: Buffer): Promise<number> {
  return new Promise((done, fail) => {
    const req = request({ host: '127.0.0.1', port, path, ca, servername: 'localhost', timeout: 5_000 }, (res) => {
      res.resume();
      res.on('end', () => done(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error(`${path} timed out`)));
    req.on('error', fail);
    req.end();
  });
}

test('the final stage built outside a container serves the webhook role', { timeout: 300_000 }, async () => {
  assert.ok(final);
  const root = tempDir('shroud-image-');
  const dirs: Record<string, string> = { '/src': repo, '/app': join(root, 'app') };
  const deps = all.find((s) => s.name === 'deps');
  assert.ok(deps);
  // The deps stage: package.json and the lockfile, then its npm ci (production only).
  const depsDir = join(root, 'deps');
  mkdirSync(depsDir);
  for (const f of ['package.json', 'package-lock.json']) cpSync(join(repo, f), join(depsDir, f));
  const install =
    deps.steps
      .find((s) => s.op === 'RUN')
      ?.args.split('&&')[0]
      ?.trim()
      .split(/\s+/) ?? [];
  assert.deepEqual(install.slice(0, 2), ['npm', 'ci']);
  assert.ok(install.includes('--omit=dev'));
  // Install scripts stay off, except pkcs11js's (a native addon), built in this stage.
  assert.ok(install.includes('--ignore-scripts'));
  assert.ok(
    deps.steps.some((s) => s.op === 'RUN' && s.args.includes('npm rebuild pkcs11js')),
    'the deps stage builds pkcs11js',
  );
  await promisify(execFile)('npm', [...install.slice(1), '--prefer-offline', '--loglevel=error'], {
    cwd: depsDir,
    timeout: 240_000,
    maxBuffer: 16 << 20,
  });
  // The final stage's COPY steps (dist/ is the build stage's `npm run build`, which npm test has run).
  const app = dirs['/app'] ?? '';
  mkdirSync(app);
  for (const step of final.steps.filter((s) => s.op === 'COPY')) {
    const words = step.args.split(/\s+/);
    const from = words[0]?.startsWith('--from=') ? words.shift()?.slice('--from='.length) : undefined;
    const dest = join(app, words.pop() ?? '');
    for (const src of words) {
      const base =
        from === 'deps'
          ? join(depsDir, src.replace(/^\/app\//, ''))
          : from === 'build'
            ? join(repo, src.replace(/^\/src\//, ''))
            : join(repo, src);
      const matched = basename(base).includes('*')
        ? readdirSync(dirname(base))
            .filter((f) => new RegExp(`^${basename(base).replace('.', '\\.').replace('*', '.*')}$`).test(f))
            .map((f) => join(dirname(base), f))
        : [base];
      assert.ok(matched.length > 0 && matched.every((m) => existsSync(m)), `COPY ${src} finds files`);
      for (const m of matched)
        cpSync(m, dest.endsWith('/') || words.length > 1 || matched.length > 1 ? join(dest, basename(m)) : dest, {
          recursive: true,
        });
    }
  }
  const modules = readdirSync(join(app, 'node_modules'));
  for (const dev of ['typescript', 'tsx', '@biomejs', 'kubernetes-models', 'fast-check'])
    assert.ok(!modules.includes(dev), `${dev} is not in the image`);
  assert.ok(!existsSync(join(app, 'src')) && !existsSync(join(app, 'test')));

  const certs = join(root, 'certs');
  const made = await runCli(['certs', '--cert-dir', certs, '--dns', 'localhost']);
  assert.equal(made.code, 0, made.stderr);
  const ca = readFileSync(join(certs, 'ca.crt'));
  const entry = JSON.parse(final.steps.find((s) => s.op === 'ENTRYPOINT')?.args ?? '[]') as string[];
  const bin = (entry[1] ?? '').replace(/^\/app/, app);
  server = spawn(
    process.execPath,
    [
      bin,
      'serve',
      '--role',
      'webhook',
      '--listen',
      '127.0.0.1:0',
      '--cert-dir',
      certs,
      '--unseal-ca',
      join(certs, 'ca.crt'),
    ],
    {
      cwd: root,
      env: { PATH: process.env.PATH, NODE_ENV: 'production', SHROUD_DEV_CERTS: 'false', SHROUD_DEV_KEYRING: 'false' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const port = await new Promise<number>((done, fail) => {
    const seen = (chunk: Buffer) => {
      output += chunk.toString();
      const m = /listening on https:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      if (m) done(Number(m[1]));
    };
    server?.stdout?.on('data', seen);
    server?.stderr?.on('data', seen);
    server?.on('exit', (code) => fail(new Error(`serve exited ${code}: ${output}`)));
  });
  assert.equal(await get(port, '/healthz', ca), 200);
  assert.equal(await get(port, '/readyz', ca), 200);
  server.kill('SIGINT');
  await new Promise((done) => server?.once('exit', done));
  // Nothing written besides what the test made: the read-only root filesystem needs no writable folder.
  const tree = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? tree(join(dir, e.name)).map((f) => `${e.name}/${f}`) : [e.name],
    );
  assert.deepEqual(tree(join(root, 'certs')).sort(), ['ca.crt', 'tls.crt', 'tls.key']);
  assert.deepEqual(readdirSync(root).sort(), ['app', 'certs', 'deps'], 'no dev keyring or certificates were made');
  assert.deepEqual(
    tree(app)
      .filter((f) => !f.startsWith('node_modules/') && !f.startsWith('dist/'))
      .sort(),
    [
      'bin/shroud.js',
      'package.json',
      ...readdirSync(join(repo, 'policies'))
        .filter((f) => f.endsWith('.yaml') || f === 'schema.json')
        .map((f) => `policies/${f}`),
      'proto/kms/v2/api.proto',
    ].sort(),
  );
});
