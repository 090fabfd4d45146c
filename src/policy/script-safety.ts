/**
 * What a script filter (`[?(...)]` run by jsonpath-plus's safe evaluator) may not do.
 *
 * The safe evaluator has no `eval`, but it does evaluate regular-expression literals and calls
 * any method it can reach on a value. Both are ways to stall admission from a policy file:
 * `@.name.match(/^(a+)+$/)` backtracks exponentially in JavaScript's RegExp (25 characters took
 * 3.6 s), `@.name.search('^(a+)+$')` turns a string into such a RegExp, and
 * `@.name.repeat(1e9)` allocates a gigabyte. So a filter script is refused when the file is
 * loaded if it contains a regular-expression literal, reads one of the methods below, or picks a
 * member by a computed name (`@.name['ma' + 'tch']`) that could spell one of them. Use the
 * `matches` condition (linear-time RE2) for patterns.
 */

/** jsep's expression tree, as far as this check reads it. */
interface Node {
  type: string;
  [field: string]: unknown;
}

/** String methods that turn their argument into a JavaScript RegExp. */
const REGEX_MEMBERS: ReadonlySet<string> = new Set(['match', 'matchAll', 'search']);
/** String methods that build a string as long as their argument asks. */
const GROWING_MEMBERS: ReadonlySet<string> = new Set(['repeat', 'padStart', 'padEnd']);

function isNode(v: unknown): v is Node {
  return typeof v === 'object' && v !== null && typeof (v as { type?: unknown }).type === 'string';
}

/**
 * Names the first construct a filter script may not use, as the end of a sentence ("uses the
 * regular-expression literal /x/: ..."), or returns undefined when the script is allowed.
 * `ast` is the tree jsonpath-plus's safe evaluator parsed.
 */
export function refusedScriptConstruct(ast: unknown): string | undefined {
  const stack: unknown[] = [ast];
  while (stack.length > 0) {
    const node = stack.pop();
    if (Array.isArray(node)) {
      stack.push(...node);
      continue;
    }
    if (!isNode(node)) continue;
    if (node.type === 'Literal' && node.value instanceof RegExp) {
      return `uses the regular-expression literal ${String(node.raw)}: JavaScript regular expressions backtrack and can stall admission; use a \`matches\` condition (linear-time RE2) instead`;
    }
    if (node.type === 'MemberExpression') {
      const property = node.property;
      let name: string | undefined;
      if (node.computed !== true) name = isNode(property) ? String(property.name) : undefined;
      else if (isNode(property) && property.type === 'Literal' && typeof property.value !== 'object')
        name = String(property.value);
      else return 'picks a member by a computed name (`x[...]`); only literal names and indexes are allowed';
      if (name !== undefined && REGEX_MEMBERS.has(name)) {
        return `uses .${name}, which runs a JavaScript regular expression: those backtrack and can stall admission; use a \`matches\` condition (linear-time RE2) instead`;
      }
      if (name !== undefined && GROWING_MEMBERS.has(name)) {
        return `uses .${name}, which builds a string as long as its argument asks and can exhaust memory; compare lengths instead`;
      }
    }
    for (const [key, value] of Object.entries(node)) if (key !== 'type') stack.push(value);
  }
  return undefined;
}
