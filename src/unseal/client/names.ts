/**
 * The names unseal-init puts into paths: ConfigMap names (a folder of the sealed dir and of the
 * output dir) and keys (a file name). Checked on the way in (the mounted folders) and again on
 * the service's answer, so nothing the service says can make a path the request did not name.
 */

/** A DNS subdomain (RFC 1123), as Kubernetes requires of a ConfigMap name. */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A ConfigMap key: `[-._a-zA-Z0-9]+`, not `.` or `..`, not starting with `..` (the volume's own entries). */
const CONFIG_MAP_KEY = /^[-._a-zA-Z0-9]+$/;

export function isConfigMapName(name: string): boolean {
  return name.length <= 253 && DNS_SUBDOMAIN.test(name);
}

export function isConfigMapKey(key: string): boolean {
  return key.length <= 253 && CONFIG_MAP_KEY.test(key) && key !== '.' && !key.startsWith('..');
}

/** `configMap/key`, the one way an item is named in messages (names only, never values). */
export function itemName(item: { configMap: string; key: string }): string {
  return `${item.configMap}/${item.key}`;
}

/**
 * A text from elsewhere (the service's error message, an OS error) made fit for the one log
 * line: printable ASCII only, one line, at most `max` characters.
 */
export function oneLine(text: string, max = 200): string {
  const flat = text.replace(/[^\x20-\x7e]+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 3)}...` : flat;
}
