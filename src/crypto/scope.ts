/**
 * Scopes: where a sealed value may be opened. Like Sealed Secrets' scopes, a value is bound to a
 * context; the sealing side states it, the opening side supplies the context it has verified
 * (the caller's namespace and service account from a TokenReview, the ConfigMap name and key it
 * was asked for) and never reads it from the envelope.
 */
import { ShroudError } from '../errors.js';

/** `strict`: namespace + service account + ConfigMap name + key; `namespace`; `cluster`: anywhere. */
export type ScopeKind = 'strict' | 'namespace' | 'cluster';

/** Every scope kind, in the order of their byte codes (1, 2, 3). */
export const SCOPE_KINDS: readonly ScopeKind[] = ['strict', 'namespace', 'cluster'];

/** The facts a scope may bind. Which ones count depends on the ScopeKind. */
export interface ScopeContext {
  namespace?: string;
  serviceAccount?: string;
  /** The ConfigMap's name. */
  name?: string;
  /** The key inside the ConfigMap's `data`. */
  key?: string;
}

/** Longest accepted field (bytes); Kubernetes names and ConfigMap keys are at most 253 characters. */
const MAX_FIELD = 253;

const LABELS: Readonly<Record<ScopeKind, Buffer>> = {
  strict: Buffer.from('shroud:v1:scope:strict', 'ascii'),
  namespace: Buffer.from('shroud:v1:scope:namespace', 'ascii'),
  cluster: Buffer.from('shroud:v1:scope:cluster', 'ascii'),
};

/** The fields each scope kind binds, in their fixed encoding order. */
export const SCOPE_FIELDS: Readonly<Record<ScopeKind, readonly (keyof ScopeContext)[]>> = {
  strict: ['namespace', 'serviceAccount', 'name', 'key'],
  namespace: ['namespace'],
  cluster: [],
};

/** Byte code of a scope kind in the envelope header. */
export function scopeKindCode(kind: ScopeKind): number {
  return SCOPE_KINDS.indexOf(kind) + 1;
}

/** Scope kind of a header byte, or undefined when the byte is not a known kind. */
export function scopeKindFromCode(code: number): ScopeKind | undefined {
  return SCOPE_KINDS[code - 1];
}

/** True when `value` names a scope kind. */
export function isScopeKind(value: unknown): value is ScopeKind {
  return typeof value === 'string' && (SCOPE_KINDS as readonly string[]).includes(value);
}

/**
 * The canonical bytes of a context under a scope kind: a domain label, the kind, then each bound
 * field length-prefixed (so `("ab","c")` and `("a","bc")` differ). Fields the kind does not bind
 * are ignored, so an opener can always pass everything it knows.
 * @throws CRYPTO_SCOPE_INVALID when a bound field is missing, empty or longer than 253 bytes.
 */
export function encodeScope(kind: ScopeKind, context: ScopeContext): Buffer {
  const label = LABELS[kind];
  const fields = SCOPE_FIELDS[kind];
  const values: string[] = [];
  let size = label.length;
  for (const field of fields) {
    const value = context[field];
    if (typeof value !== 'string' || value.length === 0) {
      throw new ShroudError('CRYPTO_SCOPE_INVALID', `scope "${kind}" needs a non-empty ${field}`, {
        details: { scope: kind, field },
      });
    }
    const length = Buffer.byteLength(value, 'utf8');
    if (length > MAX_FIELD) {
      throw new ShroudError('CRYPTO_SCOPE_INVALID', `scope field ${field} is longer than ${MAX_FIELD} bytes`, {
        details: { scope: kind, field },
      });
    }
    values.push(value);
    size += 2 + length;
  }
  // One allocation, written in place: this runs on every open, cached or not.
  const out = Buffer.allocUnsafe(size);
  let o = label.copy(out, 0);
  for (const value of values) {
    const length = out.write(value, o + 2, 'utf8');
    out.writeUInt16BE(length, o);
    o += 2 + length;
  }
  return out;
}

/** The values of the fields a kind binds, in order (after encodeScope has validated them). */
export function scopeValues(kind: ScopeKind, context: ScopeContext): string[] {
  return SCOPE_FIELDS[kind].map((field) => context[field] as string);
}

/** True when `context` has exactly `values` in the fields `kind` binds. */
export function hasScopeValues(values: readonly string[] | undefined, kind: ScopeKind, context: ScopeContext): boolean {
  if (values === undefined) return false;
  const fields = SCOPE_FIELDS[kind];
  for (let i = 0; i < fields.length; i++) if (values[i] !== context[fields[i]!]) return false;
  return true;
}
