/**
 * Reads a V8 `.cpuprofile` (from `node --cpu-prof`) and sums self time per function and per
 * area of the request path (TLS, JSON.parse, express, engine, logging, JSON.stringify, ...).
 * Native work is charged to the JavaScript function that called it: TLS encryption to the
 * socket write, JSON.parse and JSON.stringify to themselves. Only the main thread is sampled;
 * GC helper threads are not, so the sum is below the process CPU time /proc reports.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface FunctionTime {
  name: string;
  where: string;
  area: string;
  selfMs: number;
}

export interface ProfileSummary {
  /** Sampled time that was not idle, in ms. */
  busyMs: number;
  byArea: Map<string, number>;
  functions: FunctionTime[];
}

const EXPRESS_PACKAGES =
  /node_modules\/(express|router|body-parser|raw-body|type-is|content-type|mime-types|mime-db|media-typer|finalhandler|on-finished|send|qs|iconv-lite|depd|http-errors|statuses|parseurl|accepts|negotiator|vary|etag|fresh|setprototypeof|destroy|unpipe|bytes|encodeurl|escape-html|path-to-regexp|merge-descriptors|safe-buffer|debug|cookie|content-disposition|proxy-addr|forwarded|range-parser|ee-first|is-promise|once|wrappy|serve-static|cookie-signature|inherits|toidentifier|call-bind|get-intrinsic|side-channel|object-inspect|function-bind|has-symbols|math-intrinsics|dunder-proto|es-errors|gopd|hasown|es-define-property|es-object-atoms|get-proto|call-bound|side-channel-[a-z]+|call-bind-apply-helpers|ms)\//;
const LOGGING_PACKAGES =
  /node_modules\/(pino|pino-std-serializers|sonic-boom|fast-redact|@pinojs\/redact|thread-stream|quick-format-unescaped|on-exit-leak-free|safe-stable-stringify|fast-safe-stringify|atomic-sleep|real-require|process-warning|pino-abstract-transport)\//;

/** The area a function belongs to by where it is defined; undefined for native frames. */
export function areaOf(functionName: string, url: string): string | undefined {
  if (functionName === '(idle)') return 'idle';
  if (functionName === '(garbage collector)') return 'GC';
  if (functionName === '(program)') return 'native, unattributed';
  if (functionName === '(root)') return 'other';
  if (url === '') return undefined;
  // JSON.parse and JSON.stringify are builtins inlined into their callers: these callers do
  // little else (Shroud's parseJsonBody, body-parser's json parse, express's res.json stringify).
  if (/\/src\/admission\/decode\.ts/.test(url) && functionName === 'parseJsonBody') return 'JSON.parse';
  if (/node_modules\/body-parser\/lib\/types\/json\.js/.test(url) && functionName === 'parse') return 'JSON.parse';
  if (/node_modules\/express\/lib\/response\.js/.test(url) && functionName === 'stringify') return 'JSON.stringify';
  if (/node:(_tls_|tls|internal\/tls|internal\/stream_base_commons)/.test(url)) return 'TLS';
  if (LOGGING_PACKAGES.test(url) || /\/src\/log\//.test(url)) return 'logging';
  if (EXPRESS_PACKAGES.test(url)) return 'express';
  if (/\/src\/(policy|detect)\//.test(url) || /node_modules\/jsonpath-plus\//.test(url)) return 'engine';
  if (/\/src\/(admission|webhook|https)\//.test(url)) return 'admission route';
  if (/node:(_http|http|internal\/http|internal\/freelist)/.test(url)) return 'node http';
  if (/node:(net|stream|internal\/streams|events|buffer|internal\/buffer|string_decoder)/.test(url))
    return 'node streams/net';
  if (/node:internal\/crypto/.test(url)) return 'crypto (randomUUID)';
  if (/node_modules\/tsx\/|node:internal\/(modules|bootstrap|deps\/cjs-module-lexer)/.test(url))
    return 'module loading';
  return 'other';
}

/**
 * Self time per function and per area. A native frame (no url: a socket write, a string
 * conversion) and a Node-internal helper outside the listed areas are charged to the area of
 * the nearest caller that has one, so TLS encryption lands in TLS and a log write in logging.
 */
export function summariseProfile(file: string): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const areaCache = new Map<number, string>();
  const resolveArea = (id: number): string => {
    const cached = areaCache.get(id);
    if (cached !== undefined) return cached;
    const { functionName, url } = byId.get(id)!.callFrame;
    let area = areaOf(functionName, url);
    if (area === undefined || area === 'other') {
      const up = parent.get(id);
      const inherited = up === undefined ? 'other' : resolveArea(up);
      area = inherited === 'native, unattributed' ? 'other' : inherited;
    }
    areaCache.set(id, area);
    return area;
  };
  const selfUs = new Map<number, number>();
  // timeDeltas[i] is the time before sample i; charge it to the sample's node.
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const perFunction = new Map<string, FunctionTime>();
  const byArea = new Map<string, number>();
  let busyUs = 0;
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const area = resolveArea(id);
    byArea.set(area, (byArea.get(area) ?? 0) + us / 1000);
    if (area !== 'idle') busyUs += us;
    const where =
      url === ''
        ? '(native)'
        : `${url.replace(/^.*\/(node_modules|src)\//, '$1/')}${lineNumber > 0 ? `:${lineNumber + 1}` : ''}`;
    const key = `${functionName}@${where}@${area}`;
    const entry = perFunction.get(key) ?? { name: functionName || '(anonymous)', where, area, selfMs: 0 };
    entry.selfMs += us / 1000;
    perFunction.set(key, entry);
  }
  const functions = [...perFunction.values()].filter((f) => f.area !== 'idle').sort((a, b) => b.selfMs - a.selfMs);
  return { busyMs: busyUs / 1000, byArea, functions };
}
