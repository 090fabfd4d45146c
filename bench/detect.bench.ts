/**
 * Secret detectors: scanEntry over a 200-key ConfigMap of ordinary values, a 64 KB config
 * file, and a value holding a PEM private key, each next to JSON.parse of the same ConfigMap
 * body in the same run (the cost the webhook pays anyway to read the review).
 */
import { generateKeyPairSync } from 'node:crypto';
import { findHintLines } from '../src/detect/hint-lines.js';
import { listDetectors, scanEntry } from '../src/detect/index.js';
import { kernelAvailable, runKernel } from '../src/detect/kernel/line-scan.js';
import { findTokenRuns, LONG_RUN } from '../src/detect/runs.js';
import { measure } from './harness.js';
import {
  certificateBundle,
  minifiedJsonFile,
  nginxFile,
  prettyJsonFile,
  propertiesFile,
  proseFile,
  yamlFile,
} from './support/config-files.js';

/** One row: throughput and wall time from the shared harness, plus CPU time per operation. */
interface Row {
  name: string;
  opsPerSec: number;
  usPerOp: number;
  cpuUsPerOp: number;
}

/** Times each case is measured; the row reports the median of each figure. */
const REPEATS = 3;

/**
 * Measures like the harness, then runs the same number of operations again under
 * process.cpuUsage: on a shared machine CPU time per operation moves less than wall time.
 * Repeated {@link REPEATS} times; each figure is the median of the repeats.
 */
function measureCpu(name: string, fn: () => unknown): Row {
  const runs: Row[] = [];
  for (let r = 0; r < REPEATS; r++) {
    const m = measure(name, fn);
    const ops = Math.max(1, Math.round(m.ops / 2));
    let sink: unknown;
    const before = process.cpuUsage();
    for (let i = 0; i < ops; i++) sink = fn();
    const used = process.cpuUsage(before);
    if (sink === Symbol.for('never')) console.log(sink);
    runs.push({ name, opsPerSec: m.opsPerSec, usPerOp: m.usPerOp, cpuUsPerOp: (used.user + used.system) / ops });
  }
  const median = (pick: (r: Row) => number): number => runs.map(pick).sort((a, b) => a - b)[REPEATS >> 1] as number;
  return {
    name,
    opsPerSec: median((r) => r.opsPerSec),
    usPerOp: median((r) => r.usPerOp),
    cpuUsPerOp: median((r) => r.cpuUsPerOp),
  };
}

/** Prints rows with wall and CPU time (medians of the repeats); the ratio column is CPU time against the first row's. */
function printTable(title: string, rows: Row[]): void {
  const base = rows[0] as Row;
  const width = Math.max(10, ...rows.map((r) => r.name.length));
  console.log(`\n${title}`);
  console.log(
    `  ${'case'.padEnd(width)}  ${'ops/s'.padStart(10)}  ${'wall µs/op'.padStart(10)}  ${'CPU µs/op'.padStart(10)}  ${`x ${base.name} (CPU)`.padStart(24)}`,
  );
  for (const r of rows)
    console.log(
      `  ${r.name.padEnd(width)}  ${Math.round(r.opsPerSec).toLocaleString('en-US').padStart(10)}  ${r.usPerOp.toFixed(2).padStart(10)}  ${r.cpuUsPerOp.toFixed(2).padStart(10)}  ${(r.cpuUsPerOp / base.cpuUsPerOp).toFixed(2).padStart(24)}`,
    );
}

const ORDINARY_VALUES: readonly string[] = [
  'info',
  'true',
  'false',
  '8080',
  '30s',
  '3',
  'postgres.shop.svc.cluster.local',
  'https://api.example.com/v2/',
  'redis://redis:6379/0',
  '/run/secrets/shroud/db-password',
  '${DB_PASSWORD}',
  'registry.example.com/shop/orders@sha256:9b2a6f0c1d4e8b7a5c3f2e1d0c9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b',
  '6f1c2e4a-3b5d-4c7e-9f0a-1b2c3d4e5f60',
  'eu-west-1',
  '-Xmx512m -XX:+UseG1GC',
  'https://shop.example.com,https://admin.example.com',
];
const KEY_STEMS: readonly string[] = [
  'LOG_LEVEL',
  'FEATURE',
  'PORT',
  'TIMEOUT',
  'HOST',
  'URL',
  'PASSWORD_FILE',
  'IMAGE',
  'REGION',
  'OPTS',
];

function configMap(data: Record<string, string>): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'app', namespace: 'shop' }, data });
}

function ordinaryConfigMap(keys: number): Record<string, string> {
  const data: Record<string, string> = {};
  for (let i = 0; i < keys; i++)
    data[`${KEY_STEMS[i % KEY_STEMS.length]}_${i}`] = ORDINARY_VALUES[i % ORDINARY_VALUES.length] as string;
  return data;
}

let turn = 0;
function nextName(): string {
  turn ^= 1;
  return turn === 0 ? 'application.properties' : 'application-2.properties';
}

/**
 * Scans every entry. The entries are listed once beforehand: enumerating a 200-key object costs
 * about as much as the scans of its short values, and the policy engine walks the object in its
 * own way (measured by the policy bench); this measures the detectors.
 */
function scanAll(data: Record<string, string>): number {
  let entries = ENTRIES.get(data);
  if (entries === undefined) {
    entries = Object.entries(data);
    ENTRIES.set(data, entries);
  }
  let findings = 0;
  for (const [key, value] of entries) findings += scanEntry(key, value).length;
  return findings;
}
const ENTRIES = new WeakMap<Record<string, string>, Array<[string, string]>>();

export async function run(): Promise<void> {
  const ordinary = configMap(ordinaryConfigMap(200));
  const ordinaryData = (JSON.parse(ordinary) as { data: Record<string, string> }).data;
  console.log(`200-key ConfigMap body: ${ordinary.length} bytes, findings: ${scanAll(ordinaryData)}`);
  printTable('200-key ConfigMap of ordinary values', [
    measureCpu('JSON.parse body', () => JSON.parse(ordinary)),
    measureCpu('scanEntry x 200', () => scanAll(ordinaryData)),
  ]);

  const file = configMap({ 'application.properties': propertiesFile(64 * 1024) });
  const fileData = (JSON.parse(file) as { data: Record<string, string> }).data;
  const fileValue = fileData['application.properties'] as string;
  console.log(`\n64 KB config file: ${fileValue.length} characters, findings: ${scanAll(fileData)}`);
  printTable('64 KB config file value', [
    measureCpu('JSON.parse body', () => JSON.parse(file)),
    // Two key names in turn, so that no detector's last-entry memory (shared by a high
    // detector and its low twin within one entry) carries over from one operation to the next.
    measureCpu('scanEntry', () => scanEntry(nextName(), fileValue).length),
    ...listDetectors().map((d) => measureCpu(`  ${d.name}`, () => d.scan(nextName(), fileValue))),
    // The shared whole-value pass (hint lines and long runs): the kernel, and the JavaScript
    // searches it stands in for (kernel/line-scan.ts).
    ...(kernelAvailable() ? [measureCpu('  whole-value pass: kernel', () => runKernel(fileValue))] : []),
    measureCpu(
      '  whole-value pass: JavaScript',
      () => findHintLines(fileValue).spans.length + findTokenRuns(fileValue, LONG_RUN).length,
    ),
  ]);

  // Other kinds of 64 KB files: each scanEntry row against JSON.parse of its own body.
  const kinds: Array<[string, string]> = [
    ['YAML settings', yamlFile(64 * 1024)],
    ['nginx.conf', nginxFile(64 * 1024)],
    ['JSON, pretty-printed', prettyJsonFile(64 * 1024)],
    ['JSON, minified', minifiedJsonFile(64 * 1024)],
    ['prose (Markdown)', proseFile(64 * 1024)],
    ['PEM certificates', certificateBundle(64 * 1024)],
  ];
  console.log('\n64 KB files of other kinds (CPU µs per operation; ratio to JSON.parse of the same body)');
  for (const [kind, text] of kinds) {
    const body = configMap({ 'settings.conf': text });
    const value = (JSON.parse(body) as { data: Record<string, string> }).data['settings.conf'] as string;
    const parse = measureCpu('JSON.parse', () => JSON.parse(body));
    const scan = measureCpu('scanEntry', () => scanEntry(nextName(), value).length);
    console.log(
      `  ${kind.padEnd(22)}  JSON.parse ${parse.cpuUsPerOp.toFixed(1).padStart(7)}  scanEntry ${scan.cpuUsPerOp.toFixed(1).padStart(8)}  ${(scan.cpuUsPerOp / parse.cpuUsPerOp).toFixed(2).padStart(6)}x  findings ${scanEntry('settings.conf', value).length}`,
    );
  }

  const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
    type: 'pkcs8',
    format: 'pem',
  }) as string;
  const withKey = configMap({ 'tls.key': pem, 'tls.crt.path': '/etc/tls/tls.crt', LOG_LEVEL: 'info' });
  const keyData = (JSON.parse(withKey) as { data: Record<string, string> }).data;
  console.log(`\nConfigMap with a PEM key: ${withKey.length} bytes, findings: ${scanAll(keyData)}`);
  printTable('value with a PEM private key (3 keys)', [
    measureCpu('JSON.parse body', () => JSON.parse(withKey)),
    measureCpu('scanEntry x 3', () => scanAll(keyData)),
  ]);
}
