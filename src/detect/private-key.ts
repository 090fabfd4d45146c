/**
 * `private-key`: PEM-armored private keys of every flavour, anywhere in a value.
 *
 * Any `-----BEGIN <LABEL>-----` whose label ends in `PRIVATE KEY` (PKCS#8 `PRIVATE KEY`,
 * `ENCRYPTED PRIVATE KEY`, `RSA`, `EC`, `DSA`, `OPENSSH`, ...) or is `PGP PRIVATE KEY BLOCK`,
 * followed by key material. Certificates, public keys and CSRs have other labels and are never
 * reported. An armor line around placeholder text (`...`, `<your key here>`, `xxxx`) is not a
 * key: the body must hold an unbroken run of at least {@link MIN_KEY_MATERIAL} base64 characters
 * and mix letters and digits (every real key body has full 64-character lines).
 *
 * Also found: such a PEM key base64-encoded once more, as kubeconfigs (`client-key-data`) and
 * some Helm values carry it.
 */
import { byPosition, FindingList, isAlnum, runEnd } from './text.js';
import { MAX_FINDINGS_PER_DETECTOR, type Detector, type Finding } from './types.js';

const BEGIN = '-----BEGIN ';
const END = '-----END';
/** base64 of "-----BEGIN" when the PEM text starts the encoded data (as in kubeconfigs). */
const ENCODED_BEGIN = 'LS0tLS1CRUdJTi';
/** Encoded characters decoded per candidate: the armor line plus a few body lines. */
const ENCODED_WINDOW = 512;
/** The longest label we accept ("SSH2 ENCRYPTED PRIVATE KEY" is 26 characters). */
const MAX_LABEL_LENGTH = 64;
/** Key material looked at after the armor line; enough to tell a key from a placeholder. */
const BODY_WINDOW = 4096;
/** Shortest unbroken base64 run that counts as key material. */
const MIN_KEY_MATERIAL = 40;

function isLabelChar(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 32;
}

function isPrivateLabel(label: string): boolean {
  return label.endsWith('PRIVATE KEY') || label === 'PGP PRIVATE KEY BLOCK';
}

/**
 * True when [from, to) holds a run of at least MIN_KEY_MATERIAL base64 characters (PEM bodies
 * are lines of 64 or 70) and the body mixes letters and digits. Words of a sentence are never
 * that long, and masks (`xxxx...`) have no digits.
 */
function hasKeyMaterial(value: string, from: number, to: number): boolean {
  let run = 0;
  let longest = 0;
  let digits = 0;
  let letters = 0;
  for (let i = from; i < to; i++) {
    const c = value.charCodeAt(i);
    const isDigit = c >= 48 && c <= 57;
    const isLetter = (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
    if (isDigit) digits++;
    if (isLetter) letters++;
    run = isDigit || isLetter || c === 43 || c === 47 || c === 61 ? run + 1 : 0;
    if (run > longest) longest = run;
  }
  return longest >= MIN_KEY_MATERIAL && digits > 0 && letters > 0;
}

/**
 * The next `-----BEGIN ` at or after `from`, or -1. Searched as `BEGIN ` (a capital B is rare in
 * config text, a `-` is not, and the native search walks from one first character to the next)
 * with the dashes checked before it; the search only moves forward.
 */
function nextBegin(text: string, from: number): number {
  for (let at = text.indexOf(BEGIN_WORD, from + DASHES); at !== -1; at = text.indexOf(BEGIN_WORD, at + 1))
    if (text.startsWith(DASHES_TEXT, at - DASHES)) return at - DASHES;
  return -1;
}
const BEGIN_WORD = 'BEGIN ';
const DASHES_TEXT = '-----';
const DASHES = DASHES_TEXT.length;

/** Positions of armored private keys in `text`, at most `limit` of them. */
function findArmoredKeys(text: string, limit: number): number[] {
  const positions: number[] = [];
  // The next "-----END" at or after the cursor, found once and reused, so that many BEGIN lines
  // without an END do not each search to the end of the value.
  let nextEnd = -2;
  let from = 0;
  while (positions.length < limit) {
    const begin = nextBegin(text, from);
    if (begin === -1) break;
    const labelStart = begin + BEGIN.length;
    const labelEnd = runEnd(text, labelStart, isLabelChar, MAX_LABEL_LENGTH + 1);
    from = labelEnd;
    if (labelEnd - labelStart > MAX_LABEL_LENGTH || !text.startsWith('-----', labelEnd)) continue;
    if (!isPrivateLabel(text.slice(labelStart, labelEnd))) continue;
    const bodyStart = labelEnd + 5;
    if (nextEnd !== -1 && nextEnd < bodyStart) nextEnd = text.indexOf(END, bodyStart);
    const bodyStop = Math.min(nextEnd === -1 ? text.length : nextEnd, bodyStart + BODY_WINDOW);
    if (hasKeyMaterial(text, bodyStart, bodyStop)) positions.push(begin);
    from = Math.max(from, bodyStop);
  }
  return positions;
}

function isBase64Char(c: number): boolean {
  return isAlnum(c) || c === 43 || c === 47 || c === 61;
}

/**
 * Positions of base64-encoded PEM private keys, as kubeconfigs carry them
 * (`client-key-data: LS0tLS1CRUdJTi...`). Only the first {@link ENCODED_WINDOW} characters of
 * each run are decoded, which is enough for the armor line and the key material after it.
 */
function findEncodedKeys(value: string, limit: number): number[] {
  const positions: number[] = [];
  let from = 0;
  while (positions.length < limit) {
    const start = value.indexOf(ENCODED_BEGIN, from);
    if (start === -1) break;
    const end = runEnd(value, start, isBase64Char, ENCODED_WINDOW);
    from = Math.max(end, start + 1);
    if (start > 0 && isBase64Char(value.charCodeAt(start - 1))) continue;
    const decoded = Buffer.from(value.slice(start, start + ((end - start) & ~3)), 'base64').toString('latin1');
    if (findArmoredKeys(decoded, 1).length > 0) positions.push(start);
  }
  return positions;
}

function scanPrivateKeys(key: string, value: string): Finding[] {
  const armored = nextBegin(value, 0) === -1 ? [] : findArmoredKeys(value, MAX_FINDINGS_PER_DETECTOR);
  const encoded = value.indexOf(ENCODED_BEGIN) === -1 ? [] : findEncodedKeys(value, MAX_FINDINGS_PER_DETECTOR);
  if (armored.length === 0 && encoded.length === 0) return [];
  const list = new FindingList(privateKeyDetector, key, value);
  for (const position of [...armored, ...encoded].sort(byPosition)) list.add(position);
  return list.findings;
}

/** The `private-key` detector. */
export const privateKeyDetector: Detector = {
  name: 'private-key',
  minLength: 40, // armor alone is longer; its base64 form too
  confidence: 'high',
  description: 'a PEM private key (RSA, EC, DSA, OpenSSH, PKCS#8, encrypted or PGP)',
  scan: scanPrivateKeys,
};
