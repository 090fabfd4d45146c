/**
 * Scopes: where a sealed value may be opened. Like Sealed Secrets' scopes, a value is bound to a
 * context; the sealing side states it, the opening side supplies the context it has verified
 * (the caller's namespace and service account from a TokenReview, the ConfigMap name and key it
 * was asked for) and never reads it from the envelope.
 */
import { ShroudError } from '../errors.js';
import { isConfigMapKey, isDnsLabel, isDnsSubdomain } from './k8s-names.js';

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

/**
 * The Kubernetes syntax of each field. Every accepted value is ASCII, so its UTF-8 bytes are
 * its characters and two different strings never encode to the same bytes.
 */
const FIELD_RULES: Readonly<Record<keyof ScopeContext, { test: (value: string) => boolean; rule: string }>> = {
  namespace: { test: isDnsLabel, rule: 'a lowercase RFC 1123 label of at most 63 characters' },
  serviceAccount: { test: isDnsSubdomain, rule: 'a lowercase RFC 1123 subdomain of at most 253 characters' },
  name: { test: isDnsSubdomain, rule: 'a lowercase RFC 1123 subdomain of at most 253 characters' },
  key: {
    test: isConfigMapKey,
    rule: 'a ConfigMap key: letters, digits, -, _ and ., not . or .., at most 253 characters',
  },
};

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

/** String.prototype.isWellFormed (Node 20; not in this project's ES2023 lib typings): no lone surrogates. */
function isWellFormed(value: string): boolean {
  return (value as string & { isWellFormed(): boolean }).isWellFormed();
}

/**
 * The canonical bytes of a context under a scope kind: a domain label, the kind, then each bound
 * field length-prefixed (so `("ab","c")` and `("a","bc")` differ). Fields the kind does not bind
 * are ignored, so an opener can always pass everything it knows.
 * @throws CRYPTO_SCOPE_INVALID when a bound field is missing, empty, not well-formed Unicode or not
 *   valid Kubernetes syntax (namespace: RFC 1123 label; service account and ConfigMap name: RFC 1123
 *   subdomain; key: ConfigMap key), naming the field but never echoing its value.
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
    // isWellFormed first: lone surrogates would all encode to the same U+FFFD bytes.
    if (!isWellFormed(value) || !FIELD_RULES[field].test(value)) {
      // The value is not echoed: it may be long, or not a name at all.
      throw new ShroudError(
        'CRYPTO_SCOPE_INVALID',
        `scope "${kind}": ${field} is not ${FIELD_RULES[field].rule}; pass the Kubernetes name exactly`,
        { details: { scope: kind, field } },
      );
    }
    const length = value.length;
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
