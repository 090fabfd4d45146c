/** Builds the immutable, kind-indexed PolicySet from compiled policies and exceptions. */
import { freezeCollection } from './freeze.js';
import { POD_TEMPLATE_PATHS } from './pod-templates.js';
import type { CompiledException, CompiledPolicy, PolicySet, PolicyTarget } from './types.js';

/**
 * Indexes policies by kind once, so a request for a kind no policy matches costs one map
 * lookup. A policy matching `Pod` is also indexed under every pod-template kind.
 */
export function buildPolicySet(
  policies: readonly CompiledPolicy[],
  exceptions: readonly CompiledException[],
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
  }
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
    byKind: freezeCollection(byKind),
    anyKind: Object.freeze(anyKind),
    exceptionsByPolicy: freezeCollection(exceptionsByPolicy),
  });
}

/** A set with no policies: every request is allowed. */
export function emptyPolicySet(): PolicySet {
  return buildPolicySet([], []);
}
