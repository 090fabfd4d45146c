/**
 * `POST /v1/unseal` (docs/injection.md): Bearer token -> TokenReview -> pod identity -> the
 * strict scope of each item -> open -> plaintexts, all or nothing, with one audit line per call.
 */
import { performance } from 'node:perf_hooks';
import express, { type NextFunction, type Request, type Response } from 'express';
import { type DekCache, type KekProvider, type OpenedValue, openValue, parseEnvelope } from '../crypto/index.js';
import { type ErrorCode, isShroudError } from '../errors.js';
import type { ReadinessCheck } from '../health/index.js';
import type { TokenReviewer } from '../kube/index.js';
import type { Logger } from '../log/logger.js';
import { checkIdentity, type PodIdentity } from './identity.js';
import { Limiter } from './limiter.js';
import { parseUnsealRequest, UNSEAL_BODY_LIMIT, type UnsealItem } from './request.js';
import { CachingTokenReviewer, type TokenReviewCacheOptions } from './token-cache.js';

/** Bounds of the unseal service; defaults in DEFAULT_UNSEAL_LIMITS. */
export interface UnsealLimits {
  /** TokenReviews in flight at once (cache misses). */
  maxTokenReviews: number;
  /** Values being opened at once (KEK provider calls on a DEK cache miss). */
  maxOpens: number;
  /** Waiters of each kind beyond those; more are answered 503 at once. */
  maxQueued: number;
  /** One KEK provider call must answer within this. */
  providerTimeoutMs: number;
  /** Retry-After of a 503, in seconds. */
  retryAfterSeconds: number;
}

export const DEFAULT_UNSEAL_LIMITS: Readonly<UnsealLimits> = Object.freeze({
  maxTokenReviews: 32,
  maxOpens: 64,
  maxQueued: 4096,
  providerTimeoutMs: 5000,
  retryAfterSeconds: 2,
});

export interface UnsealRouterOptions {
  /** TokenReviews go here (wrapped in the token cache). */
  reviewer: TokenReviewer;
  /** The KEK provider in force now (asked on every call, so a reloaded keyring takes effect). */
  provider: () => KekProvider;
  /** Cache of DEK-derived keys shared by every call. */
  dekCache: DekCache;
  logger: Logger;
  limits?: Partial<UnsealLimits>;
  tokenCache?: TokenReviewCacheOptions;
  /**
   * The public key document of the keyring's primary version (what `keys export-public` writes),
   * served at `GET /v1/public-key` for `shroud encrypt --public-key https://...`; absent when the
   * provider has no public sealing key.
   */
  publicKey?: () => string;
  /** Told the result of every answer of `POST /v1/unseal` (the metrics layer counts them). */
  onResult?: (result: UnsealResult) => void;
}

export interface UnsealService {
  /** Mount at `/`: it answers `POST /v1/unseal` and passes everything else on. */
  router: express.Router;
  /** The TokenReview cache (its keys are token hashes). */
  tokenReviews: CachingTokenReviewer;
  /** `/readyz` facts: where TokenReviews go, load and cache counts. */
  readiness: () => ReadinessCheck;
}

/** A refusal, as the audit line and the error body tell it. */
type Outcome = 'ok' | 'invalid' | 'too-large' | 'unauthenticated' | 'forbidden' | 'unavailable' | 'error';
/** How an unseal call ended: what the audit line's `result` says. */
export type UnsealResult = Outcome;

interface AuditFields {
  namespace?: string;
  serviceAccount?: string;
  pod?: string;
  podUid?: string;
  node?: string;
  configMaps?: string[];
  keys?: string[];
  keyVersions?: string[];
  tokenReview?: 'api' | 'cache';
  failed?: { configMap: string; key: string; code: string }[];
}

const BEARER = /^Bearer ([A-Za-z0-9._~+/=-]{1,16384})$/;
const UNAVAILABLE_CODES = new Set<string>([
  'CRYPTO_PROVIDER_UNAVAILABLE',
  'CRYPTO_PROVIDER_TIMEOUT',
  'UNSEAL_UNAVAILABLE',
  'KUBE_UNAVAILABLE',
  'KUBE_REQUEST_REFUSED',
]);

function keyVersionOf(value: string): string | undefined {
  try {
    const { key } = parseEnvelope(value);
    return `${key.provider}:${key.keyId}:${key.version}`;
  } catch {
    return undefined;
  }
}

/** Text from the API server or a library, bounded, with the token cut out should it ever appear. */
function scrub(text: string, token: string): string {
  const cut = token.length >= 8 ? text.split(token).join('[token]') : text;
  return cut.length > 300 ? `${cut.slice(0, 300)}...` : cut;
}

/** Builds the unseal route. No listening here. */
export function createUnsealService(options: UnsealRouterOptions): UnsealService {
  const { logger } = options;
  const limits: UnsealLimits = { ...DEFAULT_UNSEAL_LIMITS, ...options.limits };
  const reviews = new Limiter('TokenReviews', limits.maxTokenReviews, limits.maxQueued);
  const tokenReviews = new CachingTokenReviewer(options.reviewer, {
    ...options.tokenCache,
    limit: (call) => reviews.run(call),
  });
  const opens = new Limiter('opens', limits.maxOpens, limits.maxQueued);
  let lastUnavailable: string | undefined;

  const answer = (
    res: Response,
    started: number,
    outcome: Outcome,
    status: number,
    audit: AuditFields,
    error?: { code: ErrorCode; message: string; reason?: string; items?: AuditFields['failed'] },
  ): void => {
    const line = {
      ...audit,
      result: outcome,
      status,
      ...(error === undefined ? {} : { code: error.code, reason: error.reason ?? error.message }),
      durationMs: Math.round((performance.now() - started) * 1000) / 1000,
    };
    options.onResult?.(outcome);
    if (outcome === 'ok') logger.info(line, 'unseal');
    else if (status >= 500) logger.error(line, 'unseal');
    else logger.warn(line, 'unseal');
    if (error === undefined || res.headersSent) return;
    if (status === 503) res.setHeader('Retry-After', String(limits.retryAfterSeconds));
    res.status(status).json({
      error: { code: error.code, message: error.message },
      ...(error.items === undefined ? {} : { items: error.items }),
    });
  };

  const unavailable = (res: Response, started: number, audit: AuditFields, err: unknown, what: string): void => {
    const code = isShroudError(err) ? err.code : 'SHROUD_INTERNAL';
    const reason = isShroudError(err) ? err.message : String(err);
    lastUnavailable = `${what}: ${code}`;
    answer(res, started, 'unavailable', 503, audit, {
      code: 'UNSEAL_UNAVAILABLE',
      // Busy is the service's own state, said as such; a dependency's failure is named by code only.
      message:
        code === 'UNSEAL_UNAVAILABLE'
          ? reason
          : `${what} is unavailable (${code}); retry after ${limits.retryAfterSeconds} s`,
      reason: `${code}: ${reason}`,
    });
  };

  const unseal = async (req: Request, res: Response): Promise<void> => {
    const started = res.locals.started as number;
    const token = res.locals.token as string;
    const audit: AuditFields = {};
    const parsed = parseUnsealRequest(Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0));
    if (!parsed.ok) {
      answer(res, started, parsed.status === 413 ? 'too-large' : 'invalid', parsed.status, audit, {
        code: parsed.status === 413 ? 'UNSEAL_REQUEST_TOO_LARGE' : 'UNSEAL_REQUEST_INVALID',
        message: parsed.message,
      });
      return;
    }
    const { items } = parsed;
    audit.configMaps = [...new Set(items.map((i) => i.configMap))];
    audit.keys = items.map((i) => `${i.configMap}/${i.key}`);
    audit.keyVersions = [...new Set(items.map((i) => keyVersionOf(i.value) ?? 'unreadable'))];

    // Who is asking: kube-apiserver says, the cache remembers briefly.
    let identity: PodIdentity;
    try {
      const { result, cached } = await tokenReviews.reviewWithSource(token);
      audit.tokenReview = cached ? 'cache' : 'api';
      const check = checkIdentity(result);
      if (result.username !== undefined) {
        const sa = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(result.username);
        if (sa !== null) {
          audit.namespace = sa[1];
          audit.serviceAccount = sa[2];
        }
      }
      if (!check.ok) {
        answer(res, started, 'unauthenticated', 401, audit, {
          code: 'UNSEAL_UNAUTHENTICATED',
          message: check.reason,
          reason:
            result.error === undefined ? check.reason : `${check.reason}; API server: ${scrub(result.error, token)}`,
        });
        return;
      }
      identity = check.identity;
    } catch (err) {
      unavailable(res, started, audit, err, 'the TokenReview API');
      return;
    }
    Object.assign(audit, {
      pod: identity.podName,
      podUid: identity.podUid,
      ...(identity.node === undefined ? {} : { node: identity.node }),
    });

    // Open every item; any failure and nothing is returned (what opened is zeroed).
    const provider = options.provider();
    type Opened = { item: UnsealItem; opened?: OpenedValue; err?: unknown };
    const results: Opened[] = await Promise.all(
      items.map((item) =>
        opens
          .run(async (): Promise<Opened> => {
            try {
              const opened = await openValue(item.value, {
                provider,
                cache: options.dekCache,
                timeoutMs: limits.providerTimeoutMs,
                expected: {
                  namespace: identity.namespace,
                  serviceAccount: identity.serviceAccount,
                  name: item.configMap,
                  key: item.key,
                },
              });
              return { item, opened };
            } catch (err) {
              return { item, err };
            }
          })
          .catch((err: unknown): Opened => ({ item, err })),
      ),
    );
    const failed = results.filter((r) => r.err !== undefined);
    if (failed.length > 0) {
      for (const r of results) r.opened?.plaintext.fill(0);
      const down = failed.find((r) => isShroudError(r.err) && UNAVAILABLE_CODES.has(r.err.code));
      if (down !== undefined) {
        unavailable(res, started, audit, down.err, 'the KEK provider');
        return;
      }
      const bug = failed.find((r) => !isShroudError(r.err));
      if (bug !== undefined) {
        logger.error({ err: bug.err }, 'unseal failed unexpectedly');
        answer(res, started, 'error', 500, audit, {
          code: 'UNSEAL_INTERNAL',
          message: 'the unseal service failed unexpectedly; the log has the details',
        });
        return;
      }
      const itemErrors = failed.map((r) => ({
        configMap: r.item.configMap,
        key: r.item.key,
        code: (r.err as { code: string }).code,
      }));
      audit.failed = itemErrors;
      const first = failed[0]!;
      const who = `system:serviceaccount:${identity.namespace}:${identity.serviceAccount}`;
      answer(res, started, 'forbidden', 403, audit, {
        code: 'UNSEAL_FORBIDDEN',
        message:
          `${failed.length} of ${items.length} value(s) do not open for ${who}; ConfigMap ${first.item.configMap} key ${first.item.key}: ` +
          `${(first.err as Error).message}. Seal each value for this namespace, service account, ConfigMap and key ` +
          '(shroud encrypt --namespace --service-account --name), or use the keyring it was sealed with',
        items: itemErrors,
      });
      return;
    }
    audit.keyVersions = [
      ...new Set(results.map((r) => `${r.opened!.key.provider}:${r.opened!.key.keyId}:${r.opened!.key.version}`)),
    ];
    const body = {
      items: results.map((r) => {
        const value = r.opened!.plaintext.toString('base64');
        r.opened!.plaintext.fill(0);
        return { configMap: r.item.configMap, key: r.item.key, value };
      }),
    };
    answer(res, started, 'ok', 200, audit);
    res.setHeader('Cache-Control', 'no-store');
    res.status(200).json(body);
  };

  const router = express.Router();
  const { publicKey } = options;
  if (publicKey !== undefined) {
    // Public: anyone may seal. Trust comes from the TLS the client verifies (and its pin).
    router.get('/v1/public-key', (_req, res) => {
      res.setHeader('Cache-Control', 'no-store');
      res.type('application/json').send(publicKey());
    });
  }
  const begin = (req: Request, res: Response, next: NextFunction): void => {
    res.locals.started = performance.now();
    const match = BEARER.exec(req.headers.authorization ?? '');
    if (match === null) {
      res.setHeader('Connection', 'close');
      answer(
        res,
        res.locals.started as number,
        'unauthenticated',
        401,
        {},
        {
          code: 'UNSEAL_UNAUTHENTICATED',
          message:
            'no bearer token: send the projected service-account token (audience shroud) as Authorization: Bearer',
        },
      );
      return;
    }
    res.locals.token = match[1];
    if (req.is('application/json') === false || (req.headers['content-type'] ?? '') === '') {
      res.setHeader('Connection', 'close');
      answer(
        res,
        res.locals.started as number,
        'invalid',
        400,
        {},
        {
          code: 'UNSEAL_REQUEST_INVALID',
          message: 'Content-Type must be application/json',
        },
      );
      return;
    }
    next();
  };
  const readBody = express.raw({ type: () => true, limit: UNSEAL_BODY_LIMIT, inflate: false });
  router.post('/v1/unseal', begin, readBody, (req, res, next) => {
    unseal(req, res).catch(next);
  });
  router.use('/v1/unseal', (err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const started = (res.locals.started as number | undefined) ?? performance.now();
    const type = (err as { type?: unknown } | null)?.type;
    if (type === 'entity.too.large') {
      res.setHeader('Connection', 'close');
      answer(
        res,
        started,
        'too-large',
        413,
        {},
        {
          code: 'UNSEAL_REQUEST_TOO_LARGE',
          message: `the body is larger than ${UNSEAL_BODY_LIMIT} bytes; split the items over several calls`,
        },
      );
    } else if (typeof type === 'string') {
      answer(
        res,
        started,
        'invalid',
        400,
        {},
        {
          code: 'UNSEAL_REQUEST_INVALID',
          message: 'the body could not be read (compressed, wrong charset or cut short): send uncompressed UTF-8 JSON',
        },
      );
    } else {
      logger.error({ err }, 'unseal failed unexpectedly');
      answer(
        res,
        started,
        'error',
        500,
        {},
        {
          code: 'UNSEAL_INTERNAL',
          message: 'the unseal service failed unexpectedly; the log has the details',
        },
      );
    }
  });

  return {
    router,
    tokenReviews,
    readiness: () => ({
      ok: true,
      tokenReviewServer: options.reviewer.server,
      tokenReviews: { ...tokenReviews.stats, cached: tokenReviews.keys().length, ...reviews.load() },
      opens: opens.load(),
      ...(lastUnavailable === undefined ? {} : { lastUnavailable }),
    }),
  };
}
