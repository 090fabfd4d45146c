/** Policy files of a team's own folder, for tests of --policies on top of the built-ins. */

/** A team rule the built-ins do not have: no `:latest` image tags. */
export const TEAM_RULE = `apiVersion: policy.shroud.dev/v1
kind: Policy
metadata: { name: no-latest-tag }
spec:
  enforcement: deny
  match: { kinds: [Pod], operations: [CREATE, UPDATE] }
  rules:
    - name: latest
      select: "$.spec.containers[*]"
      when:
        - { path: "$.image", matches: ":latest$" }
      message: "container {{item.name}} uses the latest tag"
`;

/** A team document that replaces the built-in disallow-secret-env with a warn-only version. */
export const REPLACEMENT = `apiVersion: policy.shroud.dev/v1
kind: Policy
metadata: { name: disallow-secret-env }
spec:
  enforcement: warn
  match: { kinds: [Pod], operations: [CREATE, UPDATE] }
  rules:
    - name: secret-env-var
      select: "$.spec.containers[*].env[?(@.valueFrom.secretKeyRef)]"
      message: "env {{item.name}} reads a Secret (warn only in this cluster)"
`;
