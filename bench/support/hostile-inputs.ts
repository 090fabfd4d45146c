/**
 * The hostile inputs of issue 13's findings 3 and 5, built in memory: a ConfigMap with 40,000
 * keys that look like secrets (~1.5 MB), a Pod with 42,000 env vars read from Secrets
 * (~3.6 MB of JSON) and 999 aliases of a container with 1,000 env vars (78 KB of YAML).
 */

/** YAML ConfigMap with `n` secret-named keys holding real-looking values. */
export function secretConfigMapYaml(n = 40_000): string {
  const lines = ['apiVersion: v1', 'kind: ConfigMap', 'metadata:', '  name: big', '  namespace: shop', 'data:'];
  for (let i = 0; i < n; i++) lines.push(`  db_password_${i}: "Xk9${i}qZ7pLw"`);
  return `${lines.join('\n')}\n`;
}

/** Pod object with `n` env vars read from Secrets. */
export function secretEnvPod(n = 42_000): Record<string, unknown> {
  const env = Array.from({ length: n }, (_, i) => ({
    name: `SECRET_${i}`,
    valueFrom: { secretKeyRef: { name: `db-${i}`, key: `k${i}` } },
  }));
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'big', namespace: 'shop' },
    spec: { containers: [{ name: 'app', image: 'app:1', env }] },
  };
}

/** 999 aliases of one container with 1,000 env vars read from a Secret. */
export function aliasedContainersYaml(): string {
  let text =
    'apiVersion: v1\nkind: Pod\nmetadata: {name: bomb}\nspec:\n  initContainers:\n    - &c\n      name: a\n      env:\n';
  for (let i = 0; i < 1000; i++) text += `        - {name: E${i}, valueFrom: {secretKeyRef: {name: s, key: k}}}\n`;
  text += '  containers:\n';
  for (let i = 0; i < 999; i++) text += '    - *c\n';
  return text;
}
