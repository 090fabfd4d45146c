/**
 * Who a rule judges, as CEL over the admission request: the exclusions of `kind: PolicyExclusions`
 * documents, a policy's `match` (namespaces, objectSelector, excludeUsers, excludeGroups), and the
 * exceptions naming a rule (with the derived owners of ownership.ts). These become a
 * ValidatingAdmissionPolicy's matchConditions, which cannot read `variables`.
 */
import type { CompiledException, CompiledExclusion, CompiledPolicy } from '../policy/index.js';
import {
  and,
  call,
  type Cel,
  cond,
  eq,
  gt,
  has,
  id,
  index,
  isType,
  list,
  lit,
  macro,
  ne,
  not,
  or,
  plus,
  sel,
} from './cel.js';

/** Compiled globs, of which only the source text matters here. */
type GlobListSource = readonly { readonly source: string }[];

const request = id('request');
const object = id('object');
/** `object.metadata.FIELD` when it is a string, else ''. */
function metadataString(field: string): Cel {
  const m = sel(object, 'metadata');
  const value = sel(m, field);
  return cond(
    and(isType(object, 'map'), has(object, 'metadata'), isType(m, 'map'), has(m, field), isType(value, 'string')),
    value,
    lit(''),
  );
}

/**
 * The request's kind, namespace and name, as the engine's subject (reviewer.ts passes these).
 * The apiserver always sets namespace and name (empty when there is none); a caller that leaves
 * them out gets the object's own, as the engine reads them from the object then.
 */
export const KIND = sel(sel(request, 'kind'), 'kind');
export const NAMESPACE = cond(has(request, 'namespace'), sel(request, 'namespace'), metadataString('namespace'));
export const NAME = cond(has(request, 'name'), sel(request, 'name'), metadataString('name'));

/** The request's API group is `group` (from the object's apiVersion when the request does not say). */
export function groupIs(group: string): Cel {
  const kind = sel(request, 'kind');
  const apiVersion = sel(object, 'apiVersion');
  return cond(
    has(kind, 'group'),
    eq(sel(kind, 'group'), lit(group)),
    and(
      isType(object, 'map'),
      has(object, 'apiVersion'),
      isType(apiVersion, 'string'),
      call('startsWith', [lit(`${group}/`)], apiVersion),
    ),
  );
}

/** A glob (`*` any run, `?` one character) as a whole-string regular expression body. */
export function globRegex(glob: string): string {
  let out = '';
  for (const ch of glob) {
    if (ch === '*') out += '[\\s\\S]*';
    else if (ch === '?') out += '[\\s\\S]';
    else out += /[\\^$.|+()[\]{}]/.test(ch) ? `\\${ch}` : ch;
  }
  return out;
}

/** `value` matches the glob as a whole. */
export function globTest(value: Cel, glob: string): Cel {
  if (!glob.includes('*') && !glob.includes('?')) return eq(value, lit(glob));
  return call('matches', [lit(`^${globRegex(glob)}$`)], value);
}

/** `value` matches any glob of the list. */
export function globsAny(value: Cel, globs: GlobListSource): Cel {
  return or(...globs.map((g) => globTest(value, g.source)));
}

/** Reads labels and owner references of `object` (the request's new object, or its old one). */
class Meta {
  readonly metadata: Cel;
  readonly labels: Cel;
  readonly labelsPresent: Cel;
  constructor(readonly object: Cel) {
    this.metadata = sel(object, 'metadata');
    this.labels = sel(this.metadata, 'labels');
    this.labelsPresent = and(
      isType(object, 'map'),
      has(object, 'metadata'),
      isType(this.metadata, 'map'),
      has(this.metadata, 'labels'),
      isType(this.labels, 'map'),
    );
  }

  /** The object has label `key` with a string value (the engine reads string labels only). */
  hasLabel(key: string): Cel {
    return and(this.labelsPresent, has(this.labels, key), isType(sel(this.labels, key), 'string'));
  }

  labelEquals(key: string, value: string): Cel {
    return and(this.labelsPresent, has(this.labels, key), eq(sel(this.labels, key), lit(value)));
  }
}

/** The first exclusion that matches decides nothing more than "excluded": any one excludes. */
export function excluded(exclusions: readonly CompiledExclusion[], of: Cel = object): Cel {
  const o = new Meta(of);
  return or(
    ...exclusions.map((x) =>
      and(
        ...(x.namespaces === undefined ? [] : [ne(NAMESPACE, lit('')), globsAny(NAMESPACE, x.namespaces)]),
        ...(x.kinds === undefined ? [] : [globsAny(KIND, x.kinds)]),
        ...(x.names === undefined ? [] : [globsAny(NAME, x.names)]),
        ...[...(x.labels ?? new Map<string, string>())].map(([k, v]) => o.labelEquals(k, v)),
      ),
    ),
  );
}

/** The policy's `match` beyond kinds and operations (which go to matchConstraints). */
export function policyMatches(policy: CompiledPolicy, of: Cel = object): Cel {
  const o = new Meta(of);
  const m = policy.match;
  const parts: Cel[] = [];
  if (m.namespacesInclude !== undefined)
    parts.push(or(eq(NAMESPACE, lit('')), globsAny(NAMESPACE, m.namespacesInclude)));
  if (m.namespacesExclude.length > 0)
    parts.push(or(eq(NAMESPACE, lit('')), not(globsAny(NAMESPACE, m.namespacesExclude))));
  const selector = m.objectSelectorSource;
  if (selector !== undefined) {
    for (const [k, v] of Object.entries(selector.matchLabels ?? {})) parts.push(o.labelEquals(k, v));
    for (const e of selector.matchExpressions ?? []) {
      const values = e.values ?? [];
      const isIn = or(...values.map((v) => o.labelEquals(e.key, v)));
      if (e.operator === 'Exists') parts.push(o.hasLabel(e.key));
      else if (e.operator === 'DoesNotExist') parts.push(not(and(o.labelsPresent, has(o.labels, e.key))));
      else if (e.operator === 'In') parts.push(isIn);
      else if (e.operator === 'NotIn') parts.push(not(isIn));
    }
  }
  const userInfo = sel(request, 'userInfo');
  if (m.excludeUsers.length > 0)
    parts.push(
      not(
        and(
          has(request, 'userInfo'),
          has(userInfo, 'username'),
          isType(sel(userInfo, 'username'), 'string'),
          globsAny(sel(userInfo, 'username'), m.excludeUsers),
        ),
      ),
    );
  if (m.excludeGroups.length > 0) {
    const groups = sel(userInfo, 'groups');
    parts.push(
      not(
        and(
          has(request, 'userInfo'),
          has(userInfo, 'groups'),
          isType(groups, 'list'),
          macro('exists', groups, 'g', and(isType(id('g'), 'string'), globsAny(id('g'), m.excludeGroups))),
        ),
      ),
    );
  }
  return and(...parts);
}

/**
 * The exception applies to the request: its namespaces, and its kinds and names on the object
 * itself or on one derived owner (ownership.ts): the controller ownerReference, the Deployment
 * of a ReplicaSet named `<deployment>-<pod-template-hash>`, the CronJob of a Job named
 * `<cronjob>-<digits>`.
 */
export function exceptionMatches(e: CompiledException, of: Cel = object): Cel {
  const o = new Meta(of);
  const { metadata, labels } = o;
  const fits = (kind: Cel, name: Cel): Cel =>
    and(
      ...(e.kinds === undefined ? [] : [globsAny(kind, e.kinds)]),
      ...(e.names === undefined ? [] : [globsAny(name, e.names)]),
    );
  const refs = sel(metadata, 'ownerReferences');
  const r = id('r');
  const isController = and(
    isType(r, 'map'),
    has(r, 'controller'),
    isType(sel(r, 'controller'), 'bool'),
    sel(r, 'controller'),
  );
  const controllers = macro('filter', refs, 'r', isController);
  // The first controller reference, bound to `f` with `[x].exists(f, ...)` (has() takes a name, not an index).
  const first = id('f');
  const validFirst = and(
    has(first, 'kind'),
    isType(sel(first, 'kind'), 'string'),
    ne(sel(first, 'kind'), lit('')),
    has(first, 'name'),
    isType(sel(first, 'name'), 'string'),
    ne(sel(first, 'name'), lit('')),
  );
  const ownerName = sel(first, 'name');
  const hash = sel(labels, 'pod-template-hash');
  const derivedNameMatches = (suffixRegex: Cel): Cel =>
    e.names === undefined
      ? lit(true)
      : or(...e.names.map((g) => call('matches', [plus(lit(`^(?:${globRegex(g.source)})`), suffixRegex)], ownerName)));
  const deployment = and(
    eq(sel(first, 'kind'), lit('ReplicaSet')),
    o.hasLabel('pod-template-hash'),
    ne(hash, lit('')),
    gt(call('size', [ownerName]), plus(call('size', [hash]), lit(1))),
    call('endsWith', [plus(lit('-'), hash)], ownerName),
    ...(e.kinds === undefined ? [] : [globsAny(lit('Deployment'), e.kinds)]),
    derivedNameMatches(plus(lit('-[\\s\\S]{'), call('string', [call('size', [hash])]), lit('}$'))),
  );
  const cronJob = and(
    eq(sel(first, 'kind'), lit('Job')),
    call('matches', [lit('^[\\s\\S]+-[0-9]+$')], ownerName),
    not(call('matches', [lit('^-[0-9]+$')], ownerName)),
    ...(e.kinds === undefined ? [] : [globsAny(lit('CronJob'), e.kinds)]),
    derivedNameMatches(lit('-[0-9]+$')),
  );
  const owner = and(
    isType(of, 'map'),
    has(of, 'metadata'),
    isType(metadata, 'map'),
    has(metadata, 'ownerReferences'),
    isType(refs, 'list'),
    macro('exists', refs, 'r', isController),
    macro(
      'exists',
      list([index(controllers, lit(0))]),
      'f',
      and(isType(first, 'map'), validFirst, or(fits(sel(first, 'kind'), ownerName), deployment, cronJob)),
    ),
  );
  return and(...(e.namespaces === undefined ? [] : [globsAny(NAMESPACE, e.namespaces)]), or(fits(KIND, NAME), owner));
}
