/**
 * The repository's own objects, for comparing exported policies with the engine: the policy
 * test cases (with their own policy documents and clock), the `shroud check` and `shroud scan`
 * fixtures, the admission review fixtures, and the rendered deployment manifests.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import type { PolicyFile } from '../../src/policy/parse-files.js';
import { renderKustomization } from '../manifests/render.js';

type Json = Record<string, unknown>;

const ROOT = new URL('../../', import.meta.url).pathname;

/** One object to judge, with where it came from, and the policy documents and clock of its case. */
export interface FixtureObject {
  name: string;
  object: Json;
  oldObject?: Json;
  operation: 'CREATE' | 'UPDATE';
  extra: PolicyFile[];
  now: Date;
  username?: string;
  groups?: string[];
}

const DEFAULT_NOW = new Date('2026-11-30T00:00:00Z');

function files(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir).sort()) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) files(p, out);
    else out.push(p);
  }
  return out;
}

/** Kubernetes objects in a parsed document: itself, or the items of a List (kind from the list's kind). */
function objectsIn(doc: unknown): Json[] {
  if (Array.isArray(doc)) return doc.flatMap(objectsIn);
  if (typeof doc !== 'object' || doc === null) return [];
  const d = doc as Json;
  if (Array.isArray(d.items)) {
    const kind =
      typeof d.kind === 'string' && d.kind.endsWith('List') && d.kind !== 'List' ? d.kind.slice(0, -4) : undefined;
    return d.items.flatMap((item) => {
      if (typeof item !== 'object' || item === null) return [];
      const o = { ...(item as Json) };
      if (o.kind === undefined && kind !== undefined) o.kind = kind;
      if (o.apiVersion === undefined && typeof d.apiVersion === 'string') o.apiVersion = d.apiVersion;
      return objectsIn(o);
    });
  }
  return typeof d.kind === 'string' && typeof d.metadata === 'object' ? [d] : [];
}

function parseFile(file: string): unknown[] {
  const text = readFileSync(file, 'utf8');
  if (file.endsWith('.json')) return [JSON.parse(text)];
  return parseAllDocuments(text)
    .filter((d) => d.errors.length === 0)
    .map((d) => d.toJS());
}

/** Every fixture object, CREATE unless the fixture is an UPDATE review. */
export function fixtureObjects(): FixtureObject[] {
  const out: FixtureObject[] = [];
  // Policy test cases: resource.yaml judged with the case's policy.yaml and clock.
  for (const file of files(join(ROOT, 'test/fixtures/policy-tests'))) {
    if (!file.endsWith('/resource.yaml')) continue;
    const dir = file.slice(0, -'/resource.yaml'.length);
    const expected = parse(readFileSync(join(dir, 'expected.yaml'), 'utf8')) as { now?: string; operation?: string };
    let extra: PolicyFile[] = [];
    try {
      extra = [{ file: join(dir, 'policy.yaml'), text: readFileSync(join(dir, 'policy.yaml'), 'utf8') }];
    } catch {
      extra = [];
    }
    for (const object of parseFile(file).flatMap(objectsIn))
      out.push({
        name: relative(ROOT, dir),
        object,
        operation: 'CREATE',
        extra,
        now: expected.now === undefined ? DEFAULT_NOW : new Date(expected.now),
      });
  }
  // `shroud check` and `shroud scan` fixtures (scan's own exception file applies to its objects).
  const scanPolicies = join(ROOT, 'test/fixtures/scan/policies/legacy-exception.yaml');
  const scanExtra: PolicyFile[] = [{ file: scanPolicies, text: readFileSync(scanPolicies, 'utf8') }];
  for (const [dir, extra] of [
    ['test/fixtures/check', [] as PolicyFile[]],
    ['test/fixtures/scan', scanExtra],
  ] as const) {
    for (const file of files(join(ROOT, dir))) {
      if (file.includes('/policies/') || file.includes('discovery-')) continue;
      for (const object of parseFile(file).flatMap(objectsIn))
        out.push({ name: relative(ROOT, file), object, operation: 'CREATE', extra: [...extra], now: DEFAULT_NOW });
    }
  }
  // Admission reviews, as sent (UPDATE with oldObject where they have one).
  for (const file of files(join(ROOT, 'test/fixtures/admission'))) {
    const review = JSON.parse(readFileSync(file, 'utf8')) as { request: Json };
    const r = review.request;
    const userInfo = (r.userInfo ?? {}) as { username?: string; groups?: string[] };
    out.push({
      name: relative(ROOT, file),
      object: r.object as Json,
      ...(r.oldObject ? { oldObject: r.oldObject as Json } : {}),
      operation: r.operation === 'UPDATE' ? 'UPDATE' : 'CREATE',
      extra: [],
      now: DEFAULT_NOW,
      ...(userInfo.username === undefined ? {} : { username: userInfo.username }),
      ...(userInfo.groups === undefined ? {} : { groups: userInfo.groups }),
    });
  }
  // Shroud's own deployment manifests, rendered.
  for (const overlay of [
    'manifests',
    ...readdirSync(join(ROOT, 'manifests/overlays')).map((o) => `manifests/overlays/${o}`),
  ]) {
    const dir = join(ROOT, overlay);
    try {
      statSync(join(dir, 'kustomization.yaml'));
    } catch {
      continue;
    }
    for (const object of renderKustomization(dir))
      out.push({ name: overlay, object: object as Json, operation: 'CREATE', extra: [], now: DEFAULT_NOW });
  }
  return out;
}
