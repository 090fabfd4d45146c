/**
 * Kubernetes name rules. Scopes bind these names (crypto/scope.ts checks them when sealing and
 * opening) and the CLI checks them before sealing, so a value is never sealed to a name the API
 * would reject.
 */

const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const CONFIGMAP_KEY = /^[-._a-zA-Z0-9]+$/;

/** RFC 1123 label (at most 63 characters): namespaces. */
export function isDnsLabel(value: string): boolean {
  return value.length <= 63 && LABEL.test(value);
}

/** RFC 1123 subdomain (at most 253 characters): ConfigMap and ServiceAccount names. */
export function isDnsSubdomain(value: string): boolean {
  return value.length <= 253 && value.split('.').every((part) => LABEL.test(part));
}

/** A ConfigMap data key (at most 253 characters): alphanumerics, `-`, `_`, `.`; not `.` or `..`. */
export function isConfigMapKey(value: string): boolean {
  return value.length <= 253 && CONFIGMAP_KEY.test(value) && value !== '.' && value !== '..';
}
