/**
 * One `POST /v1/unseal` over HTTPS, trusting only the CA bundle it is given (never the system's
 * CAs, never NODE_EXTRA_CA_CERTS, whatever NODE_TLS_REJECT_UNAUTHORIZED says), with the service's
 * name checked against its certificate, a deadline for the whole exchange and a bound on the answer.
 */
import { X509Certificate } from 'node:crypto';
import { request } from 'node:https';
import { ShroudError } from '../../errors.js';
import { oneLine } from './names.js';

/** The largest answer read: base64 of at most 1 MiB of plaintexts, with room for names. */
export const MAX_ANSWER_BYTES = 4 * 1024 * 1024;

/** What one call came to. */
export type CallOutcome =
  | { kind: 'answer'; status: number; body: Buffer; retryAfterSeconds: number | undefined }
  /** An answer larger than MAX_ANSWER_BYTES: not read further, never a valid answer. */
  | { kind: 'oversized'; status: number }
  /** Nothing usable came back (refused, reset, timed out, DNS): worth another try. */
  | { kind: 'unreachable'; reason: string }
  /** The server is not the one the CA vouches for: nothing was sent, and another try would not help. */
  | { kind: 'untrusted'; reason: string };

export interface CallOptions {
  /** `https://host[:port][/prefix]`; `/v1/unseal` is appended. */
  url: URL;
  /** PEM bundle: the only CAs trusted. */
  ca: string;
  token: string;
  body: string;
  timeoutMs: number;
}

/** TLS verification failures: a wrong server or a wrong CA, not a passing fault. */
const UNTRUSTED = new Set([
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'INVALID_CA',
  'INVALID_PURPOSE',
  'HOSTNAME_MISMATCH',
]);

/**
 * Parses the unseal service's base URL.
 * @throws ShroudError CONFIG_INVALID unless it is `https://` without credentials, query or fragment.
 */
export function parseUnsealUrl(text: string, origin: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ShroudError('CONFIG_INVALID', `${origin} must be an https:// URL (got "${oneLine(text, 100)}")`);
  }
  if (url.protocol !== 'https:' || url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '')
    throw new ShroudError(
      'CONFIG_INVALID',
      `${origin} must be an https:// URL without credentials, query or fragment (got "${oneLine(text, 100)}")`,
    );
  return url;
}

/** `base` + `/v1/unseal`, keeping a path prefix of the base. */
export function unsealEndpoint(base: URL): URL {
  const endpoint = new URL(base.href);
  endpoint.pathname = `${base.pathname.replace(/\/+$/, '')}/v1/unseal`;
  return endpoint;
}

/**
 * Checks that a CA bundle holds at least one PEM certificate and nothing that fails to parse.
 * @throws ShroudError CONFIG_INVALID naming `origin` (never the bundle: it is public, but long).
 */
export function checkCaBundle(pem: string, origin: string): void {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0)
    throw new ShroudError(
      'CONFIG_INVALID',
      `${origin} must hold the PEM certificate(s) of the CA that signs the unseal service's certificate (found no "BEGIN CERTIFICATE")`,
    );
  blocks.forEach((block, i) => {
    try {
      new X509Certificate(block);
    } catch (err) {
      throw new ShroudError(
        'CONFIG_INVALID',
        `${origin}: certificate #${i + 1} of the CA bundle does not parse (${oneLine(err instanceof Error ? err.message : String(err), 80)})`,
      );
    }
  });
}

function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function parseRetryAfter(value: string | string[] | undefined): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || !/^\s*\d{1,6}\s*$/.test(text)) return undefined; // HTTP dates are not used by the service
  return Number(text);
}

/** One HTTPS request with a deadline and a bounded answer. */
export interface ExchangeOptions {
  url: URL;
  method: 'GET' | 'POST';
  /** PEM bundle: the only CAs trusted; absent: Node's built-in CAs. */
  ca: string | undefined;
  headers: Record<string, string | number>;
  body?: Buffer;
  timeoutMs: number;
  maxAnswerBytes: number;
}

/**
 * Makes one HTTPS exchange, TLS 1.2+ with the server's certificate and name verified; never
 * throws for network faults (they are outcomes), only for bugs.
 */
export function exchange(options: ExchangeOptions): Promise<CallOutcome> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: CallOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const { url } = options;
    const req = request(
      {
        protocol: 'https:',
        hostname: url.hostname.replace(/^\[|\]$/g, ''),
        port: url.port === '' ? 443 : Number(url.port),
        path: url.pathname,
        method: options.method,
        // A given bundle replaces Node's built-in and extra CAs: only it can vouch for the server.
        ...(options.ca === undefined ? {} : { ca: options.ca }),
        rejectUnauthorized: true,
        minVersion: 'TLSv1.2',
        agent: false,
        headers: options.headers,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > options.maxAnswerBytes) {
            finish({ kind: 'oversized', status: res.statusCode ?? 0 });
            req.destroy();
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () =>
          finish({
            kind: 'answer',
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks),
            retryAfterSeconds: parseRetryAfter(res.headers['retry-after']),
          }),
        );
        res.on('error', (err) => finish({ kind: 'unreachable', reason: errorCode(err) ?? 'the answer broke off' }));
        res.on('aborted', () => finish({ kind: 'unreachable', reason: 'the answer broke off' }));
      },
    );
    const timer = setTimeout(() => {
      finish({ kind: 'unreachable', reason: `no answer within ${Math.round(options.timeoutMs / 100) / 10} s` });
      req.destroy();
    }, options.timeoutMs);
    req.on('error', (err) => {
      const code = errorCode(err);
      if (code !== undefined && UNTRUSTED.has(code)) {
        finish({ kind: 'untrusted', reason: `${code}: ${oneLine(err.message, 160)}` });
        return;
      }
      finish({ kind: 'unreachable', reason: code ?? oneLine(err.message, 160) });
    });
    req.end(options.body);
  });
}

/** Makes one `POST /v1/unseal`; never throws for network faults (they are outcomes), only for bugs. */
export function callUnseal(options: CallOptions): Promise<CallOutcome> {
  const body = Buffer.from(options.body, 'utf8');
  return exchange({
    url: unsealEndpoint(options.url),
    method: 'POST',
    ca: options.ca,
    headers: {
      'content-type': 'application/json',
      'content-length': body.length,
      accept: 'application/json',
      authorization: `Bearer ${options.token}`,
    },
    body,
    timeoutMs: options.timeoutMs,
    maxAnswerBytes: MAX_ANSWER_BYTES,
  });
}
