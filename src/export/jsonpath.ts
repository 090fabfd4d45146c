/**
 * The JSONPath of policy selectors and condition paths, read into steps CEL can walk: child
 * names, list indexes, `[*]`/`.*`, and filters (`[?(@.a.b)]`, `[?(@.a === 'x')]`, and scripts
 * of paths, string literals, `==`/`!=`, `&&`, `||`, `!` and `startsWith`/`endsWith`). Anything
 * else (recursive descent, unions, slices, other scripts) is refused with a reason, and the rule
 * stays with the webhook.
 */

/** A filter script, parsed. Paths start at the item (`@`) or the rule's root (`@root`). */
export type Script =
  | { readonly k: 'path'; readonly from: 'item' | 'root'; readonly keys: readonly string[] }
  | { readonly k: 'str'; readonly v: string }
  | { readonly k: 'const'; readonly v: boolean | null }
  | { readonly k: 'call'; readonly fn: 'startsWith' | 'endsWith'; readonly target: Script; readonly arg: string }
  | { readonly k: 'not'; readonly of: Script }
  | { readonly k: 'and' | 'or'; readonly l: Script; readonly r: Script }
  | { readonly k: 'cmp'; readonly op: '==' | '!=' | '===' | '!=='; readonly l: Script; readonly r: Script };

/** A filter in the compiled subset of the engine (selector.ts): `readPath` semantics, no errors. */
export type SimpleFilter =
  | { readonly k: 'exists'; readonly negate: boolean; readonly keys: readonly string[] }
  | {
      readonly k: 'strict';
      readonly negate: boolean;
      readonly keys: readonly string[];
      readonly literal: string | number | boolean | null;
    };

export type Step =
  | { readonly k: 'child'; readonly name: string }
  | { readonly k: 'index'; readonly n: number }
  | { readonly k: 'each'; readonly filter?: SimpleFilter | { readonly k: 'script'; readonly script: Script } };

export type PathParse = { steps: Step[] } | { unsupported: string };

const IDENT = /^[A-Za-z_$][\w$-]*$/;
const FILTER_EXISTS = /^\?\((!?)@((?:\.[A-Za-z_$][\w$-]*)+)\)$/;
const FILTER_COMPARE =
  /^\?\(@((?:\.[A-Za-z_$][\w$-]*)+)\s*(===|==|!==|!=)\s*('(?:[^'\\]*)'|"(?:[^"\\]*)"|-?\d+(?:\.\d+)?|true|false|null)\)$/;

/** Splits `$.a.b[*]['c'][?(...)]` into its bracket and dot segments (without `$`). */
function segments(source: string): string[] | undefined {
  const s = source.trim();
  if (!s.startsWith('$')) return undefined;
  const out: string[] = [];
  let i = 1;
  while (i < s.length) {
    if (s[i] === '.') {
      if (s[i + 1] === '.') return undefined;
      let j = i + 1;
      while (j < s.length && s[j] !== '.' && s[j] !== '[') j++;
      out.push(s.slice(i + 1, j));
      i = j;
    } else if (s[i] === '[') {
      // Up to the matching `]`, skipping quoted strings and nested brackets.
      let depth = 0;
      let j = i;
      let q: string | undefined;
      for (; j < s.length; j++) {
        const c = s[j]!;
        if (q !== undefined) {
          if (c === '\\') j++;
          else if (c === q) q = undefined;
        } else if (c === "'" || c === '"') q = c;
        else if (c === '[') depth++;
        else if (c === ']' && --depth === 0) break;
      }
      if (j >= s.length) return undefined;
      let inner = s.slice(i + 1, j).trim();
      const quoted = /^'([^'\\]*)'$|^"([^"\\]*)"$/.exec(inner);
      if (quoted !== null) inner = `\u0000${quoted[1] ?? quoted[2]}`;
      out.push(inner);
      i = j + 1;
    } else return undefined;
  }
  return out;
}

function literalOf(text: string): string | number | boolean | null {
  if (text.startsWith("'") || text.startsWith('"')) return text.slice(1, -1);
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (text === 'null') return null;
  return Number(text);
}

/** Parses a selector or condition path; `unsupported` says why CEL cannot follow it. */
export function parsePath(source: string): PathParse {
  const segs = segments(source);
  if (segs === undefined) return { unsupported: `path "${source}" uses recursive descent or is not a plain JSONPath` };
  const steps: Step[] = [];
  for (const seg of segs) {
    if (seg.startsWith('\u0000')) steps.push({ k: 'child', name: seg.slice(1) });
    else if (seg === '*') steps.push({ k: 'each' });
    else if (/^\d+$/.test(seg)) steps.push({ k: 'index', n: Number(seg) });
    else if (seg.startsWith('?(') && seg.endsWith(')')) {
      const exists = FILTER_EXISTS.exec(seg);
      const cmp = FILTER_COMPARE.exec(seg);
      if (exists !== null)
        steps.push({
          k: 'each',
          filter: { k: 'exists', negate: exists[1] === '!', keys: exists[2]!.slice(1).split('.') },
        });
      else if (cmp !== null && cmp[2]!.length === 3)
        steps.push({
          k: 'each',
          filter: {
            k: 'strict',
            negate: cmp[2] === '!==',
            keys: cmp[1]!.slice(1).split('.'),
            literal: literalOf(cmp[3]!),
          },
        });
      else if (cmp !== null) return { unsupported: `filter "${seg}" compares loosely (==); write === to export it` };
      else {
        const script = parseScript(seg.slice(2, -1));
        if ('unsupported' in script) return { unsupported: `filter "${seg}": ${script.unsupported}` };
        steps.push({ k: 'each', filter: { k: 'script', script: script.script } });
      }
    } else if (IDENT.test(seg) || (seg !== '' && !/[,:()@~^*?[\]]/.test(seg))) steps.push({ k: 'child', name: seg });
    else return { unsupported: `path segment "${seg}" of "${source}" (unions, slices and scripts are not exported)` };
  }
  return { steps };
}

type Token = { t: 'path'; from: 'item' | 'root'; keys: string[] } | { t: 'str'; v: string } | { t: 'op'; v: string };

function tokenize(src: string): Token[] | string {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '@') {
      let j = i + 1;
      let from: 'item' | 'root' = 'item';
      if (src.startsWith('root', j) && !/[\w$]/.test(src[j + 4] ?? '')) {
        from = 'root';
        j += 4;
      }
      const keys: string[] = [];
      while (src[j] === '.') {
        const m = /^[A-Za-z_$][\w$]*/.exec(src.slice(j + 1));
        if (m === null) return `"${src.slice(i, j + 2)}" is not a path of plain names`;
        keys.push(m[0]);
        j += 1 + m[0].length;
      }
      out.push({ t: 'path', from, keys });
      i = j;
      continue;
    }
    if (c === "'" || c === '"') {
      const end = src.indexOf(c, i + 1);
      const body = end < 0 ? undefined : src.slice(i + 1, end);
      if (body === undefined || body.includes('\\')) return 'a string literal with escapes or no end';
      out.push({ t: 'str', v: body });
      i = end + 1;
      continue;
    }
    const op = /^(===|!==|==|!=|&&|\|\||!|\(|\)|,)/.exec(src.slice(i));
    if (op !== null) {
      out.push({ t: 'op', v: op[0] });
      i += op[0].length;
      continue;
    }
    const word = /^(true|false|null)\b/.exec(src.slice(i));
    if (word !== null) {
      out.push({ t: 'op', v: word[0] });
      i += word[0].length;
      continue;
    }
    return `"${src.slice(i, i + 12)}" is outside the exported script subset (paths, strings, ==, !=, &&, ||, !, startsWith, endsWith)`;
  }
  return out;
}

/** Parses a filter script of the subset; JavaScript precedence: `!` > comparison > `&&` > `||`. */
export function parseScript(src: string): { script: Script } | { unsupported: string } {
  const tokens = tokenize(src);
  if (typeof tokens === 'string') return { unsupported: tokens };
  let pos = 0;
  const peek = (): Token | undefined => tokens[pos];
  const isOp = (v: string): boolean => {
    const t = peek();
    return t !== undefined && t.t === 'op' && t.v === v;
  };
  const fail = (why: string): never => {
    throw new Error(why);
  };
  const primary = (): Script => {
    const t = tokens[pos++];
    if (t === undefined) return fail('the script ends early');
    if (t.t === 'str') return { k: 'str', v: t.v };
    if (t.t === 'op' && t.v === '(') {
      const inner = orExpr();
      if (!isOp(')')) fail('a parenthesis is not closed');
      pos++;
      return inner;
    }
    if (t.t === 'op' && (t.v === 'true' || t.v === 'false' || t.v === 'null'))
      return { k: 'const', v: t.v === 'null' ? null : t.v === 'true' };
    if (t.t === 'path') {
      // A trailing `.startsWith(` is tokenized as part of the path's keys, then `(`.
      const last = t.keys[t.keys.length - 1];
      if ((last === 'startsWith' || last === 'endsWith') && isOp('(')) {
        pos++;
        const arg = tokens[pos++];
        if (arg === undefined || arg.t !== 'str' || !isOp(')')) fail(`${last} takes one string literal`);
        pos++;
        return {
          k: 'call',
          fn: last,
          target: { k: 'path', from: t.from, keys: t.keys.slice(0, -1) },
          arg: (arg as { v: string }).v,
        };
      }
      if (isOp('(')) fail(`the method "${last}" is not exported`);
      return { k: 'path', from: t.from, keys: t.keys };
    }
    return fail(`unexpected "${(t as { v?: string }).v ?? 'token'}"`);
  };
  const unary = (): Script => {
    if (isOp('!')) {
      pos++;
      return { k: 'not', of: unary() };
    }
    return primary();
  };
  const comparison = (): Script => {
    let l = unary();
    for (;;) {
      const t = peek();
      if (t?.t === 'op' && (t.v === '==' || t.v === '!=' || t.v === '===' || t.v === '!==')) {
        pos++;
        l = { k: 'cmp', op: t.v, l, r: unary() };
      } else return l;
    }
  };
  const andExpr = (): Script => {
    let l = comparison();
    while (isOp('&&')) {
      pos++;
      l = { k: 'and', l, r: comparison() };
    }
    return l;
  };
  const orExpr = (): Script => {
    let l = andExpr();
    while (isOp('||')) {
      pos++;
      l = { k: 'or', l, r: andExpr() };
    }
    return l;
  };
  try {
    const script = orExpr();
    if (pos !== tokens.length) return { unsupported: 'the script has more after its end' };
    return { script };
  } catch (err) {
    return { unsupported: (err as Error).message };
  }
}
