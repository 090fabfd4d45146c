/**
 * Values a person made up rather than generated: stand-in words and small numbers
 * (`supersecret123`, `P@ssw0rd`, `test_api_key_1`: {@link isMadeUp}) and values with too little
 * variety (`abcdefgh`, `testtesttest`, `AKIAZZZZZZZZZZZZZZZZ`: {@link isTrivial}). Both are kinds
 * of placeholder (placeholders.ts). Each runs on one short candidate value and is linear in it.
 */

/**
 * Words that made-up values are built from (`supersecret123`, `my-secret-key`, `P@ssw0rd`,
 * `test_api_key_1`, `YourStrong(!)Password`, `admin123`): secret words, filler words, test and
 * environment words, default account names and the usual weak passwords. A value whose letters
 * split entirely into these words (with short or sequential numbers between them) is an example,
 * not a credential; see {@link isMadeUp}.
 */
const MADE_UP_WORDS: ReadonlySet<string> = new Set(
  (
    'secret secrets password passwords passwd pass pwd pw key keys api apikey token tokens test tests testing ' +
    'demo dev devel develop development local localhost sample example dummy fake mock mocked stub placeholder ' +
    'change changeme changeit me my your our the a an is not this that it to with for of here there super very ' +
    'default admin administrator root user username guest foo bar baz qux quux hello world abc xyz value insert ' +
    'put replace fill in real todo tbd none null nil string text temp tmp sandbox app application client access ' +
    'auth jwt session cookie signing sign hmac secure strong random some any letmein qwerty welcome login please ' +
    'set must be changed do use only dont no yes db database postgres mysql redis mongo rabbit rabbitmq kafka ' +
    'alice bob carol dave john jane doe service svc private public shared master new old top s3cr3t ' +
    // Products' documented default credentials and the most common weak examples.
    'minio wordpress nextcloud grafana jenkins keycloak elastic kibana sonar airflow superset ' +
    'keyboard cat love you i'
  ).split(' '),
);
/** The longest word in MADE_UP_WORDS, bounding the segmentation below. */
const MAX_MADE_UP_WORD = 16;
/** Values longer than this are not checked for made-up words (stand-ins are short). */
const MAX_MADE_UP_LENGTH = 64;

/** Digit and symbol stand-ins for letters, applied only between two letters (`p@ssw0rd`). */
const LEET: Readonly<Record<string, string>> = {
  '0': 'o',
  '1': 'i',
  '3': 'e',
  '4': 'a',
  '5': 's',
  '7': 't',
  '@': 'a',
  $: 's',
};

function isLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** True when the lower-case letters `run` split entirely into MADE_UP_WORDS (dynamic programming, O(n·16)). */
function segments(run: string): boolean {
  const ok: boolean[] = [true];
  for (let end = 1; end <= run.length; end++) {
    ok[end] = false;
    for (let start = Math.max(0, end - MAX_MADE_UP_WORD); start < end; start++) {
      if (ok[start] === true && MADE_UP_WORDS.has(run.slice(start, end))) {
        ok[end] = true;
        break;
      }
    }
  }
  return ok[run.length] === true;
}

/**
 * True for a value made only of stand-in words and small numbers: `supersecret123`,
 * `my-secret-key`, `P@ssw0rd`, `Password1`, `test_api_key_1`, `ChangeMe123!`. Leetspeak between
 * letters is read as letters first. At least one word of four or more letters must be present,
 * and numbers longer than four digits must be sequential (`12345678`).
 */
export function isMadeUp(value: string): boolean {
  if (value.length > MAX_MADE_UP_LENGTH) return false;
  // A leet character is read as a letter between letters or other leet characters (`P@$$w0rd`).
  const isLetterish = (i: number): boolean =>
    i >= 0 && i < value.length && (isLetter(value.charCodeAt(i)) || LEET[value[i] as string] !== undefined);
  let text = '';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i] as string;
    const leet = LEET[ch];
    text += leet !== undefined && isLetterish(i - 1) && isLetterish(i + 1) ? leet : ch.toLowerCase();
  }
  let longWord = false;
  for (const run of text.split(/[^a-z0-9]+/)) {
    for (const part of run.split(/(\d+)/)) {
      if (part === '') continue;
      if (/^\d+$/.test(part)) {
        if (part.length > 4 && !isSequential(part)) return false;
        continue;
      }
      // Parts of one or two letters (`sk`, `db`, `v`) are abbreviations; random text has longer runs.
      if (part.length > 2 && !segments(part)) return false;
      if (part.length >= 4) longWord = true;
    }
  }
  return longWord;
}

/** True when the characters step through a sequence: `abcdef`, `987654`, `aaaabbbb`, `qwertyuiop`. */
function isSequential(text: string): boolean {
  let steps = 0;
  for (let i = 1; i < text.length; i++) {
    const a = text.charCodeAt(i - 1);
    const b = text.charCodeAt(i);
    if (Math.abs(a - b) <= 1 || keyboardNeighbours(a, b)) steps++;
  }
  return steps >= (text.length - 1) * 0.75;
}

const KEYBOARD_ROWS: readonly string[] = ['1234567890', 'qwertyuiop', 'asdfghjkl', 'zxcvbnm'];
function keyboardNeighbours(a: number, b: number): boolean {
  for (const row of KEYBOARD_ROWS) {
    const i = row.indexOf(String.fromCharCode(a));
    if (
      i !== -1 &&
      Math.abs(row.indexOf(String.fromCharCode(b)) - i) === 1 &&
      row.indexOf(String.fromCharCode(b)) !== -1
    )
      return true;
  }
  return false;
}

/** True when the text repeats a unit of at most 12 characters (`testtesttest`, `abc123abc123`). */
function isRepetition(text: string): boolean {
  for (let period = 1; period <= Math.min(12, text.length >> 1); period++) {
    let i = period;
    while (i < text.length && text.charCodeAt(i) === text.charCodeAt(i - period)) i++;
    if (i === text.length) return true;
  }
  return false;
}

/**
 * True for values with too little variety to be a secret: one unit repeated, characters that
 * step through a sequence (`abcdefgh`, `12345678`, `qwertyuiop`, `aaaabbbbcccc`), three or fewer
 * distinct characters in eight or more, or a run of eight identical characters inside an
 * otherwise real-looking value (`AKIAZZZZZZZZZZZZZZZZ`).
 */
export function isTrivial(value: string): boolean {
  const c = value.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (c.length === 0) return false;
  if (isRepetition(c) || (c.length >= 6 && isSequential(c))) return true;
  if (c.length >= 8 && new Set(c).size <= 3) return true;
  return /(.)\1{7}/.test(c);
}
