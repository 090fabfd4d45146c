/**
 * How long a policy load keeps the event loop from other work, for the built-in policies, for
 * directories at the limits (2 MiB of 5,000-node documents: rules, a long list, misspelt
 * rules) and for YAML bombs. Each load runs as the server runs it (slices of DEFAULT_SLICE_MS)
 * and in one piece (as before slicing), with a setImmediate ticker beside it: "longest gap" is
 * the longest time the ticker waited, i.e. what an admission request would have waited. CPU is
 * the process's user+system time for the load (it includes the garbage collector's threads).
 * Wall times on a shared machine include time the process was not scheduled, so the table also
 * gives the longest single step in CPU time: a slice is at most DEFAULT_SLICE_MS plus one step.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { DEFAULT_POLICY_LIMITS, DEFAULT_SLICE_MS, loadPolicyDir, readPolicyFiles } from '../src/policy/index.js';
import { policyLoadSteps } from '../src/policy/parse-files.js';

const HEAD = (name: string) => `apiVersion: policy.shroud.dev/v1\nkind: Policy\nmetadata:\n  name: ${name}\n`;

function rulesDoc(d: number): string {
  let s = `${HEAD(`rules-${d}`)}spec:\n  enforcement: deny\n  match:\n    kinds: [Pod]\n  rules:\n`;
  for (let i = 0; i < 330; i++)
    s += `    - {name: r${i}, select: "$.spec.containers[*]", when: [{path: "$.name", equals: "x${i}"}], message: "m {{name}}"}\n`;
  return s;
}

function listDoc(d: number): string {
  let s = `${HEAD(`list-${d}`)}spec:\n  enforcement: deny\n  match:\n    kinds: [Pod]\n    namespaces:\n      exclude:\n`;
  for (let i = 0; i < 4950; i++) s += `        - team-${i}-*\n`;
  return `${s}  rules:\n    - {name: r, message: m}\n`;
}

function misspeltDoc(d: number): string {
  let s = `${HEAD(`bad-${d}`)}spec:\n  enforcement: deny\n  match:\n    kinds: [Pod]\n  rules:\n`;
  for (let i = 0; i < 980; i++) s += `    - {nam: r${i}, mesage: m}\n`;
  return s;
}

/** Files of about `fileBytes` each, filled with documents from `doc`, up to `totalBytes`. */
function fill(dir: string, doc: (d: number) => string, fileBytes: number, totalBytes: number): void {
  mkdirSync(dir, { recursive: true });
  let d = 0;
  let total = 0;
  for (let f = 0; ; f++) {
    let text = '';
    for (;;) {
      const next = `${doc(d)}---\n`;
      if (Buffer.byteLength(text) + Buffer.byteLength(next) > fileBytes) break;
      text += next;
      d++;
    }
    if (total + Buffer.byteLength(text) > totalBytes) return;
    total += Buffer.byteLength(text);
    writeFileSync(join(dir, `f${f}.yaml`), text);
  }
}

function billionLaughs(): string {
  let text = `${HEAD('laughs')}x0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n`;
  for (let i = 1; i < 10; i++)
    text += `x${i}: &a${i} [${Array(9)
      .fill(`*a${i - 1}`)
      .join(', ')}]\n`;
  return `${text}spec: *a9\n`;
}

function aliasedRule(): string {
  let text = `${HEAD('aliased')}spec:\n  enforcement: deny\n  match: {kinds: [Pod]}\n  rules:\n    - &r\n      name: r\n      message: m\n      when:\n`;
  for (let i = 0; i < 9000; i++) text += `        - {path: "$.a${i}", exists: true}\n`;
  for (let i = 0; i < 500; i++) text += '    - *r\n';
  return text;
}

function manyAliases(): string {
  let text = `${HEAD('wide')}x:\n`;
  for (let i = 0; i < 2000; i++) text += `  - &s${i} [${Array(20).fill('abcdefgh').join(',')}]\n`;
  text += 'y:\n';
  for (let i = 0; i < 2000; i++) text += `  - [${Array(30).fill(`*s${i}`).join(',')}]\n`;
  return text;
}

interface Row {
  scenario: string;
  mode: string;
  wallMs: number;
  cpuMs: number;
  longestGapMs: number;
  outcome: string;
}

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** The CPU time of the longest step of loading `dir` (best of three runs). */
async function longestStepCpu(dir: string): Promise<number> {
  const { value: files } = await readPolicyFiles(dir);
  let best = Number.POSITIVE_INFINITY;
  for (let run = 0; run < 3; run++) {
    const steps = policyLoadSteps(files);
    let longest = 0;
    for (;;) {
      const before = cpuMs();
      const step = steps.next();
      longest = Math.max(longest, cpuMs() - before);
      if (step.done === true) break;
    }
    best = Math.min(best, longest);
  }
  return best;
}

async function measureLoad(dir: string, sliceMs: number): Promise<Omit<Row, 'scenario' | 'mode'>> {
  let running = true;
  let longest = 0;
  let last = performance.now();
  const ticker = (async () => {
    while (running) {
      await nextTurn();
      const now = performance.now();
      longest = Math.max(longest, now - last);
      last = now;
    }
  })();
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  const r = await loadPolicyDir(dir, { sliceMs });
  const wallMs = performance.now() - start;
  const cpu = process.cpuUsage(cpu0);
  running = false;
  await ticker;
  const outcome =
    r.issues.length === 0
      ? `${r.value.policies.length} policies`
      : `${r.issues.length} issue(s), first ${r.issues[0]!.code} line ${r.issues[0]!.line}`;
  return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000, longestGapMs: longest, outcome };
}

export async function run(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'shroud-bench-load-'));
  try {
    const { maxFileBytes, maxTotalBytes } = DEFAULT_POLICY_LIMITS;
    const scenarios: Array<[string, string]> = [['built-in policies', 'policies']];
    const at = (name: string, doc: (d: number) => string) => {
      fill(join(root, name), doc, maxFileBytes - 4096, maxTotalBytes);
      scenarios.push([`limits: ${name}`, join(root, name)]);
    };
    at('rules', rulesDoc);
    at('long list', listDoc);
    at('misspelt rules', misspeltDoc);
    for (const [name, text] of [
      ['bomb: billion laughs', billionLaughs()],
      ['bomb: aliased rule (380 KB)', aliasedRule()],
      ['bomb: 2,000 anchors x 30', manyAliases()],
    ] as const) {
      mkdirSync(join(root, name));
      writeFileSync(join(root, name, 'p.yaml'), text);
      scenarios.push([name, join(root, name)]);
    }
    // Warm up the parser, the schema validator and the compiler once.
    await loadPolicyDir('policies');
    const rows: Row[] = [];
    const steps = new Map<string, number>();
    for (const [scenario, dir] of scenarios) {
      steps.set(scenario, await longestStepCpu(dir));
      for (const [mode, sliceMs] of [
        [`slices of ${DEFAULT_SLICE_MS} ms`, DEFAULT_SLICE_MS],
        ['one piece', Number.POSITIVE_INFINITY],
      ] as const) {
        const best = [await measureLoad(dir, sliceMs), await measureLoad(dir, sliceMs)].sort(
          (a, b) => a.longestGapMs - b.longestGapMs,
        )[0]!;
        rows.push({ scenario, mode, ...best });
      }
    }
    console.log(
      `${'scenario'.padEnd(30)} ${'mode'.padEnd(16)} ${'wall ms'.padStart(8)} ${'cpu ms'.padStart(8)} ${'longest gap'.padStart(12)} ${'step cpu'.padStart(9)}  outcome`,
    );
    for (const r of rows) {
      const step = r.mode === 'one piece' ? '' : (steps.get(r.scenario) ?? 0).toFixed(1);
      console.log(
        `${r.scenario.padEnd(30)} ${r.mode.padEnd(16)} ${r.wallMs.toFixed(0).padStart(8)} ${r.cpuMs.toFixed(0).padStart(8)} ${r.longestGapMs.toFixed(1).padStart(12)} ${step.padStart(9)}  ${r.outcome}`,
      );
    }
    const sizes = readFileSync(join(root, 'rules', 'f0.yaml')).length;
    console.log(`(files of ${sizes} bytes; best of two runs by longest gap)`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
