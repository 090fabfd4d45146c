/**
 * Every exported ValidatingAdmissionPolicy, evaluated by an independent CEL implementation
 * (@marcbachmann/cel-js) on the repository's own objects, gives the engine's verdict per rule:
 * for CREATE, and for UPDATE reviews (unchanged, metadata only, being deleted, and every pair of
 * objects of one kind from one source as old and new).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exportVap, type VapExport } from '../../src/export/index.js';
import type { PolicySet } from '../../src/policy/index.js';
import { fixtureObjects, type FixtureObject } from './fixtures.js';
import { compare, loadSet, MODES, requestFor, runVap } from './harness.js';

type Json = Record<string, unknown>;

interface Group {
  set: PolicySet;
  exported: VapExport;
  objects: FixtureObject[];
}

async function groups(): Promise<Group[]> {
  const byKey = new Map<string, FixtureObject[]>();
  for (const f of fixtureObjects()) {
    const key = `${f.extra.map((e) => e.file).join('|')}@${f.now.toISOString()}`;
    byKey.set(key, [...(byKey.get(key) ?? []), f]);
  }
  const out: Group[] = [];
  for (const objects of byKey.values()) {
    const set = await loadSet(objects[0]!.extra);
    out.push({ set, exported: exportVap(set, { now: objects[0]!.now }), objects });
  }
  return out;
}

const clone = (o: Json): Json => structuredClone(o);

function withLabel(o: Json): Json {
  const c = clone(o);
  const meta = (c.metadata ?? {}) as Json;
  meta.labels = { ...((meta.labels ?? {}) as Json), 'touched-by-test': 'yes' };
  c.metadata = meta;
  return c;
}

function beingDeleted(o: Json): Json {
  const c = clone(o);
  c.metadata = { ...((c.metadata ?? {}) as Json), deletionTimestamp: '2026-11-30T00:00:00Z' };
  return c;
}

describe('exported ValidatingAdmissionPolicies agree with the engine', async () => {
  const all = await groups();
  const failures: string[] = [];
  let requests = 0;
  let evaluations = 0;
  let denials = 0;

  // Requests take turns: as the apiserver runs a policy, with variables read eagerly, and with the
  // validation alone (no matchConstraints or matchConditions), as simpler evaluators might.
  const check = (g: Group, name: string, request: ReturnType<typeof requestFor>, now: Date): void => {
    requests++;
    evaluations += g.exported.rules.length;
    let disagreements: ReturnType<typeof compare>;
    try {
      disagreements = compare(g.set, g.exported.rules, request, now, MODES[requests % MODES.length]);
    } catch (err) {
      failures.push(`${name}: ${(err as Error).message.slice(0, 300)}`);
      return;
    }
    for (const d of disagreements)
      failures.push(
        `${name} ${request.operation} ${request.kind.kind}/${request.name}: rule ${d.rule}: engine ${d.engine ? 'violated' : 'passed'}, CEL ${d.vap ? 'violated' : 'passed'}`,
      );
    for (const r of g.exported.rules) if (r.enforcement === 'deny' && runVap(r, request).status === 'fail') denials++;
  };

  it('CREATE: every fixture object, every exported rule', () => {
    for (const g of all)
      for (const f of g.objects)
        check(
          g,
          f.name,
          requestFor(f.object, {
            operation: f.operation,
            ...(f.oldObject ? { oldObject: f.oldObject } : {}),
            ...(f.username ? { username: f.username } : {}),
            ...(f.groups ? { groups: f.groups } : {}),
          }),
          f.now,
        );
    assert.deepEqual(failures, []);
    assert.ok(requests > 100, `only ${requests} requests`);
    assert.ok(denials > 20, `only ${denials} denials: the fixtures should break rules`);
  });

  it('UPDATE: unchanged, metadata only, being deleted', () => {
    failures.length = 0;
    for (const g of all)
      for (const f of g.objects) {
        check(g, `${f.name} (unchanged)`, requestFor(f.object, { operation: 'UPDATE', oldObject: f.object }), f.now);
        check(
          g,
          `${f.name} (label added)`,
          requestFor(withLabel(f.object), { operation: 'UPDATE', oldObject: f.object }),
          f.now,
        );
        check(
          g,
          `${f.name} (being deleted)`,
          requestFor(beingDeleted(f.object), { operation: 'UPDATE', oldObject: f.object }),
          f.now,
        );
      }
    assert.deepEqual(failures, []);
  });

  it('UPDATE: every pair of objects of one kind from one source, as old and new', () => {
    failures.length = 0;
    let pairs = 0;
    for (const g of all) {
      const byKind = new Map<string, FixtureObject[]>();
      for (const f of g.objects) {
        const k = `${String(f.object.apiVersion)}/${String(f.object.kind)}`;
        byKind.set(k, [...(byKind.get(k) ?? []), f]);
      }
      for (const list of byKind.values())
        for (const a of list)
          for (const b of list) {
            if (a === b) continue;
            // The new object keeps its own name: an update never renames, and exceptions match names.
            const old = clone(a.object);
            old.metadata = { ...((old.metadata ?? {}) as Json), name: (b.object.metadata as Json | undefined)?.name };
            pairs++;
            check(g, `${a.name} -> ${b.name}`, requestFor(b.object, { operation: 'UPDATE', oldObject: old }), b.now);
          }
    }
    assert.deepEqual(failures, []);
    assert.ok(pairs > 100, `only ${pairs} pairs`);
  });

  it('UPDATE of pods/ephemeralcontainers: a debug container added, with and without a Secret in its env', () => {
    failures.length = 0;
    let pods = 0;
    for (const g of all)
      for (const f of g.objects) {
        if (f.object.kind !== 'Pod') continue;
        pods++;
        for (const env of [[], [{ name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'api', key: 'token' } } }]]) {
          const debugged = clone(f.object);
          const spec = (debugged.spec ?? {}) as Json;
          const before = Array.isArray(spec.ephemeralContainers) ? spec.ephemeralContainers : [];
          spec.ephemeralContainers = [...before, { name: 'shroud-test-debugger', image: 'busybox', env }];
          debugged.spec = spec;
          check(
            g,
            `${f.name} (ephemeral container, ${env.length} secret env)`,
            requestFor(debugged, { operation: 'UPDATE', oldObject: f.object, subResource: 'ephemeralcontainers' }),
            f.now,
          );
        }
      }
    assert.deepEqual(failures, []);
    assert.ok(pods > 10, `only ${pods} pods`);
  });

  it('a request without namespace, name or kind.group gets the verdicts of a full one (read from the object)', () => {
    const differences: string[] = [];
    for (const g of all)
      for (const f of g.objects) {
        const full = requestFor(f.object);
        const bare = structuredClone(full) as unknown as Record<string, unknown>;
        delete bare.namespace;
        delete bare.name;
        delete (bare.kind as Record<string, unknown>).group;
        for (const r of g.exported.rules) {
          const a = runVap(r, full).status;
          const b = runVap(r, bare as unknown as typeof full).status;
          if (a !== b) differences.push(`${f.name} ${r.policy}/${r.rule}: ${a} vs ${b}`);
        }
      }
    assert.deepEqual(differences, []);
  });

  it('reports how much was compared', () => {
    const rules = all[0]!.exported.rules.length;
    assert.ok(rules >= 10, `only ${rules} rules exported`);
    console.log(
      `compared ${requests} requests x ${rules} rules (${evaluations} rule evaluations, ${denials} CEL denials)`,
    );
  });
});
