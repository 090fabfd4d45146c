/**
 * Reads the import graph of src/ and checks it against the layering rules written in
 * docs/architecture.md. Imports are found with TypeScript's own pre-processor (static, dynamic
 * and type-only imports and re-exports), not with a regular expression.
 */
import { readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

/** A unit is a top-level folder of src/ (`policy`) or a top-level file without `.ts` (`errors`). */
export interface ImportEdge {
  /** File path relative to the source root, with forward slashes. */
  file: string;
  from: string;
  /** Unit inside src, or `pkg:NAME` for a package or `node:` built-in. */
  to: string;
  specifier: string;
}

export interface LayerRules {
  /** unit → units it may import. A unit without an entry is itself a violation. */
  allowed: Record<string, readonly string[]>;
  /** package → units that may import it; packages not listed may be imported anywhere. */
  packageHomes: Record<string, readonly string[]>;
  /** Units whose source must not touch process globals (the domain: values in, values out). */
  pure: readonly string[];
  /** Units that do no I/O: they may not import any of IO_MODULES. */
  noIo: readonly string[];
}

/** The built-in modules that reach files, the network or other processes. */
export const IO_MODULES: readonly string[] = [
  'node:fs',
  'node:fs/promises',
  'node:net',
  'node:tls',
  'node:http',
  'node:https',
  'node:http2',
  'node:dgram',
  'node:dns',
  'node:child_process',
  'node:cluster',
  'node:worker_threads',
];

export interface Violation {
  file: string;
  rule: string;
}

export function unitOf(pathInRoot: string): string {
  const [first, ...rest] = pathInRoot.split('/');
  if (first === undefined) return '';
  return rest.length === 0 ? first.replace(/\.(ts|js|json)$/, '') : first;
}

function packageName(specifier: string): string {
  if (specifier.startsWith('node:')) return specifier;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

/** Every TypeScript file below `root`, as paths relative to it. */
export function sourceFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(relative(root, path));
    }
  };
  walk(root);
  return out.sort();
}

/** The import edges of the given sources (`files` maps a root-relative path to its text). */
export function importEdges(files: ReadonlyMap<string, string>): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const [file, text] of files) {
    const from = unitOf(file);
    for (const ref of ts.preProcessFile(text, true, true).importedFiles) {
      const specifier = ref.fileName;
      let to: string;
      if (specifier.startsWith('.')) {
        const target = relative('/src', resolve('/src', dirname(file), specifier)).replace(/\\/g, '/');
        to = target.startsWith('..') ? `outside:${target}` : unitOf(target);
      } else {
        to = `pkg:${packageName(specifier)}`;
      }
      if (to !== from) edges.push({ file, from, to, specifier });
    }
  }
  return edges;
}

/** Every broken rule, one entry per offending import or file. */
export function checkLayers(files: ReadonlyMap<string, string>, rules: LayerRules): Violation[] {
  const violations: Violation[] = [];
  const units = new Set([...files.keys()].map(unitOf));
  for (const unit of units) {
    if (!Object.hasOwn(rules.allowed, unit)) {
      violations.push({
        file: unit,
        rule: `"${unit}" has no row in the layering rules; add it to docs/architecture.md`,
      });
    }
  }
  for (const edge of importEdges(files)) {
    if (edge.to.startsWith('pkg:')) {
      const pkg = edge.to.slice(4);
      if (rules.noIo.includes(edge.from) && IO_MODULES.includes(edge.specifier.replace(/^(?!node:)/, 'node:'))) {
        violations.push({ file: edge.file, rule: `${edge.from}/ does no I/O and may not import ${edge.specifier}` });
        continue;
      }
      const homes = rules.packageHomes[pkg];
      if (homes !== undefined && !homes.includes(edge.from)) {
        violations.push({
          file: edge.file,
          rule: `${edge.from}/ imports ${pkg}, which only ${homes.join(', ') || 'no unit yet'} may use`,
        });
      }
      continue;
    }
    if (edge.to.startsWith('outside:')) {
      // Data that ships with the package (policies/schema.json) may be read; code may not be imported.
      if (!/\.json$/.test(edge.specifier)) {
        violations.push({ file: edge.file, rule: `imports ${edge.specifier} from outside src/` });
      }
      continue;
    }
    const allowed = rules.allowed[edge.from];
    if (allowed !== undefined && !allowed.includes(edge.to)) {
      violations.push({ file: edge.file, rule: `${edge.from}/ may not import ${edge.to}/ (${edge.specifier})` });
    }
  }
  for (const [file, text] of files) {
    if (!rules.pure.includes(unitOf(file))) continue;
    const scanned = ts.createSourceFile(file, text, ts.ScriptTarget.Latest);
    const visit = (node: ts.Node): void => {
      if (
        ts.isPropertyAccessExpression(node) &&
        ts.isIdentifier(node.expression) &&
        node.expression.text === 'process' &&
        ['env', 'exit', 'on', 'once', 'argv', 'cwd', 'stdout', 'stderr'].includes(node.name.text)
      ) {
        violations.push({ file, rule: `${unitOf(file)}/ is domain code and may not use process.${node.name.text}` });
      }
      ts.forEachChild(node, visit);
    };
    visit(scanned);
  }
  return violations;
}
