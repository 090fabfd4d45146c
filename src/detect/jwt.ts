/**
 * `jwt`: signed JSON Web Tokens (JWS compact form), which are bearer credentials until they
 * expire. Three base64url segments joined by dots, the first decoding to a JSON object with an
 * `alg` member. Unsigned tokens (`alg: none`, empty signature) grant nothing to a correctly
 * configured server and are not reported; nor are five-segment JWE tokens (encrypted), nor
 * documentation examples, whose claims are all stand-ins (see hasExampleClaims).
 *
 * Candidates start at `eyJ` (base64 of `{"`); each segment is a bounded forward walk and the
 * search resumes after the candidate, so the scan is linear.
 */
import { isRecord } from '../util/is-record.js';
import { hasExampleClaims } from './placeholders.js';
import { FindingList, isBase64UrlChar, runEnd } from './text.js';
import type { Detector, Finding } from './types.js';

const MAX_HEADER = 1024;
/** Large enough for any realistic claim set; longer runs are not tokens but blobs. */
const MAX_PAYLOAD = 16384;
const MAX_SIGNATURE = 1024;
/** An HMAC-SHA256 signature is 43 characters; anything under 16 is not a signature. */
const MIN_SIGNATURE = 16;

function headerHasAlg(segment: string): boolean {
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    return false;
  }
  return isRecord(header) && typeof header.alg === 'string';
}

/**
 * The next `eyJ` at or after `from`, or -1: searched as `yJ` with the `e` checked before it (the
 * native search walks from one first character to the next, and `y` is far rarer than `e`).
 */
function nextEyJ(value: string, from: number): number {
  for (let at = value.indexOf('yJ', from + 1); at !== -1; at = value.indexOf('yJ', at + 1))
    if (value.charCodeAt(at - 1) === 101) return at - 1;
  return -1;
}

function scanJwts(key: string, value: string): Finding[] {
  let start = nextEyJ(value, 0);
  if (start === -1) return [];
  const list = new FindingList(jwtDetector, key, value);
  let from = 0;
  while (!list.full) {
    if (start < from) start = nextEyJ(value, from);
    if (start === -1) break;
    from = start + 3;
    if (start > 0 && isBase64UrlChar(value.charCodeAt(start - 1))) continue;
    const headerEnd = runEnd(value, start, isBase64UrlChar, MAX_HEADER + 1);
    from = headerEnd;
    if (headerEnd - start > MAX_HEADER || value.charCodeAt(headerEnd) !== 46) continue;
    const payloadEnd = runEnd(value, headerEnd + 1, isBase64UrlChar, MAX_PAYLOAD + 1);
    from = payloadEnd;
    if (payloadEnd === headerEnd + 1 || payloadEnd - headerEnd - 1 > MAX_PAYLOAD) continue;
    if (value.charCodeAt(payloadEnd) !== 46) continue;
    const signatureEnd = runEnd(value, payloadEnd + 1, isBase64UrlChar, MAX_SIGNATURE + 1);
    from = signatureEnd;
    const signatureLength = signatureEnd - payloadEnd - 1;
    if (signatureLength < MIN_SIGNATURE || signatureLength > MAX_SIGNATURE) continue;
    // A fourth segment makes it a JWE (or something else), not a signed token.
    if (value.charCodeAt(signatureEnd) === 46 && isBase64UrlChar(value.charCodeAt(signatureEnd + 1))) continue;
    if (headerHasAlg(value.slice(start, headerEnd)) && !hasExampleClaims(value.slice(headerEnd + 1, payloadEnd)))
      list.add(start);
  }
  return list.findings;
}

/** The `jwt` detector. */
export const jwtDetector: Detector = {
  name: 'jwt',
  minLength: 24, // eyJ + a header, two dots, a payload and a 16-character signature
  confidence: 'high',
  description: 'a signed JSON Web Token (a bearer credential until it expires)',
  scan: scanJwts,
};
