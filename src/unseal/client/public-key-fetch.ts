/**
 * `shroud encrypt --public-key https://...`: the public key document fetched from the unseal
 * service's `GET /v1/public-key` over verified TLS, as kubeseal fetches its certificate. The
 * server's certificate is checked against the given CA bundle only (or, without one, the system's
 * CAs) and its name against the URL; the answer is bounded in size and time.
 */
import { ShroudError } from '../../errors.js';
import { oneLine } from './names.js';
import { exchange } from './unseal-call.js';

/** The largest public key document read (one is under 1 KiB; a key id may be up to 1 KiB). */
const MAX_DOCUMENT_BYTES = 64 * 1024;
const PATH = '/v1/public-key';

/** True when `--public-key` names a URL (`scheme://...`) rather than a file; only https is then accepted. */
export function isPublicKeyUrl(text: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(text);
}

/**
 * The URL to fetch: the unseal service's base URL (as `--unseal-url`) gets `/v1/public-key`
 * appended; a URL that already ends with it is used as it is.
 * @throws CONFIG_INVALID unless it is https without credentials, query or fragment
 */
export function publicKeyUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ShroudError('CONFIG_INVALID', `--public-key is not a URL (got "${oneLine(text, 100)}")`);
  }
  if (url.protocol !== 'https:' || url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '')
    throw new ShroudError(
      'CONFIG_INVALID',
      `--public-key must be an https:// URL without credentials, query or fragment (got "${oneLine(text, 100)}")`,
    );
  if (!url.pathname.endsWith(PATH)) url.pathname = `${url.pathname.replace(/\/+$/, '')}${PATH}`;
  return url;
}

function failed(url: URL, reason: string): ShroudError {
  return new ShroudError(
    'CRYPTO_PUBLIC_KEY_FETCH_FAILED',
    `could not fetch the public key from ${url.href}: ${reason}; nothing was sealed`,
    { details: { url: url.href } },
  );
}

/**
 * GETs the public key document.
 * @throws CRYPTO_PUBLIC_KEY_FETCH_FAILED (unreachable, TLS not verified, not 200, too large, too slow)
 */
export async function fetchPublicKey(url: URL, options: { ca?: string; timeoutMs?: number } = {}): Promise<string> {
  const outcome = await exchange({
    url,
    method: 'GET',
    ca: options.ca,
    headers: { accept: 'application/json' },
    timeoutMs: options.timeoutMs ?? 10_000,
    maxAnswerBytes: MAX_DOCUMENT_BYTES,
  });
  switch (outcome.kind) {
    case 'answer':
      if (outcome.status !== 200) throw failed(url, `the server answered ${outcome.status}`);
      return outcome.body.toString('utf8');
    case 'oversized':
      throw failed(url, `the answer is larger than ${MAX_DOCUMENT_BYTES} bytes`);
    case 'untrusted':
      throw failed(url, `its certificate is not trusted (${outcome.reason})`);
    case 'unreachable':
      throw failed(url, outcome.reason);
  }
}
