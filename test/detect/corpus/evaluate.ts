/**
 * Evaluates the detector corpus: every `*.ts` file in this folder (except this one, `types.ts`
 * and tests) exports `CASES`; each case is pasted into ConfigMaps four ways and run through the
 * real policy engine with the built-in policies, and the verdicts are counted.
 *
 * The four ways: under the case's telling key, under a neutral key (`value1`), inside an embedded
 * config file (properties, YAML, .env or JSON, rotating by case so every format gets its share),
 * and base64-encoded in `binaryData` under the telling key. A credential counts as found when a
 * paste is denied or warned; a look-alike counts as a false flag when it is denied or warned.
 */
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { evaluateObject, parsePolicyFiles, type PolicySet } from '../../../src/policy/index.js';
import type { CorpusCase } from './types.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const POLICY_DIR = join(HERE, '..', '..', '..', 'policies');
const NOT_CORPUS = new Set(['types.ts', 'evaluate.ts']);

/** A case with the file it came from. */
export interface LoadedCase extends CorpusCase {
  file: string;
}

/** Every case of every corpus file in this folder, discovered (not listed), in file order. */
export async function loadCorpus(): Promise<LoadedCase[]> {
  const files = (await readdir(HERE)).filter((f) => f.endsWith('.ts') && !NOT_CORPUS.has(f) && !f.includes('.test.'));
  const cases: LoadedCase[] = [];
  for (const file of files.sort()) {
    const mod = (await import(pathToFileURL(join(HERE, file)).href)) as { CASES?: readonly CorpusCase[] };
    if (!Array.isArray(mod.CASES)) throw new Error(`${file} does not export CASES`);
    for (const c of mod.CASES) cases.push({ ...c, file });
  }
  return cases;
}

/** The built-in policy set, read from policies/ as `shroud check` would. */
export async function builtinPolicies(): Promise<PolicySet> {
  const files = [];
  for (const name of (await readdir(POLICY_DIR)).filter((f) => f.endsWith('.yaml')).sort())
    files.push({ file: name, text: await readFile(join(POLICY_DIR, name), 'utf8') });
  const r = parsePolicyFiles(files);
  if (r.issues.length > 0) throw new Error(`built-in policies do not load: ${JSON.stringify(r.issues)}`);
  return r.value;
}

export const WAYS = ['telling key', 'neutral key', 'config file', 'binaryData'] as const;
export type Way = (typeof WAYS)[number];
export type Verdict = 'deny' | 'warn' | 'none';

const FILE_FORMATS = ['properties', 'yaml', 'env', 'json'] as const;

/** A setting name usable in every file format (the key, or a neutral one when it has odd characters). */
function settingName(key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_.-]*$/.test(key) ? key : 'value1';
}

/** The case's value inside an ordinary config file of the given format. */
export function embed(format: (typeof FILE_FORMATS)[number], key: string, value: string): [string, string] {
  const name = settingName(key);
  switch (format) {
    case 'properties':
      return [
        'application.properties',
        `server.port=8080\nspring.application.name=orders\n${name}=${value.replace(/\n/g, '\\n')}\nlogging.level.root=INFO\n`,
      ];
    case 'yaml': {
      const body = value.includes('\n')
        ? `|\n${value
            .replace(/\n$/, '')
            .split('\n')
            .map((l) => `    ${l}`)
            .join('\n')}`
        : JSON.stringify(value);
      return [
        'values.yaml',
        `replicaCount: 2\nimage:\n  tag: "1.4.2"\nsettings:\n  ${name}: ${body}\n  logLevel: info\n`,
      ];
    }
    case 'env':
      return ['.env', `NODE_ENV=production\nPORT=3000\n${name}=${JSON.stringify(value)}\nLOG_LEVEL=info\n`];
    case 'json':
      return [
        'config.json',
        `${JSON.stringify({ port: 8080, region: 'eu-west-1', [name]: value, debug: false }, null, 2)}\n`,
      ];
  }
}

function configMap(data: Record<string, string>, binary = false): unknown {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'app-config', namespace: 'shop' },
    [binary ? 'binaryData' : 'data']: data,
  };
}

/** The ConfigMap for one way of pasting case number `index`. */
export function paste(c: CorpusCase, way: Way, index: number): unknown {
  switch (way) {
    case 'telling key':
      return configMap({ [c.key]: c.value });
    case 'neutral key':
      return configMap({ value1: c.value });
    case 'config file': {
      const [file, text] = embed(FILE_FORMATS[index % FILE_FORMATS.length]!, c.key, c.value);
      return configMap({ [file]: text });
    }
    case 'binaryData':
      return configMap({ [c.key]: Buffer.from(c.value, 'utf8').toString('base64') }, true);
  }
}

const NOW = new Date('2026-11-29T00:00:00Z');

/** The policy verdict on one ConfigMap, counting only disallow-secrets-in-configmaps. */
export function verdictOf(set: PolicySet, object: unknown): Verdict {
  const ev = evaluateObject(set, { object, kind: 'ConfigMap', operation: 'CREATE' }, { now: NOW });
  const mine = ev.violations.filter((v) => v.policy === 'disallow-secrets-in-configmaps');
  if (mine.some((v) => v.enforcement === 'deny')) return 'deny';
  return mine.some((v) => v.enforcement === 'warn') ? 'warn' : 'none';
}

/** One case pasted one way, and the verdict. */
export interface Outcome {
  case: LoadedCase;
  way: Way;
  verdict: Verdict;
}

export async function evaluateCorpus(cases?: LoadedCase[]): Promise<Outcome[]> {
  const all = cases ?? (await loadCorpus());
  const set = await builtinPolicies();
  const out: Outcome[] = [];
  all.forEach((c, i) => {
    for (const way of WAYS) out.push({ case: c, way, verdict: verdictOf(set, paste(c, way, i)) });
  });
  return out;
}

/** Recall and false-flag rates over some outcomes. */
export interface Figures {
  credentials: number;
  lookalikes: number;
  /** Share of credential pastes denied or warned. */
  recall: number;
  /** Share of look-alike pastes denied or warned. */
  falseFlags: number;
  /** Share of credential pastes denied. */
  denyRecall: number;
  /** Share of look-alike pastes denied. */
  denyFalseFlags: number;
}

export function figures(outcomes: readonly Outcome[]): Figures {
  const secret = outcomes.filter((o) => o.case.secret);
  const fake = outcomes.filter((o) => !o.case.secret);
  const share = (list: readonly Outcome[], ok: (v: Verdict) => boolean): number =>
    list.length === 0 ? 0 : list.filter((o) => ok(o.verdict)).length / list.length;
  return {
    credentials: secret.length,
    lookalikes: fake.length,
    recall: share(secret, (v) => v !== 'none'),
    falseFlags: share(fake, (v) => v !== 'none'),
    denyRecall: share(secret, (v) => v === 'deny'),
    denyFalseFlags: share(fake, (v) => v === 'deny'),
  };
}

/** `name (file, way): verdict` lines for misses and false flags, for failure messages. */
export function describe(outcomes: readonly Outcome[]): string[] {
  return outcomes.map((o) => `${o.case.name} (${o.case.file}, ${o.way}): ${o.verdict}`);
}

/** The evaluation table: all pastes, then one row per way. */
export function table(outcomes: readonly Outcome[]): string {
  const pct = (x: number): string => `${(x * 100).toFixed(1)}%`.padStart(7);
  const row = (label: string, f: Figures): string =>
    `${label.padEnd(14)} ${String(f.credentials).padStart(6)} ${String(f.lookalikes).padStart(6)}  ${f.recall.toFixed(3).padStart(6)} ${pct(f.falseFlags)}   ${f.denyRecall.toFixed(3).padStart(6)} ${pct(f.denyFalseFlags)}`;
  const lines = [
    `${'pasted'.padEnd(14)} ${'creds'.padStart(6)} ${'looks'.padStart(6)}  ${'recall'.padStart(6)} ${'false'.padStart(7)}   ${'deny r'.padStart(6)} ${'deny f'.padStart(7)}`,
    row('all', figures(outcomes)),
  ];
  for (const way of WAYS) lines.push(row(way, figures(outcomes.filter((o) => o.way === way))));
  return lines.join('\n');
}
