/**
 * Who can read Secrets, and where: from the Roles, ClusterRoles (aggregation followed) and their
 * bindings of a cluster, every subject with get, list or watch on Secrets, per namespace.
 * Pure: objects in, rows out.
 */
import { isRecord } from '../util/is-record.js';

/** A subject of a binding. */
export interface RbacSubject {
  kind: string;
  name: string;
  /** ServiceAccounts only. */
  namespace?: string;
}

/** One subject that can read Secrets through one binding. */
export interface SecretReader {
  subject: RbacSubject;
  /** The namespace whose Secrets it reads, or `*` for every namespace (a ClusterRoleBinding). */
  namespace: string;
  /** Of get, list, watch (or `*`), sorted. */
  verbs: string[];
  /** The Secrets it is limited to by resourceNames, or null for every Secret there. */
  resourceNames: string[] | null;
  /** `ClusterRoleBinding name` or `RoleBinding namespace/name`. */
  binding: string;
  /** `ClusterRole name` or `Role namespace/name`. */
  role: string;
  /** ClusterRoles whose rules reached `role` through its aggregationRule and grant this, sorted. */
  aggregatedFrom: string[];
  /** True when the role is one of the API server's defaults (label kubernetes.io/bootstrapping=rbac-defaults). */
  defaultRole: boolean;
}

const READ_VERBS = new Set(['get', 'list', 'watch', '*']);

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

function labelsOf(o: Record<string, unknown>): Record<string, string> {
  const meta = isRecord(o.metadata) ? o.metadata : {};
  const out: Record<string, string> = {};
  if (isRecord(meta.labels)) for (const [k, v] of Object.entries(meta.labels)) if (typeof v === 'string') out[k] = v;
  return out;
}

function metaString(o: Record<string, unknown>, field: 'name' | 'namespace'): string {
  const meta = isRecord(o.metadata) ? o.metadata : {};
  return typeof meta[field] === 'string' ? meta[field] : '';
}

/** A LabelSelector (matchLabels and matchExpressions) against labels; an empty selector matches everything. */
export function selectorMatches(selector: unknown, labels: Record<string, string>): boolean {
  if (!isRecord(selector)) return false;
  if (isRecord(selector.matchLabels))
    for (const [k, v] of Object.entries(selector.matchLabels)) if (labels[k] !== v) return false;
  for (const e of Array.isArray(selector.matchExpressions) ? selector.matchExpressions : []) {
    if (!isRecord(e) || typeof e.key !== 'string') return false;
    const values = strings(e.values);
    const has = Object.hasOwn(labels, e.key);
    const value = labels[e.key];
    if (e.operator === 'In' && !(has && values.includes(value!))) return false;
    if (e.operator === 'NotIn' && has && values.includes(value!)) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
    if (!['In', 'NotIn', 'Exists', 'DoesNotExist'].includes(String(e.operator))) return false;
  }
  return true;
}

/** The verbs of one policy rule that read Secrets, or none. */
function secretReadVerbs(rule: unknown): string[] {
  if (!isRecord(rule)) return [];
  const groups = strings(rule.apiGroups);
  const resources = strings(rule.resources);
  if (!groups.some((g) => g === '' || g === '*')) return [];
  if (!resources.some((r) => r === 'secrets' || r === '*')) return [];
  return strings(rule.verbs).filter((v) => READ_VERBS.has(v));
}

interface Grant {
  verbs: Set<string>;
  resourceNames: string[] | null;
  from: Set<string>;
}

/**
 * Secret-reading grants of a role's rules, one per distinct resourceNames set. An empty name in
 * resourceNames matches the empty name of every list and watch request (as restrict-secret-rbac
 * says), so list, watch and * there read every Secret; get of the empty name reads none.
 */
function grantsOf(rules: { rule: unknown; from: string | undefined }[]): Grant[] {
  const byNames = new Map<string, Grant>();
  const grant = (names: string[] | null, verbs: string[], from: string | undefined) => {
    if (verbs.length === 0) return;
    const key = names === null ? '' : JSON.stringify(names);
    let g = byNames.get(key);
    if (g === undefined) {
      g = { verbs: new Set(), resourceNames: names, from: new Set() };
      byNames.set(key, g);
    }
    for (const v of verbs) g.verbs.add(v);
    if (from !== undefined) g.from.add(from);
  };
  for (const { rule, from } of rules) {
    const verbs = secretReadVerbs(rule);
    if (verbs.length === 0) continue;
    const raw = (rule as Record<string, unknown>).resourceNames;
    const all = strings(raw);
    const names = all.filter((n) => n !== '').sort();
    if (all.length === 0 && !(Array.isArray(raw) && raw.length > 0)) {
      grant(null, verbs, from);
      continue;
    }
    if (all.includes(''))
      grant(
        null,
        verbs.filter((v) => v !== 'get'),
        from,
      );
    if (names.length > 0) grant(names, verbs, from);
  }
  return [...byNames.values()];
}

/**
 * Every subject that can get, list or watch Secrets, through which binding and role, per namespace.
 * A ClusterRole with an aggregationRule also has the rules of every ClusterRole whose labels match
 * one of its clusterRoleSelectors (followed through aggregated roles in turn).
 */
export function secretReaders(
  roles: readonly Record<string, unknown>[],
  clusterRoles: readonly Record<string, unknown>[],
  roleBindings: readonly Record<string, unknown>[],
  clusterRoleBindings: readonly Record<string, unknown>[],
): SecretReader[] {
  const clusterByName = new Map(clusterRoles.map((r) => [metaString(r, 'name'), r]));
  const roleByKey = new Map(roles.map((r) => [`${metaString(r, 'namespace')}/${metaString(r, 'name')}`, r]));

  /** A ClusterRole's rules with the aggregated role each came from (undefined: its own). */
  const clusterRules = new Map<string, { rule: unknown; from: string | undefined }[]>();
  const rulesOfCluster = (name: string): { rule: unknown; from: string | undefined }[] => {
    const cached = clusterRules.get(name);
    if (cached !== undefined) return cached;
    const role = clusterByName.get(name);
    const out: { rule: unknown; from: string | undefined }[] = [];
    if (role === undefined) return out;
    clusterRules.set(name, out); // a cycle of aggregation ends here
    for (const rule of Array.isArray(role.rules) ? role.rules : []) out.push({ rule, from: undefined });
    const agg = isRecord(role.aggregationRule) ? role.aggregationRule : undefined;
    const selectors = agg !== undefined && Array.isArray(agg.clusterRoleSelectors) ? agg.clusterRoleSelectors : [];
    if (selectors.length > 0) {
      for (const [other, o] of clusterByName) {
        if (other === name || !selectors.some((s) => selectorMatches(s, labelsOf(o)))) continue;
        for (const r of rulesOfCluster(other)) out.push({ rule: r.rule, from: r.from ?? other });
      }
    }
    return out;
  };

  const readers: SecretReader[] = [];
  const add = (binding: Record<string, unknown>, cluster: boolean) => {
    const bindingNs = metaString(binding, 'namespace');
    const ref = isRecord(binding.roleRef) ? binding.roleRef : {};
    const refName = typeof ref.name === 'string' ? ref.name : '';
    let role: Record<string, unknown> | undefined;
    let rules: { rule: unknown; from: string | undefined }[];
    let roleText: string;
    if (ref.kind === 'ClusterRole') {
      role = clusterByName.get(refName);
      rules = rulesOfCluster(refName);
      roleText = `ClusterRole ${refName}`;
    } else if (ref.kind === 'Role' && !cluster) {
      role = roleByKey.get(`${bindingNs}/${refName}`);
      rules =
        role === undefined
          ? []
          : (Array.isArray(role.rules) ? role.rules : []).map((rule) => ({ rule, from: undefined }));
      roleText = `Role ${bindingNs}/${refName}`;
    } else return;
    if (role === undefined) return; // a binding to a missing role grants nothing
    const grants = grantsOf(rules);
    if (grants.length === 0) return;
    const defaultRole = labelsOf(role)['kubernetes.io/bootstrapping'] === 'rbac-defaults';
    const bindingText = cluster
      ? `ClusterRoleBinding ${metaString(binding, 'name')}`
      : `RoleBinding ${bindingNs}/${metaString(binding, 'name')}`;
    for (const s of Array.isArray(binding.subjects) ? binding.subjects : []) {
      if (!isRecord(s) || typeof s.kind !== 'string' || typeof s.name !== 'string') continue;
      const subject: RbacSubject = { kind: s.kind, name: s.name };
      if (s.kind === 'ServiceAccount')
        subject.namespace = typeof s.namespace === 'string' && s.namespace !== '' ? s.namespace : bindingNs;
      for (const g of grants)
        readers.push({
          subject,
          namespace: cluster ? '*' : bindingNs,
          verbs: [...g.verbs].sort(),
          resourceNames: g.resourceNames,
          binding: bindingText,
          role: roleText,
          aggregatedFrom: [...g.from].sort(),
          defaultRole,
        });
    }
  };
  for (const b of clusterRoleBindings) add(b, true);
  for (const b of roleBindings) add(b, false);
  const key = (r: SecretReader) =>
    [
      r.namespace === '*' ? '' : r.namespace,
      r.subject.kind,
      r.subject.namespace ?? '',
      r.subject.name,
      r.binding,
      JSON.stringify(r.resourceNames),
    ].join('\u0000');
  return readers.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}
