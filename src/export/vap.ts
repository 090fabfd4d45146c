/**
 * A loaded policy set as ValidatingAdmissionPolicy + ValidatingAdmissionPolicyBinding objects
 * (admissionregistration.k8s.io/v1, GA in Kubernetes 1.30): one pair per structural rule. Pure:
 * a policy set and a clock in, plain objects out. Rules CEL cannot express (detectors) are
 * listed with the reason; they stay with the webhook.
 *
 * Evaluation order in the apiserver, which the objects rely on: matchConstraints (kinds,
 * operations), then matchConditions (exclusions, the policy's match, exceptions; a false one
 * skips the policy), then the validation, which reads the variables lazily.
 */
import type { CompiledException, CompiledPolicy, CompiledRule, Enforcement, PolicySet } from '../policy/index.js';
import { POD_TEMPLATE_PATHS } from '../policy/index.js';
import {
  and,
  call,
  type Cel,
  type CostModel,
  cond,
  eq,
  estimateCost,
  has,
  id,
  index,
  inList,
  isType,
  le,
  list,
  lit,
  lt,
  macro,
  macroDepth,
  ne,
  not,
  NULL,
  or,
  plus,
  print,
  sel,
  TRUE,
  variablesRead,
} from './cel.js';
import type { Step } from './jsonpath.js';
import { exceptionMatches, excluded, groupIs, KIND, NAME, NAMESPACE, policyMatches } from './match.js';
import {
  type Bound,
  describeStep,
  filterOf,
  isNumber,
  bindOld,
  named,
  namedByApi,
  Names,
  oldNamesBelow,
  POSITIONS,
  RANGE,
  type RuleCel,
  inOldNames,
  ruleCel,
  walk,
  walkOld,
  type WalkMode,
} from './rule-cel.js';

/** The oldest Kubernetes release the exported objects are written for (ValidatingAdmissionPolicy v1 is GA there). */
export const OLDEST_KUBERNETES = '1.30';

/** The apiserver's cost limit for one evaluation of one CEL expression (k8s.io/apiserver, PerCallLimit). */
export const PER_CALL_LIMIT = 1_000_000;

/**
 * The sizes the reported estimate assumes: 100 elements in every list (containers, env vars,
 * volumes, RBAC rules, verbs, subjects: each), strings of 253 characters (the longest object
 * name), 20 fields in an element compared as a whole.
 */
export const REPORTED_MODEL: CostModel = Object.freeze({ items: 100, chars: 253, fields: 20 });

/**
 * A large real-world shape, for a second figure: a Deployment with 10 containers and 3 init
 * containers of 100 env vars, 20 envFrom sources and 50 volume mounts each, 50 volumes, no
 * ephemeral containers (the apiserver refuses them in a pod template); a ClusterRole with 100
 * rules; 10 elements in every other list (verbs, resources, API groups, resource names, subjects).
 */
export const REALISTIC_MODEL: CostModel = Object.freeze({
  items: 10,
  chars: 253,
  fields: 20,
  lists: Object.freeze({
    containers: 10,
    initContainers: 3,
    ephemeralContainers: 0,
    env: 100,
    envFrom: 20,
    volumes: 50,
    volumeMounts: 50,
    rules: 100,
  }),
});

/** Group and plural resource of the built-in kinds a policy may match. */
export const BUILTIN_RESOURCES: Readonly<Record<string, { group: string; resource: string }>> = Object.freeze({
  Pod: { group: '', resource: 'pods' },
  PodTemplate: { group: '', resource: 'podtemplates' },
  ReplicationController: { group: '', resource: 'replicationcontrollers' },
  ConfigMap: { group: '', resource: 'configmaps' },
  Secret: { group: '', resource: 'secrets' },
  PersistentVolume: { group: '', resource: 'persistentvolumes' },
  ServiceAccount: { group: '', resource: 'serviceaccounts' },
  Namespace: { group: '', resource: 'namespaces' },
  Service: { group: '', resource: 'services' },
  Deployment: { group: 'apps', resource: 'deployments' },
  ReplicaSet: { group: 'apps', resource: 'replicasets' },
  StatefulSet: { group: 'apps', resource: 'statefulsets' },
  DaemonSet: { group: 'apps', resource: 'daemonsets' },
  Job: { group: 'batch', resource: 'jobs' },
  CronJob: { group: 'batch', resource: 'cronjobs' },
  Role: { group: 'rbac.authorization.k8s.io', resource: 'roles' },
  ClusterRole: { group: 'rbac.authorization.k8s.io', resource: 'clusterroles' },
  RoleBinding: { group: 'rbac.authorization.k8s.io', resource: 'rolebindings' },
  ClusterRoleBinding: { group: 'rbac.authorization.k8s.io', resource: 'clusterrolebindings' },
});

/** Older API groups that served a built-in kind (still found in old manifests; no current apiserver serves them). */
const LEGACY_GROUPS: Readonly<Record<string, string>> = Object.freeze({
  Deployment: 'extensions',
  DaemonSet: 'extensions',
  ReplicaSet: 'extensions',
});

/** A rule that stays with the webhook, and why. */
export interface UnsupportedRule {
  policy: string;
  rule: string;
  reason: string;
}

/** The estimated cost of one exported expression. */
export interface ExpressionCost {
  /** `<object name>: <field>`, e.g. `shroud.disallow-secret-env.secret-env-var: variables.hits`. */
  expression: string;
  /** Cost under REPORTED_MODEL. */
  cost: number;
  /** Cost under REALISTIC_MODEL. */
  realistic: number;
  /** Nesting of list macros: the cost grows with (list length) to this power. */
  depth: number;
  /** The longest lists (same length at every level) for which the cost stays within PER_CALL_LIMIT. */
  maxItemsWithinLimit: number;
}

/** One exported rule: the policy, its binding, and the cost of each expression. */
export interface ExportedRule {
  policy: string;
  rule: string;
  enforcement: Enforcement;
  objects: [Record<string, unknown>, Record<string, unknown>];
  costs: ExpressionCost[];
}

export interface VapExport {
  rules: ExportedRule[];
  unsupported: UnsupportedRule[];
  /** Facts the operator should know: exceptions left out because they expired, or that will expire. */
  notes: string[];
}

export interface VapExportOptions {
  /** Exceptions expired at this instant are left out; those with a later expiry are kept and noted. */
  now: Date;
}

/** Where a policy applies: the object itself, or the pod template at `templatePath`. */
interface Target {
  /** The request kind (and, for a custom workload kind, the group) this target is for. */
  kind: string;
  group: string | undefined;
  resource: { group: string; resource: string };
  /** Path of the pod template, or undefined for the object itself. */
  templatePath: readonly string[] | undefined;
}

function targetsOf(policy: CompiledPolicy, set: PolicySet): Target[] | { unsupported: string } {
  const out: Target[] = [];
  for (const kind of [...policy.match.kinds].sort()) {
    const resource = BUILTIN_RESOURCES[kind];
    if (resource === undefined)
      return { unsupported: `match kind "${kind}" has no known API group and resource to put in matchConstraints` };
    out.push({ kind, group: undefined, resource, templatePath: undefined });
    if (kind !== 'Pod') continue;
    for (const [workload, path] of Object.entries(POD_TEMPLATE_PATHS).sort(([a], [b]) => a.localeCompare(b))) {
      if (policy.match.kinds.has(workload))
        return { unsupported: `kinds Pod and ${workload} together judge a ${workload} twice (object and template)` };
      const r = BUILTIN_RESOURCES[workload]!;
      out.push({ kind: workload, group: undefined, resource: r, templatePath: path });
    }
    for (const w of set.workloadKinds)
      out.push({
        kind: w.kind,
        group: w.group,
        resource: { group: w.group, resource: '*' },
        templatePath: w.templatePath,
      });
  }
  return out;
}

/** `object` (or `oldObject`) down `path`, each step a map: readAt in pod-templates.ts. */
function templateRoot(base: Cel, path: readonly string[] | undefined): { present: Cel; value: Cel } {
  let value = base;
  const parts: Cel[] = [isType(base, 'map')];
  for (const k of path ?? []) {
    parts.push(has(value, k));
    value = sel(value, k);
    parts.push(isType(value, 'map'));
  }
  return { present: and(...parts), value };
}

/** The request is for this target (custom workload kinds by group and kind, built-ins by kind: engine.ts targetsFor). */
function isTarget(t: Target, customs: readonly Target[]): Cel {
  if (t.group !== undefined) return and(eq(KIND, lit(t.kind)), groupIs(t.group));
  const shadowing = customs.filter((c) => c.kind === t.kind);
  return and(eq(KIND, lit(t.kind)), ...shadowing.map((c) => not(groupIs(c.group!))));
}

/** A DNS-subdomain-safe name part. */
function safeName(s: string): string {
  return (
    s
      .toLowerCase()
      .replace(/[^a-z0-9.-]+/g, '-')
      .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '') || 'x'
  );
}

/** A label-value-safe text (63 characters at most). */
function labelValue(s: string): string {
  return s
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '')
    .slice(0, 63)
    .replace(/[^A-Za-z0-9]+$/, '');
}

const VALUE_FIELDS = new Set(['value', 'data', 'binaryData', 'stringData', 'annotations', 'args', 'command']);
const CONTAINER_LISTS = new Set(['containers', 'initContainers', 'ephemeralContainers']);

/** A JSON value as message text (template.ts show): scalars as text, a list by its first scalar. */
function show(v: Cel): Cel {
  const first: Cel = { k: 'index', of: v, at: lit(0) };
  return cond(
    isType(v, 'string'),
    v,
    cond(
      isNumber(v),
      call('string', [v]),
      cond(
        isType(v, 'bool'),
        cond(v, lit('true'), lit('false')),
        cond(
          and(isType(v, 'list'), ne(call('size', [v]), lit(0))),
          plus(
            cond(isType(first, 'string'), first, lit('')),
            cond(ne(call('size', [v]), lit(1)), lit(', ...'), lit('')),
          ),
          lit(''),
        ),
      ),
    ),
  );
}

interface Hit {
  /** Variables to add (name, expression), in order. */
  variables: Array<[string, Cel]>;
  path: Cel;
  item: Cel;
  container: Cel;
  key: string;
  hidden: boolean;
}

/**
 * The first item (in document order) a selector reaches that violates: at each `[*]` the first
 * element with a violation below it, bound to a variable. Used only by messages, which the
 * apiserver evaluates only when the validation failed.
 */
function firstHit(
  steps: readonly Step[],
  root: Cel,
  names: Names,
  body: (item: Cel, elements: readonly Bound[], names: Names) => Cel,
  prefix: string,
  found: Cel,
  mode: WalkMode | undefined,
): Hit {
  const variables: Array<[string, Cel]> = [];
  let value = root;
  let path: Cel = lit('');
  let container: Cel = lit('');
  let key = '';
  let hidden = false;
  const elements: Bound[] = [];
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i]!;
    if (step.k === 'child') {
      path = describeStep(path, step, undefined);
      value = sel(value, step.name);
      key = step.name;
      if (VALUE_FIELDS.has(step.name)) hidden = true;
    } else if (step.k === 'index') {
      path = describeStep(path, step, undefined);
      value = { k: 'index', of: value, at: lit(step.n) };
    } else {
      // As the walk of `hits` goes (rule-cel.ts walk, WalkMode), so the first hit is one of its hits.
      const rest = (x: Cel, bound: Bound): Cel =>
        and(
          filterOf(step, x, root),
          walk(x, steps, root, names, (item, els) => body(item, els, names), i + 1, [...elements, bound], mode),
        );
      const name = `${prefix}${elements.length}`;
      const v = names.next('e');
      let first: Cel;
      let old: { old: Cel; childNames?: Cel } | undefined;
      if (mode === undefined || namedByApi(steps, i)) {
        const bind = mode?.bind?.(id(v), steps, i);
        first = macro(
          'filter',
          value,
          v,
          bind === undefined
            ? rest(id(v), { element: id(v), list: value })
            : bindOld(bind, names, (b) => rest(id(v), { element: id(v), list: value, ...b })),
        );
        first = { k: 'index', of: first, at: lit(0) };
        if (bind !== undefined) {
          // The old elements (and names) for the element found, once, for the levels below.
          const element = sel(id('variables'), name);
          const again = mode!.bind!(element, steps, i)!;
          variables.push([`${name}_old`, cond(found, again.old, list([]))]);
          old = { old: sel(id('variables'), `${name}_old`) };
          if (again.childNames !== undefined) {
            variables.push([`${name}_names`, again.childNames(old.old)]);
            old.childNames = sel(id('variables'), `${name}_names`);
          }
        }
      } else {
        const p = names.next('p');
        const w = names.next('e');
        const atP = names.next('e');
        const positions = macro(
          'filter',
          RANGE,
          p,
          and(
            lt(id(p), call('size', [value])),
            macro(
              'exists',
              list([index(value, id(p))]),
              atP,
              rest(id(atP), { element: id(atP), list: value, position: id(p) }),
            ),
          ),
        );
        first = cond(
          le(call('size', [value]), lit(POSITIONS)),
          index(value, index(positions, lit(0))),
          index(macro('filter', value, w, rest(id(w), { element: id(w), list: value, long: true })), lit(0)),
        );
      }
      // Null unless this selector found something (then the path exists and the filter is not
      // empty), so the variable never errors, even read eagerly.
      variables.splice(variables.length - (old === undefined ? 0 : old.childNames === undefined ? 1 : 2), 0, [
        name,
        cond(found, first, NULL),
      ]);
      const element = sel(id('variables'), name);
      const previous = i > 0 ? steps[i - 1] : undefined;
      if (previous?.k === 'child' && CONTAINER_LISTS.has(previous.name))
        container = cond(
          and(isType(element, 'map'), has(element, 'name'), isType(sel(element, 'name'), 'string')),
          sel(element, 'name'),
          lit(''),
        );
      path = describeStep(path, step, element);
      elements.push({ element, list: value, ...old });
      value = element;
    }
  }
  return { variables, path, item: value, container, key, hidden };
}

/** A message template rendered in CEL for the first hit (template.ts), `{{finding.*}}` excluded. */
function renderTemplate(source: string, policy: string, rule: string, hit: Hit): Cel {
  const parts: Cel[] = [];
  const re = /\{\{\s*([^{}]*?)\s*\}\}/g;
  let last = 0;
  for (let m = re.exec(source); m !== null; m = re.exec(source)) {
    if (m.index > last) parts.push(lit(source.slice(last, m.index)));
    last = m.index + m[0].length;
    const variable = m[1]!;
    if (variable === 'policy') parts.push(lit(policy));
    else if (variable === 'rule') parts.push(lit(rule));
    else if (variable === 'kind') parts.push(KIND);
    else if (variable === 'name') parts.push(NAME);
    else if (variable === 'namespace') parts.push(NAMESPACE);
    else if (variable === 'operation') parts.push(sel(id('request'), 'operation'));
    else if (variable === 'path') parts.push(hit.path);
    else if (variable === 'key') parts.push(lit(hit.key));
    else if (variable === 'container') parts.push(hit.container);
    else if (variable === 'item' || variable.startsWith('item.')) {
      if (hit.hidden) {
        parts.push(lit('[hidden]'));
        continue;
      }
      const fields = variable === 'item' ? [] : variable.slice(5).split('.');
      let v = hit.item;
      const present: Cel[] = [];
      for (const f of fields) {
        present.push(isType(v, 'map'), has(v, f));
        v = sel(v, f);
      }
      parts.push(cond(and(...present), show(v), lit('')));
    } else parts.push(lit(''));
  }
  if (last < source.length) parts.push(lit(source.slice(last)));
  return parts.length === 0 ? lit('') : plus(...parts);
}

/**
 * "Only metadata, status or the scale changed" (update.ts unjudgedUpdate): old and new are equal
 * once `status`, the ignored metadata fields and `spec.replicas` are set aside.
 */
function unchanged(): Cel {
  const o = id('object');
  const old = id('oldObject');
  const equalExcept = (a: Cel, b: Cel, keys: readonly string[]): Cel =>
    and(
      macro(
        'all',
        a,
        'k',
        or(
          inList(id('k'), list(keys.map((k) => lit(k)))),
          and(inList(id('k'), b), eq({ k: 'index', of: a, at: id('k') }, { k: 'index', of: b, at: id('k') })),
        ),
      ),
      macro('all', b, 'k', or(inList(id('k'), list(keys.map((k) => lit(k)))), inList(id('k'), a))),
    );
  const part = (field: string, ignored: readonly string[]): Cel =>
    and(
      eq(has(o, field), has(old, field)),
      or(
        not(has(o, field)),
        cond(
          and(isType(sel(o, field), 'map'), isType(sel(old, field), 'map')),
          equalExcept(sel(o, field), sel(old, field), ignored),
          eq(sel(o, field), sel(old, field)),
        ),
      ),
    );
  return and(
    equalExcept(o, old, ['metadata', 'spec', 'status']),
    part('metadata', [
      'annotations',
      'deletionGracePeriodSeconds',
      'deletionTimestamp',
      'finalizers',
      'generation',
      'labels',
      'managedFields',
      'ownerReferences',
      'resourceVersion',
    ]),
    part('spec', ['replicas']),
  );
}

/** `metadata.deletionTimestamp` is set on the new object (update.ts beingDeleted). */
function deleting(): Cel {
  const m = sel(id('object'), 'metadata');
  return and(
    has(id('object'), 'metadata'),
    isType(m, 'map'),
    has(m, 'deletionTimestamp'),
    ne(sel(m, 'deletionTimestamp'), NULL),
  );
}

/** The largest list length (0 to 1e6) at which `cost` stays within PER_CALL_LIMIT. */
function maxItemsWithin(cost: (m: CostModel) => number): number {
  let lo = 0;
  let hi = 1_000_000;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (cost({ ...REPORTED_MODEL, items: mid }) <= PER_CALL_LIMIT) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

const ACTIONS: Record<Enforcement, string[]> = {
  // Audit too, so every failure shows under the same audit annotation whatever its action.
  deny: ['Deny', 'Audit'],
  warn: ['Warn', 'Audit'],
  audit: ['Audit'],
};

function exportRule(
  set: PolicySet,
  policy: CompiledPolicy,
  rule: CompiledRule,
  compiled: RuleCel,
  targets: readonly Target[],
  exceptions: readonly CompiledException[],
): ExportedRule {
  const name = `shroud.${safeName(policy.name)}.${safeName(rule.name)}`;
  const deny = rule.enforcement === 'deny';
  const customs = targets.filter((t) => t.group !== undefined);
  const applicable = targets.filter(
    (t) => rule.kinds === undefined || rule.kinds.has(t.templatePath === undefined ? t.kind : 'Pod'),
  );
  const names = new Names();
  const variables: Array<[string, Cel]> = [];
  const v = (n: string): Cel => sel(id('variables'), n);

  // Where the rule runs: the object or its pod template; nothing when the request's kind is not a target of this rule.
  const rootOf = (base: string): { applies: Cel; root: Cel } => {
    let root: Cel = id(base);
    // Guarded by the template being there, so the variable never errors, even read eagerly.
    for (const t of [...applicable].reverse()) {
      const template = templateRoot(id(base), t.templatePath);
      root = cond(and(isTarget(t, customs), template.present), template.value, root);
    }
    const applies = or(
      ...applicable.map((t) => and(isTarget(t, customs), templateRoot(id(base), t.templatePath).present)),
    );
    return { applies, root };
  };
  const now = rootOf('object');
  // The match conditions again (and the operations of matchConstraints): the apiserver has
  // checked them before, but an evaluator that reads only the validation judges the same.
  const operations = [...policy.match.operations].filter((o) => o === 'CREATE' || o === 'UPDATE').sort();
  const requestMatches = and(
    inList(sel(id('request'), 'operation'), list(operations.map((o) => lit(o)))),
    ...(set.exclusions.length > 0 ? [not(excluded(set.exclusions))] : []),
    policyMatches(policy),
    ...(exceptions.length > 0 ? [not(or(...exceptions.map((e) => exceptionMatches(e))))] : []),
  );
  variables.push(['applies', and(requestMatches, now.applies)], ['root', now.root]);
  // Where the root is on the real object, for messages: `spec.template.` for a Deployment.
  let rootPath: Cel = lit('');
  for (const t of [...applicable].reverse())
    if (t.templatePath !== undefined)
      rootPath = cond(
        and(isTarget(t, customs), templateRoot(id('object'), t.templatePath).present),
        lit(`${t.templatePath.join('.')}.`),
        rootPath,
      );
  variables.push(['rootPath', rootPath]);
  const located = (path: Cel): Cel => cond(eq(path, lit('')), lit('(object)'), plus(v('rootPath'), path));
  variables.push(['update', and(eq(sel(id('request'), 'operation'), lit('UPDATE')), isType(id('oldObject'), 'map'))]);
  if (deny) {
    // The engine judges the old object as it judges a request: an old object that was excluded,
    // out of the policy's match or under an exception had no violations.
    const old = rootOf('oldObject');
    const oldObject = id('oldObject');
    const judged = and(
      old.applies,
      ...(set.exclusions.length > 0 ? [not(excluded(set.exclusions, oldObject))] : []),
      policyMatches(policy, oldObject),
      ...(exceptions.length > 0 ? [not(or(...exceptions.map((e) => exceptionMatches(e, oldObject))))] : []),
    );
    variables.push(['oldApplies', judged], ['oldRoot', old.root]);
  }
  const root = v('root');
  // Deny rules judge an UPDATE on what it adds: an item the old object already had (found by
  // name, or an equal nameless element) is not denied again.
  // For a single named list (volumes), the names of the old object's violations, computed once.
  const rootNames = compiled.selectors.map((steps, i) => {
    if (!deny) return undefined;
    const list = oldNamesBelow(v('oldRoot'), steps, -1, v('oldRoot'), names, (x) =>
      compiled.conditions(x, v('oldRoot'), names),
    );
    if (list === undefined || steps.some((s, at) => s.k === 'each' && at !== steps.findIndex((t) => t.k === 'each')))
      return undefined;
    const name = compiled.selectors.length === 1 ? 'oldNames' : `oldNames${i}`;
    variables.push([name, list]);
    return v(name);
  });
  const violates = (item: Cel, elements: readonly Bound[], nm: Names, steps: readonly Step[]): Cel => {
    const here = compiled.conditions(item, root, nm);
    if (!deny) return here;
    const existing = walkOld(
      v('oldRoot'),
      steps,
      v('oldRoot'),
      nm,
      (oldItem) => compiled.conditions(oldItem, v('oldRoot'), nm),
      elements,
      0,
      0,
      rootNames[compiled.selectors.indexOf(steps)],
    );
    // Containers and env vars have names (the apiserver's validation): the estimate counts the `in`.
    const fast = inOldNames(elements, nm);
    if (fast !== undefined)
      return and(here, cond(fast.when, not(fast.found), not(and(v('update'), v('oldApplies'), existing)), true));
    return and(here, not(and(v('update'), v('oldApplies'), existing)));
  };
  // Deny rules follow nameless lists by position and bind, per element of the first named list
  // (a container, a volume), the old elements with its name once for everything below it.
  const mode: WalkMode | undefined = deny
    ? {
        bind: (element, steps, i) => {
          // Only the first list, reached by field names, and only when a list below it follows.
          if (steps.slice(0, i).some((s) => s.k !== 'child')) return undefined;
          if (!steps.slice(i + 1).some((s) => s.k === 'each')) return undefined;
          const keys = steps.slice(0, i).map((s) => (s as { name: string }).name);
          let oldList: Cel = v('oldRoot');
          const present: Cel[] = [];
          for (const k of keys) {
            present.push(isType(oldList, 'map'), has(oldList, k));
            oldList = sel(oldList, k);
          }
          const o = names.next('o');
          const old = cond(
            and(named(element), v('update'), v('oldApplies'), ...present, isType(oldList, 'list')),
            macro('filter', oldList, o, and(named(id(o)), eq(sel(id(o), 'name'), sel(element, 'name')))),
            list([]),
          );
          const oldItem = (x: Cel): Cel => compiled.conditions(x, v('oldRoot'), names);
          if (oldNamesBelow(id('x'), steps, i, v('oldRoot'), new Names(), oldItem) === undefined) return { old };
          return {
            old,
            childNames: (b) => {
              const c = names.next('o');
              // `b` holds at most one element in an object the apiserver accepts (unique names).
              const body = oldNamesBelow(id(c), steps, i, v('oldRoot'), names, oldItem)!;
              return cond(
                and(named(element), v('update'), v('oldApplies')),
                list([{ k: 'macro', fn: 'map', target: b, v: c, body, atMostOne: true }]),
                list([]),
              );
            },
          };
        },
      }
    : undefined;
  // One variable per selector, so the message can say which one found the item without walking again.
  const found = compiled.selectors.map((steps, i) => {
    const name = compiled.selectors.length === 1 ? 'hits' : `hits${i}`;
    variables.push([
      name,
      walk(root, steps, root, names, (item, els) => violates(item, els, names, steps), 0, [], mode),
    ]);
    return v(name);
  });
  if (found.length > 1) variables.push(['hits', or(...found)]);
  // Deny rules: an update that only moves the object towards deletion, or changes only
  // metadata, status or scale, is allowed (update.ts); warn and audit rules skip only the first.
  variables.push(['skipUpdate', and(v('update'), deny ? or(deleting(), unchanged()) : deleting())]);
  const expression = or(not(v('applies')), not(v('hits')), v('skipUpdate'));

  // The message: the first violating item of the first selector that has one.
  const hits = compiled.selectors.map((steps, i) => {
    const hit = firstHit(
      steps,
      root,
      names,
      (item, els, nm) => violates(item, els, nm, steps),
      `hit${i}_`,
      found[i]!,
      mode,
    );
    variables.push(...hit.variables);
    return hit;
  });
  let message: Cel = lit('');
  for (let i = hits.length - 1; i >= 0; i--) {
    const hit = hits[i]!;
    const text = plus(
      lit(`[${policy.name}/${rule.name}] `),
      located(hit.path),
      lit(': '),
      renderTemplate(rule.message.source.trim(), policy.name, rule.name, hit),
    );
    message = i === hits.length - 1 ? text : cond(found[i]!, text, message);
  }
  // Found only when the validation fails; then at least one selector has a hit.
  const firstPath = hits.reduceRight<Cel>(
    (rest, hit, i) => (i === hits.length - 1 ? hit.path : cond(found[i]!, hit.path, rest)),
    lit(''),
  );

  const matchConditions: Array<{ name: string; expression: string }> = [];
  if (set.exclusions.length > 0)
    matchConditions.push({ name: 'not-excluded', expression: print(not(excluded(set.exclusions))) });
  const matches = policyMatches(policy);
  if (matches !== TRUE) matchConditions.push({ name: 'policy-match', expression: print(matches) });
  if (exceptions.length > 0)
    matchConditions.push({
      name: 'no-exception',
      expression: print(not(or(...exceptions.map((e) => exceptionMatches(e))))),
    });

  const auditValue = cond(
    and(v('applies'), v('hits'), not(v('skipUpdate'))),
    call('dyn', [plus(lit(`${policy.name}/${rule.name} ${rule.enforcement} at `), located(firstPath))]),
    NULL,
  );

  // Each expression's cost includes the variables it reads that no expression before it read
  // (the apiserver evaluates a variable lazily, once per request, and caches it), in the
  // apiserver's order: the validation, its messageExpression (on failure), the audit annotation.
  const byName = new Map(variables);
  const charged = new Set<string>();
  const closure = (e: Cel): Cel[] => {
    const seen = new Set<string>();
    const queue = [...variablesRead(e)];
    while (queue.length > 0) {
      const n = queue.pop()!;
      if (seen.has(n) || charged.has(n)) continue;
      seen.add(n);
      queue.push(...variablesRead(byName.get(n)!));
    }
    for (const n of seen) charged.add(n);
    return [e, ...[...seen].sort().map((n) => byName.get(n)!)];
  };
  const costs: ExpressionCost[] = [];
  const cost = (label: string, e: Cel): void => {
    const parts = closure(e);
    const at = (m: CostModel): number => parts.reduce((sum, p) => sum + estimateCost(p, m), 0);
    costs.push({
      expression: `${name}: ${label}`,
      cost: at(REPORTED_MODEL),
      realistic: at(REALISTIC_MODEL),
      depth: Math.max(...parts.map(macroDepth)),
      maxItemsWithinLimit: maxItemsWithin(at),
    });
  };
  if (set.exclusions.length > 0) cost('matchConditions[not-excluded]', not(excluded(set.exclusions)));
  if (matches !== TRUE) cost('matchConditions[policy-match]', matches);
  if (exceptions.length > 0)
    cost('matchConditions[no-exception]', not(or(...exceptions.map((e) => exceptionMatches(e)))));
  cost('validations[0].expression', expression);
  cost('validations[0].messageExpression', message);
  cost('auditAnnotations[0].valueExpression', auditValue);

  const resourceRules = new Map<string, Set<string>>();
  const addRule = (group: string, resource: string): void => {
    const set = resourceRules.get(group) ?? new Set<string>();
    set.add(resource);
    resourceRules.set(group, set);
  };
  for (const t of applicable) {
    addRule(t.resource.group, t.resource.resource);
    if (t.kind === 'Pod' && t.templatePath === undefined) addRule(t.resource.group, 'pods/ephemeralcontainers');
    // The engine judges a Deployment by its kind whatever its group; old manifests still say extensions/v1beta1.
    if (t.group === undefined && LEGACY_GROUPS[t.kind] !== undefined)
      addRule(LEGACY_GROUPS[t.kind]!, t.resource.resource);
  }
  const policyObject = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicy',
    metadata: {
      name,
      labels: {
        'app.kubernetes.io/managed-by': 'shroud',
        'shroud.dev/policy': labelValue(policy.name),
        'shroud.dev/rule': labelValue(rule.name),
      },
      annotations: {
        'shroud.dev/description': policy.description ?? '',
        'shroud.dev/enforcement': rule.enforcement,
        'shroud.dev/cel-cost': costs.map((c) => `${c.expression.slice(name.length + 2)}=${c.cost}`).join(', '),
      },
    },
    spec: {
      failurePolicy: 'Fail',
      matchConstraints: {
        matchPolicy: 'Equivalent',
        resourceRules: [...resourceRules]
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([group, resources]) => ({
            apiGroups: [group],
            apiVersions: ['*'],
            operations,
            resources: [...resources].sort(),
          })),
      },
      ...(matchConditions.length > 0 ? { matchConditions } : {}),
      variables: variables.map(([n, e]) => ({ name: n, expression: print(e) })),
      validations: [
        {
          expression: print(expression),
          message: `[${policy.name}/${rule.name}] ${policy.description ?? 'violates a Shroud policy'} (run shroud check for details)`,
          messageExpression: print(message),
          reason: 'Forbidden',
        },
      ],
      auditAnnotations: [{ key: safeName(rule.name).slice(0, 63), valueExpression: print(auditValue) }],
    },
  };
  const binding = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicyBinding',
    metadata: { name, labels: { ...policyObject.metadata.labels } },
    spec: { policyName: name, validationActions: ACTIONS[rule.enforcement] },
  };
  return {
    policy: policy.name,
    rule: rule.name,
    enforcement: rule.enforcement,
    objects: [policyObject, binding],
    costs,
  };
}

/**
 * Compiles every structural rule of `set` into a ValidatingAdmissionPolicy and its binding, in
 * policy and rule order. Exceptions expired at `options.now` are left out (noted); CEL has no
 * clock, so an exception with a later expiry stays until the objects are exported again (noted).
 */
export function exportVap(set: PolicySet, options: VapExportOptions): VapExport {
  const rules: ExportedRule[] = [];
  const unsupported: UnsupportedRule[] = [];
  const notes: string[] = [];
  const policies = [...set.policies].sort((a, b) => a.name.localeCompare(b.name));
  for (const policy of policies) {
    const targets = targetsOf(policy, set);
    const all = set.exceptionsByPolicy.get(policy.name) ?? [];
    const live = all.filter((e) => e.expiresAt === undefined || options.now.getTime() < e.expiresAt.getTime());
    for (const e of all) {
      if (!live.includes(e)) notes.push(`exception ${e.name} (${e.file}) expired on ${e.expires}; it is not exported`);
      else if (e.expires !== undefined)
        notes.push(
          `exception ${e.name} expires on ${e.expires}; CEL has no clock, so export again after that to drop it`,
        );
    }
    for (const rule of policy.rules) {
      if ('unsupported' in targets) {
        unsupported.push({ policy: policy.name, rule: rule.name, reason: targets.unsupported });
        continue;
      }
      const compiled = ruleCel(rule);
      if ('unsupported' in compiled) {
        unsupported.push({ policy: policy.name, rule: rule.name, reason: compiled.unsupported });
        continue;
      }
      const exceptions = live.filter((e) => {
        const named = e.policies.get(policy.name);
        return named === undefined || named.has(rule.name);
      });
      rules.push(exportRule(set, policy, rule, compiled, targets, exceptions));
    }
  }
  return { rules, unsupported, notes };
}
