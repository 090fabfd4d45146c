/**
 * The unseal service's answers, read with suspicion: a 200 must answer exactly the items asked,
 * each once, by the same names, with base64 values; an error answer gives a code, a message and
 * maybe the items it concerns. Nothing here ever puts a value into a message.
 */
import { ShroudError } from '../../errors.js';
import { isRecord } from '../../util/is-record.js';
import { isConfigMapKey, isConfigMapName, itemName, oneLine } from './names.js';
import type { ItemName } from './sealed-dir.js';

/** One opened value, ready to be written. */
export interface Plaintext extends ItemName {
  bytes: Buffer;
}

/** What an error answer says, each part when present and well-formed. */
export interface ErrorAnswer {
  code: string | undefined;
  message: string | undefined;
  items: Array<ItemName & { code: string | undefined }>;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function invalid(message: string): ShroudError {
  return new ShroudError('UNSEAL_INIT_ANSWER_INVALID', `the unseal service's answer ${message}; nothing was written`);
}

/** A name from the answer, quoted for a message: printable, short. */
function shown(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(oneLine(value, 80)) : typeof value;
}

/**
 * Reads a 200 answer against the request.
 * @throws ShroudError UNSEAL_INIT_ANSWER_INVALID when it is not JSON of the contract's shape, names
 *   a ConfigMap or key that was not asked for (or one that could leave its folder: `..`, `/`),
 *   answers an item twice or not at all, or holds a value that is not base64.
 */
export function readAnswer(body: Buffer, requested: readonly ItemName[]): Plaintext[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw invalid('is not JSON');
  }
  if (!isRecord(parsed) || !Array.isArray(parsed.items)) throw invalid('has no "items" list');
  const wanted = new Map(requested.map((item) => [itemName(item), item]));
  const out = new Map<string, Plaintext>();
  for (const [i, entry] of parsed.items.entries()) {
    if (!isRecord(entry)) throw invalid(`item #${i + 1} is not an object`);
    const { configMap, key, value } = entry;
    if (typeof configMap !== 'string' || typeof key !== 'string')
      throw invalid(`item #${i + 1} has no string "configMap" and "key"`);
    // A name that could make a path outside SHROUD_OUTPUT_DIR/<configMap>/ (a separator, `.`,
    // `..` or anything starting with it) is refused by name, before it is compared with the request.
    for (const [what, name] of [
      ['ConfigMap', configMap],
      ['key', key],
    ] as const) {
      if (/[/\\\0]/.test(name) || name === '.' || name.startsWith('..'))
        throw invalid(`item #${i + 1} names the ${what} ${shown(name)}, which is not a plain file name`);
    }
    if (!isConfigMapName(configMap) || !isConfigMapKey(key))
      throw invalid(`item #${i + 1} names ${shown(configMap)}/${shown(key)}, which is not a ConfigMap name and key`);
    const name = itemName({ configMap, key });
    const asked = wanted.get(name);
    if (asked === undefined) throw invalid(`answers ${name}, which was not asked for`);
    if (out.has(name)) throw invalid(`answers ${name} twice`);
    if (typeof value !== 'string' || !BASE64.test(value)) throw invalid(`value of ${name} is not base64`);
    out.set(name, { configMap: asked.configMap, key: asked.key, bytes: Buffer.from(value, 'base64') });
  }
  const missing = requested.filter((item) => !out.has(itemName(item)));
  if (missing.length > 0)
    throw invalid(`leaves out ${missing.length} item(s): ${missing.slice(0, 10).map(itemName).join(', ')}`);
  return requested.map((item) => out.get(itemName(item))!);
}

/** Reads an error answer as far as it follows the contract; never throws. */
export function readErrorAnswer(body: Buffer): ErrorAnswer {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return { code: undefined, message: undefined, items: [] };
  }
  const error = isRecord(parsed) && isRecord(parsed.error) ? parsed.error : {};
  const text = (v: unknown, max: number): string | undefined =>
    typeof v === 'string' && v.trim() !== '' ? oneLine(v, max) : undefined;
  const items: ErrorAnswer['items'] = [];
  if (isRecord(parsed) && Array.isArray(parsed.items)) {
    for (const entry of parsed.items) {
      if (!isRecord(entry) || typeof entry.configMap !== 'string' || typeof entry.key !== 'string') continue;
      if (!isConfigMapName(entry.configMap) || !isConfigMapKey(entry.key)) continue;
      items.push({ configMap: entry.configMap, key: entry.key, code: text(entry.code, 60) });
    }
  }
  const code = text(error.code, 60);
  return {
    code: code !== undefined && /^[A-Za-z0-9_.-]+$/.test(code) ? code : undefined,
    message: text(error.message, 200),
    items,
  };
}
