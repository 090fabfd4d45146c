/**
 * `private-key`: PEM-armored private keys of every flavour, anywhere in a value.
 *
 * Any `-----BEGIN <LABEL>-----` whose label ends in `PRIVATE KEY` (PKCS#8 `PRIVATE KEY`,
 * `ENCRYPTED PRIVATE KEY`, `RSA`, `EC`, `DSA`, `OPENSSH`, ...) or is `PGP PRIVATE KEY BLOCK`,
 * followed by key material. Certificates, public keys and CSRs have other labels and are never
 * reported. An armor line around placeholder text (`...`, `<your key here>`, `xxxx`) is not a
 * key: the body must hold an unbroken run of at least {@link MIN_KEY_MATERIAL} base64 characters
 * and mix letters and digits (every real key body has full 64-character lines).
 */
import { FindingList, runEnd } from './text.js';
import type { Detector, Finding } from './types.js';

const BEGIN = '-----BEGIN ';
const END = '-----END';
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

function scanPrivateKeys(key: string, value: string): Finding[] {
  if (value.indexOf(BEGIN) === -1) return [];
  const list = new FindingList(privateKeyDetector, key, value);
  // The next "-----END" at or after the cursor, found once and reused, so that many BEGIN lines
  // without an END do not each search to the end of the value.
  let nextEnd = -2;
  let from = 0;
  while (!list.full) {
    const begin = value.indexOf(BEGIN, from);
    if (begin === -1) break;
    const labelStart = begin + BEGIN.length;
    const labelEnd = runEnd(value, labelStart, isLabelChar, MAX_LABEL_LENGTH + 1);
    from = labelEnd;
    if (labelEnd - labelStart > MAX_LABEL_LENGTH || !value.startsWith('-----', labelEnd)) continue;
    if (!isPrivateLabel(value.slice(labelStart, labelEnd))) continue;
    const bodyStart = labelEnd + 5;
    if (nextEnd !== -1 && nextEnd < bodyStart) nextEnd = value.indexOf(END, bodyStart);
    const bodyStop = Math.min(nextEnd === -1 ? value.length : nextEnd, bodyStart + BODY_WINDOW);
    if (hasKeyMaterial(value, bodyStart, bodyStop)) list.add(begin);
    from = Math.max(from, bodyStop);
  }
  return list.findings;
}

/** The `private-key` detector. */
export const privateKeyDetector: Detector = {
  name: 'private-key',
  confidence: 'high',
  description: 'a PEM private key (RSA, EC, DSA, OpenSSH, PKCS#8, encrypted or PGP)',
  scan: scanPrivateKeys,
};
