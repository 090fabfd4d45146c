/** The body of `POST /v1/unseal`, checked (docs/injection.md): shape, names, limits, duplicates. */
import { isConfigMapKey, isDnsSubdomain, isSealedValue } from '../crypto/index.js';
import { isRecord } from '../util/is-record.js';

/** Largest body accepted: 1 MiB. */
export const UNSEAL_BODY_LIMIT = 1024 * 1024;
/** Most items in one call. */
export const UNSEAL_MAX_ITEMS = 256;

export interface UnsealItem {
  configMap: string;
  key: string;
  /** The sealed value (`shroud:v1:...`): never logged, never echoed. */
  value: string;
}

export type ParsedRequest =
  | { ok: true; items: UnsealItem[] }
  | { ok: false; status: 400 | 413; message: string; configMaps?: string[]; keys?: string[] };

/** A name as it may appear in a message: the caller's own text, bounded and quoted. */
function quote(text: string): string {
  return JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}...` : text);
}

/** Parses and checks the body; messages name the item and field, never a value. */
export function parseUnsealRequest(body: Buffer): ParsedRequest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return { ok: false, status: 400, message: 'the body is not JSON: send {"items": [{"configMap", "key", "value"}]}' };
  }
  if (!isRecord(parsed) || !Array.isArray(parsed.items)) {
    return { ok: false, status: 400, message: 'the body must be an object with an "items" array' };
  }
  const raw: unknown[] = parsed.items;
  if (raw.length === 0) return { ok: false, status: 400, message: '"items" is empty: send at least one item' };
  if (raw.length > UNSEAL_MAX_ITEMS) {
    return {
      ok: false,
      status: 413,
      message: `${raw.length} items in one call; at most ${UNSEAL_MAX_ITEMS}: split them over several calls`,
    };
  }
  const items: UnsealItem[] = [];
  const seen = new Set<string>();
  for (const [i, item] of raw.entries()) {
    const at = `items[${i}]`;
    if (!isRecord(item)) return { ok: false, status: 400, message: `${at} must be an object` };
    const { configMap, key, value } = item;
    if (typeof configMap !== 'string' || !isDnsSubdomain(configMap)) {
      return {
        ok: false,
        status: 400,
        message: `${at}.configMap ${typeof configMap === 'string' ? quote(configMap) : 'is missing or not a string'}: must be a ConfigMap name (a lowercase RFC 1123 subdomain)`,
      };
    }
    if (typeof key !== 'string' || !isConfigMapKey(key)) {
      return {
        ok: false,
        status: 400,
        message: `${at}.key ${typeof key === 'string' ? quote(key) : 'is missing or not a string'}: must be a ConfigMap key (letters, digits, -, _ and .)`,
      };
    }
    if (typeof value !== 'string' || !isSealedValue(value)) {
      return {
        ok: false,
        status: 400,
        message: `${at}.value (ConfigMap ${configMap}, key ${key}) is not a sealed value: it must start with shroud:v1:`,
      };
    }
    const id = `${configMap}/${key}`;
    if (seen.has(id)) {
      return { ok: false, status: 400, message: `${at}: ConfigMap ${configMap} key ${key} is asked for twice` };
    }
    seen.add(id);
    items.push({ configMap, key, value });
  }
  return { ok: true, items };
}
