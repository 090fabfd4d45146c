/**
 * `private-key`: PEM-armored private keys of every flavour, anywhere in a value.
 *
 * Any `-----BEGIN <LABEL>-----` whose label ends in `PRIVATE KEY` (PKCS#8 `PRIVATE KEY`,
 * `ENCRYPTED PRIVATE KEY`, `RSA`, `EC`, `DSA`, `OPENSSH`, ...) or is `PGP PRIVATE KEY BLOCK`,
 * followed by key material. Certificates, public keys and CSRs have other labels and are never
 * reported. An armor line around placeholder text (`...`, `<your key here>`, `xxxx`) is not a
 * key: the body must carry at least {@link MIN_KEY_MATERIAL} base64 characters mixing letters and
 * digits (a real 256-bit EC key has over 150).
 */
import { FindingList, runEnd } from './text.js';
import type { Detector, Finding } from './types.js';

const BEGIN = '-----BEGIN ';
const END = '-----END';
/** The longest label we accept ("SSH2 ENCRYPTED PRIVATE KEY" is 26 characters). */
const MAX_LABEL_LENGTH = 64;
/** Key material looked at after the armor line; enough to tell a key from a placeholder. */
const BODY_WINDOW = 4096;
const MIN_KEY_MATERIAL = 40;

function isLabelChar(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 32;
}

function isPrivateLabel(label: string): boolean {
  return label.endsWith('PRIVATE KEY') || label === 'PGP PRIVATE KEY BLOCK';
}

/** Counts base64 characters in [from, to) and checks they mix letters and digits. */
function hasKeyMaterial(value: string, from: number, to: number): boolean {
  let count = 0;
  let digits = 0;
  let letters = 0;
  for (let i = from; i < to; i++) {
    const c = value.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
    else if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) letters++;
    else if (c !== 43 && c !== 47 && c !== 61) continue;
    count++;
  }
  return count >= MIN_KEY_MATERIAL && digits > 0 && letters > 0;
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
