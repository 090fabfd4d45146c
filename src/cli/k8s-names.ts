/** Kubernetes name rules the CLI checks before sealing, so a value is never sealed to a name the API would reject. */

/** RFC 1123 label: namespaces. */
export function isDnsLabel(value: string): boolean {
  return value.length <= 63 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(value);
}

/** RFC 1123 subdomain: ConfigMap and ServiceAccount names. */
export function isDnsSubdomain(value: string): boolean {
  return value.length <= 253 && value.split('.').every((part) => /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(part));
}

/** A ConfigMap data key: alphanumerics, `-`, `_`, `.`; not `.` or `..`. */
export function isConfigMapKey(value: string): boolean {
  return value.length <= 253 && /^[-._a-zA-Z0-9]+$/.test(value) && value !== '.' && value !== '..';
}
