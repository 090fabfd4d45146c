/** Builds the immutable, kind-indexed PolicySet from compiled policies and exceptions. */
import { BUILTIN_INDEX, type FormatIndex } from '../detect/index.js';
import { freezeCollection } from './freeze.js';
import { POD_TEMPLATE_PATHS, qualifiedKind } from './pod-templates.js';
import type {
  CompiledException,
  CompiledExclusion,
  CompiledPolicy,
  PolicySet,
  PolicyTarget,
  WorkloadKind,
} from './types.js';

/**
 * Indexes policies by kind once, so a request for a kind no policy matches costs one map
 * lookup. A policy matching `Pod` is also indexed under every pod-template kind. A custom
 * workload kind is indexed under `group/Kind` with the policies matching `Pod` (on its pod
 * template) and those naming its kind (on the object, as for any kind named in a policy).
 */
export function buildPolicySet(
  policies: readonly CompiledPolicy[],
  exceptions: readonly CompiledException[],
  exclusions: readonly CompiledExclusion[] = [],
  workloadKinds: readonly WorkloadKind[] = [],
  formats: FormatIndex = BUILTIN_INDEX,
): PolicySet {
  const byKind = new Map<string, PolicyTarget[]>();
  const anyKind: PolicyTarget[] = [];
  const add = (kind: string, target: PolicyTarget): void => {
    const list = byKind.get(kind);
    if (list === undefined) byKind.set(kind, [target]);
    else list.push(target);
  };
  for (const policy of policies) {
    if (policy.match.kinds.has('*')) {
      anyKind.push(Object.freeze({ policy, templatePath: undefined }));
      continue;
    }
    for (const kind of policy.match.kinds) add(kind, Object.freeze({ policy, templatePath: undefined }));
    if (policy.match.kinds.has('Pod')) {
      for (const [kind, path] of Object.entries(POD_TEMPLATE_PATHS))
        add(kind, Object.freeze({ policy, templatePath: path }));
    }
    for (const w of workloadKinds) {
      const key = qualifiedKind(w.group, w.kind);
      if (policy.match.kinds.has(w.kind)) add(key, Object.freeze({ policy, templatePath: undefined }));
      if (policy.match.kinds.has('Pod')) add(key, Object.freeze({ policy, templatePath: w.templatePath }));
    }
  }
  // A custom kind no policy covers still gets its own (empty) entry, so `group/Kind` never
  // falls back to the policies for its bare kind name.
  for (const w of workloadKinds)
    if (!byKind.has(qualifiedKind(w.group, w.kind))) byKind.set(qualifiedKind(w.group, w.kind), []);
  // Policies for every kind join each specific list, keeping the order policies were loaded in.
  const order = new Map(policies.map((p, i) => [p, i]));
  for (const [kind, list] of byKind) {
    const merged = [...list, ...anyKind].sort((a, b) => order.get(a.policy)! - order.get(b.policy)!);
    byKind.set(kind, Object.freeze(merged) as PolicyTarget[]);
  }
  const exceptionsByPolicy = new Map<string, CompiledException[]>();
  for (const e of exceptions) {
    for (const name of e.policies.keys()) {
      const list = exceptionsByPolicy.get(name);
      if (list === undefined) exceptionsByPolicy.set(name, [e]);
      else list.push(e);
    }
  }
  for (const list of exceptionsByPolicy.values()) Object.freeze(list);
  return Object.freeze({
    policies: Object.freeze([...policies]),
    exceptions: Object.freeze([...exceptions]),
    exclusions: Object.freeze([...exclusions]),
    workloadKinds: Object.freeze([...workloadKinds]),
    byKind: freezeCollection(byKind),
    anyKind: Object.freeze(anyKind),
    exceptionsByPolicy: freezeCollection(exceptionsByPolicy),
    formats,
  });
}

/** A set with no policies: every request is allowed. */
export function emptyPolicySet(): PolicySet {
  return buildPolicySet([], []);
}
