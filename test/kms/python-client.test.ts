/**
 * An independent KMS v2 client against `shroud kms-plugin`: Python gRPC (C core) with stubs that
 * protoc generates from proto/kms/v2/api.proto, playing kube-apiserver (Status, Encrypt, Decrypt,
 * refusals, a start-up burst). Debian's python3-grpcio and python3-grpc-tools, which `.ci/run`
 * installs; without them the test fails on CI and is skipped elsewhere.
 */
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { createKeyring, saveKeyring } from '../../src/crypto/index.js';
import { startPluginProcess } from '../helpers/kms-plugin-process.js';
import { tempDir } from '../helpers/temp-dir.js';

const run = promisify(execFile);
const repo = resolve(import.meta.dirname, '..', '..');
/** Debian's interpreter, where its python3-grpcio lives (a pyenv python3 earlier on PATH has none). */
const PYTHON = '/usr/bin/python3';

async function pythonGrpcReady(): Promise<string | undefined> {
  if (!existsSync(PYTHON)) return `${PYTHON} is missing`;
  try {
    await run(PYTHON, ['-c', 'import grpc, grpc_tools.protoc']);
    return undefined;
  } catch {
    return 'python3-grpcio and python3-grpc-tools are not installed (apt-get install python3-grpcio python3-grpc-tools)';
  }
}

test('a Python gRPC client generated from the .proto talks to shroud kms-plugin as kube-apiserver would', async (t) => {
  const missing = await pythonGrpcReady();
  if (missing !== undefined) {
    if (process.env.CI) assert.fail(`the interop test needs Python gRPC on CI: ${missing}`);
    t.skip(missing);
    return;
  }
  const dir = tempDir('shroud-kms-py-');
  const stubs = join(dir, 'stubs');
  mkdirSync(stubs, { recursive: true }); // protoc writes into existing folders only
  await run(PYTHON, [
    '-m',
    'grpc_tools.protoc',
    '-I',
    join(repo, 'proto'),
    `--python_out=${stubs}`,
    `--grpc_python_out=${stubs}`,
    join(repo, 'proto', 'kms', 'v2', 'api.proto'),
  ]);
  const keyringPath = join(dir, 'keyring.json');
  const keyring = createKeyring();
  await saveKeyring(keyringPath, keyring);
  const socketPath = join(dir, 'kms.sock');
  const plugin = await startPluginProcess(['--socket', socketPath, '--keyring', keyringPath], dir);
  try {
    const { stdout } = await run(
      PYTHON,
      [join(repo, 'test', 'kms', 'python', 'apiserver_client.py'), stubs, socketPath],
      {
        timeout: 60_000,
      },
    ).catch((err: { stdout?: string; stderr?: string }) => {
      assert.fail(`the Python client failed:\n${err.stdout ?? ''}\n${err.stderr ?? ''}`);
    });
    const seen = JSON.parse(stdout) as {
      keyId: string;
      refusals: Record<string, string>;
      burst: number;
      failures: string[];
    };
    assert.deepEqual(seen.failures, []);
    assert.match(seen.keyId, new RegExp(`^local:${keyring.keyringId}:v1:[0-9a-f]{32}$`));
    assert.deepEqual(seen.refusals, {
      'tampered ciphertext': 'INVALID_ARGUMENT',
      'other key_id': 'INVALID_ARGUMENT',
      'annotations dropped': 'INVALID_ARGUMENT',
      '33-byte plaintext': 'INVALID_ARGUMENT',
    });
    assert.equal(seen.burst, 500);
  } finally {
    plugin.child.kill('SIGTERM');
  }
  assert.equal(await plugin.exited, 0, plugin.out.stderr);
});
