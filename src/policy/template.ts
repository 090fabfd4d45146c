/**
 * Message templates: `{{variable}}` placeholders filled with names, keys, paths and kinds.
 * A template that could print a value which may be a secret (an env value, ConfigMap data,
 * annotations, container args) is rejected at load, and every concrete path is checked again
 * when the message is rendered.
 */
import { isRecord } from '../util/is-record.js';
import { formatPath, type PathSegment } from './selector.js';
import type { MessageContext, MessageTemplate } from './types.js';

/** Field names whose contents may be secret. Nothing under them is ever interpolated. */
export const VALUE_FIELDS: ReadonlySet<string> = new Set([
  'value',
  'data',
  'binaryData',
  'stringData',
  'annotations',
  'args',
  'command',
]);

const SIMPLE_VARIABLES = [
  'policy',
  'rule',
  'kind',
  'name',
  'namespace',
  'operation',
  'path',
  'key',
  'container',
  'finding.detector',
  'finding.description',
  'finding.line',
  'finding.where',
] as const;

/** Every variable a template may use; `item.FIELD...` reads a field of the selected item. */
export const TEMPLATE_VARIABLES: readonly string[] = [...SIMPLE_VARIABLES, 'item.FIELD'];

type Getter = (ctx: MessageContext) => string;

/** What compileTemplate returns: the template, or sentences saying what is wrong. */
export type TemplateCompile = { template: MessageTemplate } | { errors: string[] };

function lastKey(path: readonly PathSegment[]): string {
  for (let i = path.length - 1; i >= 0; i--) {
    const seg = path[i];
    if (typeof seg === 'string') return seg;
  }
  return '';
}

const CONTAINER_LISTS = new Set(['containers', 'initContainers', 'ephemeralContainers']);

/** Name of the container the item sits in, read from the object along the item's path. */
function containerName(object: unknown, path: readonly PathSegment[]): string {
  let cur: unknown = object;
  let name = '';
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    cur = isRecord(cur) ? cur[seg as string] : Array.isArray(cur) ? cur[seg as number] : undefined;
    if (
      typeof seg === 'number' &&
      CONTAINER_LISTS.has(String(path[i - 1])) &&
      isRecord(cur) &&
      typeof cur.name === 'string'
    ) {
      name = cur.name;
    }
  }
  return name;
}

function show(value: unknown): string {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (
    Array.isArray(value) &&
    value.every((v) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')
  ) {
    return value.map(String).join(', ');
  }
  return '';
}

function itemGetter(fields: string[]): Getter {
  return (ctx) => {
    // Second line of defence: the concrete path (wildcards resolved) must not pass through a value field.
    for (const seg of ctx.itemPath) if (typeof seg === 'string' && VALUE_FIELDS.has(seg)) return '[hidden]';
    let cur = ctx.item;
    for (const f of fields) {
      if (!isRecord(cur) || !Object.hasOwn(cur, f)) return '';
      cur = cur[f];
    }
    return show(cur);
  };
}

function simpleGetter(variable: (typeof SIMPLE_VARIABLES)[number]): Getter {
  switch (variable) {
    case 'policy':
    case 'rule':
    case 'kind':
    case 'name':
    case 'namespace':
    case 'operation':
      return (ctx) => ctx[variable];
    case 'path':
      return (ctx) => formatPath(ctx.itemPath);
    case 'key':
      return (ctx) => lastKey(ctx.itemPath);
    case 'container':
      return (ctx) => containerName(ctx.object, ctx.itemPath);
    case 'finding.detector':
      return (ctx) => [...new Set(ctx.findings.map((f) => f.detector))].join(', ');
    case 'finding.description':
      return (ctx) => [...new Set(ctx.findings.map((f) => f.description))].join('; ');
    case 'finding.line':
      return (ctx) => (ctx.findings[0]?.line === undefined ? '' : String(ctx.findings[0].line));
    case 'finding.where':
      return (ctx) => findingWhere(ctx.findings);
  }
}

/** Lines listed at most in `{{finding.where}}`; more are summarised as `and N more`. */
const MAX_WHERE_LINES = 5;

/**
 * `{{finding.where}}`: ` (line 3 of the value)`, ` (lines 3, 7 of the value)`, or nothing when
 * no finding has a line (single-line values). Starts with a space so that `key "{{key}}"{{finding.where}}`
 * reads well either way.
 */
function findingWhere(findings: MessageContext['findings']): string {
  const lines = [...new Set(findings.map((f) => f.line).filter((l): l is number => l !== undefined))].sort(
    (a, b) => a - b,
  );
  if (lines.length === 0) return '';
  const shown = lines.slice(0, MAX_WHERE_LINES).join(', ');
  const more = lines.length > MAX_WHERE_LINES ? ` and ${lines.length - MAX_WHERE_LINES} more` : '';
  return ` (line${lines.length > 1 ? 's' : ''} ${shown}${more} of the value)`;
}

/**
 * Compiles a message template. `selectNames` are the literal field names of the rule's
 * selectors (`*` for wildcards, `..` for recursive descent): together with an `item.x`
 * reference they must not reach a value field.
 */
export function compileTemplate(source: string, selectNames: ReadonlyArray<readonly string[]>): TemplateCompile {
  const parts: Array<string | Getter> = [];
  const errors: string[] = [];
  const re = /\{\{\s*([^{}]*?)\s*\}\}/g;
  let last = 0;
  for (let m = re.exec(source); m !== null; m = re.exec(source)) {
    parts.push(source.slice(last, m.index));
    last = m.index + m[0].length;
    const variable = m[1]!;
    if ((SIMPLE_VARIABLES as readonly string[]).includes(variable)) {
      parts.push(simpleGetter(variable as (typeof SIMPLE_VARIABLES)[number]));
      continue;
    }
    if (variable === 'item' || variable.startsWith('item.')) {
      const fields = variable === 'item' ? [] : variable.slice(5).split('.');
      if (fields.some((f) => !/^[A-Za-z_][\w-]*$/.test(f))) {
        errors.push(`{{${variable}}}: item fields are plain names separated by dots, like {{item.name}}`);
        continue;
      }
      const unsafe = selectNames.some((names) => {
        const all = [...names, ...fields];
        return (
          all.some((n) => VALUE_FIELDS.has(n)) || names.includes('..') || (fields.length === 0 && names.includes('*'))
        );
      });
      if (unsafe) {
        errors.push(
          `{{${variable}}} could print a value that may be a secret (under ${[...VALUE_FIELDS].join(', ')}, or a whole selected item); show {{key}}, {{path}} or a name instead`,
        );
        continue;
      }
      parts.push(itemGetter(fields));
      continue;
    }
    errors.push(`unknown variable {{${variable}}}; use one of ${TEMPLATE_VARIABLES.map((v) => `{{${v}}}`).join(', ')}`);
  }
  parts.push(source.slice(last));
  if (errors.length > 0) return { errors };
  const frozen = Object.freeze(parts.filter((p) => p !== ''));
  return {
    template: {
      source,
      render(ctx) {
        let out = '';
        for (const p of frozen) out += typeof p === 'string' ? p : p(ctx);
        // One line: deny messages list one violation per line, and warnings become HTTP
        // Warning headers, which cannot hold control characters.
        return (
          out
            // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
            .replace(/[\u0000-\u001f\u007f]+/g, ' ')
            .replace(/ {2,}/g, ' ')
            .trim()
        );
      },
    },
  };
}
