/**
 * Checks a document against policies/schema.json (the same file editors use) and turns ajv's
 * errors into sentences: `rules[2].when[0]: unknown operator "anyof" (did you mean "anyOf"?)`.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { ShroudError } from '../errors.js';
import { POLICY_SCHEMA_FILE } from './builtin.js';
import type { PathSegment } from './selector.js';
import { formatPath } from './selector.js';
import type { SourceDocument } from './source-map.js';
import { didYouMean } from './suggest.js';
import type { Issue } from '../issues.js';

let validator: ValidateFunction | undefined;

/**
 * Reads the schema with fs rather than a JSON import: the same module-relative path works from
 * src/ (tsx) and dist/ (compiled), and no import attributes are needed (Node 20.6 to 20.9 only
 * know the older `assert` spelling).
 */
function readSchema(): object {
  try {
    return JSON.parse(readFileSync(POLICY_SCHEMA_FILE, 'utf8')) as object;
  } catch (err) {
    const reason =
      err instanceof SyntaxError ? 'it is not valid JSON' : ((err as NodeJS.ErrnoException).code ?? 'read failed');
    throw new ShroudError(
      'POLICY_DIR_UNREADABLE',
      `cannot load the policy file schema ${POLICY_SCHEMA_FILE} (${reason}); it ships with Shroud, so reinstall the package or restore policies/schema.json in the checkout`,
      { cause: err, details: { file: POLICY_SCHEMA_FILE } },
    );
  }
}

/** The compiled schema; built on first use and never changed afterwards. */
function getValidator(): ValidateFunction {
  validator ??= new Ajv({ allErrors: true, verbose: true, strict: false }).compile(readSchema());
  return validator;
}

function pathOf(instancePath: string): PathSegment[] {
  if (instancePath === '') return [];
  return instancePath
    .slice(1)
    .split('/')
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/** `rules[2].when[0]` for paths under spec (the part people edit), the full path otherwise. */
export function fieldName(path: readonly PathSegment[]): string {
  const shown = path[0] === 'spec' && path.length > 1 ? path.slice(1) : path;
  return shown.length === 0 ? 'document' : formatPath(shown);
}

function isCondition(path: readonly PathSegment[]): boolean {
  return path.length >= 2 && path[path.length - 2] === 'when' && typeof path[path.length - 1] === 'number';
}

function describe(err: ErrorObject, path: PathSegment[]): { text: string; key?: string } {
  const params = err.params as Record<string, unknown>;
  const parent = (err.parentSchema ?? {}) as {
    properties?: Record<string, unknown>;
    description?: string;
    enum?: unknown[];
  };
  switch (err.keyword) {
    case 'additionalProperties': {
      const extra = String(params.additionalProperty);
      const known = Object.keys(parent.properties ?? {});
      const what = isCondition(path) && extra !== 'path' ? 'operator' : 'field';
      return { text: `unknown ${what} "${extra}"${didYouMean(extra, known)}`, key: extra };
    }
    case 'required':
      return { text: `missing required field "${String(params.missingProperty)}"` };
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map(String);
      const got = String(err.data);
      return { text: `"${got}" is not one of ${allowed.join(', ')}${didYouMean(got, allowed)}` };
    }
    case 'const':
      return { text: `must be "${String(params.allowedValue)}"` };
    case 'type':
      return { text: `must be ${String(params.type).replace(',', ' or ')}` };
    case 'pattern':
      return {
        text: `"${String(err.data)}" is not valid: must be ${parent.description ?? `like ${String(params.pattern)}`}`,
      };
    case 'minItems':
      return { text: `must list at least ${String(params.limit)} item${params.limit === 1 ? '' : 's'}` };
    case 'minLength':
      return { text: 'must not be empty' };
    case 'minProperties':
      return { text: 'must name at least one field' };
    case 'oneOf':
      return { text: 'must be a string or a non-empty list of strings' };
    default:
      return { text: err.message ?? 'is not valid' };
  }
}

/**
 * Validates `value` against the policy file schema. Returns one issue per problem, located
 * in `source`, at most `maxIssues` of them; an empty list means the document has the right shape.
 */
export function checkSchema(value: unknown, source: SourceDocument, maxIssues = Number.POSITIVE_INFINITY): Issue[] {
  const validate = getValidator();
  if (validate(value)) return [];
  const errors = (validate.errors ?? []).filter((e) => e.keyword !== 'if');
  const oneOfPaths = new Set(errors.filter((e) => e.keyword === 'oneOf').map((e) => e.instancePath));
  const issues: Issue[] = [];
  const seen = new Set<string>();
  for (const err of errors) {
    if (issues.length >= maxIssues) break;
    // A oneOf failure also reports each branch's error at the same path; one sentence is enough.
    if (err.keyword !== 'oneOf' && oneOfPaths.has(err.instancePath)) continue;
    const path = pathOf(err.instancePath);
    const { text, key } = describe(err, path);
    const message = `${fieldName(key === undefined ? path : [...path, key])}: ${text}`;
    if (seen.has(message)) continue;
    seen.add(message);
    const pos = source.locate(key === undefined ? path : [...path, key], key !== undefined);
    issues.push({
      code: 'POLICY_SCHEMA_INVALID',
      message: key === undefined ? message : `${fieldName(path)}: ${text}`,
      file: source.file,
      line: pos.line,
      column: pos.column,
      path: formatPath(path),
    });
  }
  return issues;
}
