/**
 * Finding and replacing sealed values (`shroud:vN:...`) in YAML text without reformatting it.
 *
 * Why textual replacement rather than the yaml package's round trip: re-stringifying a document
 * folds long scalars at 80 columns, changes quoting and indentation choices and can move
 * comments, so a rewrap would rewrite whole files. Here yaml only *reads*: it tells us which
 * scalars hold sealed values and where, each must be written as one unbroken token, and only
 * those tokens' bytes change. After the edit the text is parsed again and every sealed scalar
 * must be exactly the new value, or nothing is written.
 */
import { isScalar, LineCounter, parseAllDocuments, visit } from 'yaml';
import type { Issue } from '../issues.js';

const TOKEN = /(?<![A-Za-z0-9_-])shroud:v[0-9]+:[A-Za-z0-9_-]*/g;

/** One sealed scalar of a YAML file. */
export interface SealedScalar {
  /** The scalar's value, which is the token's text. */
  value: string;
  /** Offset of the token in the file text. */
  offset: number;
  /** 1-based line of the token. */
  line: number;
  /** The mapping key holding it (`data.API_KEY` → `API_KEY`), when there is one. */
  key: string | undefined;
}

/** A problem that stops a file from being read or rewritten: CRYPTO_MALFORMED. Never holds a value. */
function tokenIssue(file: string | undefined, line: number | undefined, message: string): Issue {
  return {
    code: 'CRYPTO_MALFORMED',
    message,
    ...(file === undefined ? {} : { file }),
    ...(line === undefined ? {} : { line }),
  };
}

/**
 * Lists the sealed scalars of a YAML text (every document), in text order. A scalar whose value
 * is sealed but whose text is not one unbroken token (folded over lines, escaped) is an issue;
 * `file`, when given, names the file in issues.
 */
export function findSealedScalars(text: string, file?: string): { scalars: SealedScalar[]; issues: Issue[] } {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter });
  const lineOf = (offset: number) => lineCounter.linePos(offset).line;
  const issues: Issue[] = [];
  const scalars: SealedScalar[] = [];
  const docList = Array.isArray(docs) ? docs : [];
  for (const doc of docList) {
    for (const e of doc.errors) issues.push(tokenIssue(file, e.linePos?.[0]?.line, `YAML: ${e.code}`));
  }
  if (issues.length > 0) return { scalars, issues };
  const tokens = new Map<number, string>();
  for (const m of text.matchAll(TOKEN)) tokens.set(m.index, m[0]);
  for (const doc of docList) {
    visit(doc, {
      Scalar(key, node, path) {
        if (typeof node.value !== 'string' || !/^shroud:v[0-9]+:/.test(node.value) || key === 'key') return;
        const [start, end] = node.range ?? [0, 0];
        let found: number | undefined;
        for (let at = start; at < end; at++) {
          if (tokens.get(at) === node.value) {
            found = at;
            break;
          }
        }
        if (found === undefined) {
          issues.push(
            tokenIssue(
              file,
              lineOf(start),
              'a sealed value is not written as one unbroken token (folded or escaped); rewrite it on one line',
            ),
          );
          return;
        }
        const parent = path[path.length - 1];
        const pairKey =
          parent !== undefined && 'key' in (parent as object) ? (parent as { key: unknown }).key : undefined;
        scalars.push({
          value: node.value,
          offset: found,
          line: lineOf(found),
          key: isScalar(pairKey) ? String(pairKey.value) : undefined,
        });
      },
    });
  }
  scalars.sort((a, b) => a.offset - b.offset);
  return { scalars, issues };
}

/**
 * Replaces sealed scalars by offset and verifies the result parses to the same structure with
 * exactly the new values.
 * @returns the new text, or an issue (naming `file`, when given) when the check fails
 */
export function replaceSealedScalars(
  text: string,
  replacements: { scalar: SealedScalar; value: string }[],
  file?: string,
): { text: string } | { issue: Issue } {
  let out = text;
  for (const { scalar, value } of [...replacements].sort((a, b) => b.scalar.offset - a.scalar.offset)) {
    out = out.slice(0, scalar.offset) + value + out.slice(scalar.offset + scalar.value.length);
  }
  const map = new Map(replacements.map((r) => [r.scalar.offset, r.value]));
  const expected = findSealedScalars(text).scalars.map((s) => map.get(s.offset) ?? s.value);
  const after = findSealedScalars(out);
  const same =
    after.issues.length === 0 &&
    after.scalars.length === expected.length &&
    after.scalars.every((s, i) => s.value === expected[i]);
  return same
    ? { text: out }
    : {
        issue: tokenIssue(file, undefined, 'the rewritten file did not parse back to the same values; left unchanged'),
      };
}
