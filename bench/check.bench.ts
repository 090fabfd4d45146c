/**
 * The bounds of issue 13 (findings 3 and 5): `shroud check` on hostile manifests, each in its own
 * child process (time, CPU, peak RSS, output size), and the webhook's reviewer on the same
 * objects (time per review and response size). Before the bounds, measured the same way on this
 * machine class (2 shared cores): `check --output json` of the 40,000-key ConfigMap took 45 s of
 * CPU (93 s wall), 193 MiB and printed 20 MB; of the 42,000-env-var Pod, 2.7 s of CPU, 501 MiB and
 * 20 MB; of the aliased containers, 7.2 s of CPU, 1.75 GB and 468 MB. The reviewer spent 286 ms
 * and 195 ms of CPU on the ConfigMap and the Pod and answered with 15.3 MB and 14.8 MB.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { AdmissionRequest } from '../src/admission/types.js';
import { verdictResponse } from '../src/admission/respond.js';
import { createPolicyReviewer, loadPolicyDir, valueOrThrow } from '../src/policy/index.js';
import { measure, printTable } from './harness.js';
import { aliasedContainersYaml, secretConfigMapYaml, secretEnvPod } from './support/hostile-inputs.js';

const here = dirname(fileURLToPath(import.meta.url));

interface CheckRun {
  code: number;
  ms: number;
  cpuMs: number;
  maxRssMiB: number;
  stdoutBytes: number;
  stderrBytes: number;
}

function checkOnce(args: string[]): Promise<CheckRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'support', 'check-once.ts'), ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
    child.on('error', reject);
    child.on('exit', () => {
      try {
        resolve(JSON.parse(err.trim().split('\n').at(-1)!) as CheckRun);
      } catch {
        reject(new Error(`check-once printed no result: ${err.slice(0, 500)}`));
      }
    });
  });
}

function request(object: Record<string, unknown>): AdmissionRequest {
  return {
    uid: 'b0a1c2d3-0000-4000-8000-000000000000',
    kind: { group: '', version: 'v1', kind: String(object.kind) },
    resource: { group: '', version: 'v1', resource: 'x' },
    namespace: 'shop',
    name: 'big',
    operation: 'CREATE',
    userInfo: { username: 'dev@example.com' },
    object,
  };
}

/** Runs the benchmark and prints its tables. */
export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'shroud-bench-check-'));
  try {
    const configMap = secretConfigMapYaml();
    const pod = secretEnvPod();
    const files: Array<[string, string, string]> = [
      ['ConfigMap, 40,000 flagged keys (YAML)', 'configmap-40k.yaml', configMap],
      ['Pod, 42,000 secret env vars (JSON)', 'pod-42k.json', JSON.stringify(pod)],
      ['999 aliased containers (YAML)', 'aliased.yaml', aliasedContainersYaml()],
    ];
    console.log('\nshroud check, one child process per input (default --max-violations 1000)');
    console.log(
      `  ${'input'.padEnd(44)} ${'size'.padStart(9)} ${'exit'.padStart(4)} ${'wall ms'.padStart(8)} ${'cpu ms'.padStart(8)} ${'peak RSS'.padStart(9)} ${'output'.padStart(10)}`,
    );
    for (const [name, file, text] of files) {
      writeFileSync(join(dir, file), text);
      for (const args of [
        ['--output', 'json'],
        ['--output', 'json', '--max-violations', 'all'],
      ]) {
        // Listing everything is only worth showing where there is something bounded to list.
        if (args.length > 2 && file === 'aliased.yaml') continue;
        const r = await checkOnce(['check', ...args, '--policies', join(here, '..', 'policies'), join(dir, file)]);
        const label = args.length > 2 ? `${name}, all` : name;
        console.log(
          `  ${label.padEnd(44)} ${`${(text.length / 1024).toFixed(0)} KB`.padStart(9)} ${String(r.code).padStart(4)} ${r.ms.toFixed(0).padStart(8)} ${r.cpuMs.toFixed(0).padStart(8)} ${`${r.maxRssMiB.toFixed(0)} MiB`.padStart(9)} ${`${(r.stdoutBytes / 1024).toFixed(0)} KB`.padStart(10)}`,
        );
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  // The webhook side: the same objects through the reviewer, and the size of the response body.
  const set = valueOrThrow(await loadPolicyDir(join(here, '..', 'policies')));
  const reviewer = createPolicyReviewer(() => set);
  const objects: Array<[string, Record<string, unknown>]> = [
    ['ConfigMap 40,000 flagged keys', parse(secretConfigMapYaml()) as Record<string, unknown>],
    ['Pod 42,000 secret env vars', secretEnvPod()],
  ];
  const rows = [];
  for (const [name, object] of objects) {
    const req = request(object);
    const body = () => {
      const verdict = reviewer.review(req);
      // The policy reviewer answers synchronously; measure() times synchronous work.
      if (verdict instanceof Promise) throw new Error('expected a synchronous verdict');
      const response = verdictResponse(req.uid, verdict);
      return JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response });
    };
    const bytes = Buffer.byteLength(body());
    rows.push(measure(`${name}: review + response (${bytes} B)`, body, { timeMs: 2000, warmupMs: 200 }));
  }
  printTable('Reviewer on the same objects (default bounds: 100 violations, 16 KiB message)', rows);
}
