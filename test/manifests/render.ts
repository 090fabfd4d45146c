/**
 * Renders a kustomization the way `kubectl kustomize` does, for the subset manifests/ uses
 * (resources: files and folders; configMapGenerator with files and generatorOptions; JSON 6902
 * patches with a target). kubectl is not on every machine CI may run on (Debian's
 * kubernetes-client is 1.20, far too old), so the tests render with this and, where kubectl is
 * installed, check that kubectl renders exactly the same objects.
 */
import { execFile } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import fastJsonPatch from 'fast-json-patch';
import { parseAllDocuments } from 'yaml';

export type KObject = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
};

interface Kustomization {
  resources?: string[];
  configMapGenerator?: Array<{ name: string; namespace?: string; files?: string[] }>;
  generatorOptions?: { disableNameSuffixHash?: boolean; labels?: Record<string, string> };
  patches?: Array<{ target: { group?: string; kind: string; name: string }; patch: string }>;
}

const KNOWN_FIELDS = new Set(['apiVersion', 'kind', 'resources', 'configMapGenerator', 'generatorOptions', 'patches']);

function parseYaml(file: string): KObject[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => {
      if (d.errors.length > 0) throw new Error(`${file}: ${d.errors[0]?.message}`);
      return d.toJS() as KObject | null;
    })
    .filter((o): o is KObject => o !== null);
}

function groupOf(apiVersion: string): string {
  const slash = apiVersion.lastIndexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/** The objects of the kustomization in `dir`, in file order. */
export function renderKustomization(dir: string): KObject[] {
  const k = parseYaml(join(dir, 'kustomization.yaml'))[0] as unknown as Kustomization;
  for (const field of Object.keys(k)) {
    if (!KNOWN_FIELDS.has(field))
      throw new Error(`${dir}/kustomization.yaml: ${field} is not rendered by test/manifests/render.ts`);
  }
  const out: KObject[] = [];
  for (const r of k.resources ?? []) {
    const path = join(dir, r);
    out.push(...(statSync(path).isDirectory() ? renderKustomization(path) : parseYaml(path)));
  }
  for (const g of k.configMapGenerator ?? []) {
    if (k.generatorOptions?.disableNameSuffixHash !== true) throw new Error('name suffix hashes are not rendered here');
    const data: Record<string, string> = {};
    for (const f of g.files ?? []) data[basename(f)] = readFileSync(join(dir, f), 'utf8');
    const metadata: KObject['metadata'] = { name: g.name };
    if (k.generatorOptions.labels) metadata.labels = { ...k.generatorOptions.labels };
    if (g.namespace) metadata.namespace = g.namespace;
    out.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata, data });
  }
  for (const p of k.patches ?? []) {
    const targets = out.filter(
      (o) =>
        o.kind === p.target.kind &&
        o.metadata.name === p.target.name &&
        (p.target.group === undefined || groupOf(o.apiVersion) === p.target.group),
    );
    if (targets.length === 0) throw new Error(`${dir}: patch target ${p.target.kind}/${p.target.name} not found`);
    const ops = parseAllDocuments(p.patch)[0]?.toJS() as fastJsonPatch.Operation[];
    for (const t of targets) fastJsonPatch.applyPatch(t, ops, true, true);
  }
  return out;
}

/** `kubectl kustomize DIR`, or undefined when kubectl is not installed. */
export async function kubectlKustomize(dir: string): Promise<KObject[] | undefined> {
  try {
    const { stdout } = await promisify(execFile)('kubectl', ['kustomize', dir], {
      timeout: 60_000,
      maxBuffer: 8 << 20,
    });
    return parseAllDocuments(stdout).map((d) => d.toJS() as KObject);
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** A stable identity of an object: group/kind namespace/name. */
export function objectKey(o: KObject): string {
  return `${groupOf(o.apiVersion)}/${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}
