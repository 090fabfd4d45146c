import { randomUUID } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import {
  allowedResponse,
  decodeReview,
  errorResponse,
  mutationResponse,
  parseGoDuration,
  parseJsonBody,
  ReviewDecodeError,
  reviewResponse,
  verdictResponse,
  type AdmissionRequest,
  type AdmissionResponse,
  type DecodedReview,
  type MutationResult,
  type Mutator,
  type Reviewer,
  type ReviewVerdict,
} from '../admission/index.js';
import { isShroudError, type ErrorCode } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { ReadinessReport } from './readiness.js';

/**
 * Largest body accepted: 3 MiB. etcd refuses objects over 1.5 MiB by default, and an
 * AdmissionReview of an UPDATE carries object and oldObject, so a real review stays under 3 MiB.
 */
export const DEFAULT_BODY_LIMIT = 3 * 1024 * 1024;

/** kube-apiserver's default webhook timeout (timeoutSeconds) when it sends none. */
const DEFAULT_TIMEOUT_MS = 10_000;

export interface WebhookAppOptions {
  reviewer: Reviewer;
  mutator: Mutator;
  logger: Logger;
  /** Reports whether the server can serve; `/readyz` answers 200 or 503 with it. */
  readiness: () => ReadinessReport;
  /** Body limit in bytes. Default 3 MiB. */
  bodyLimit?: number;
}

type Handler = (request: AdmissionRequest) => Promise<MutationResult> | MutationResult;

/** Builds the webhook's express app: /validate, /mutate, /healthz, /readyz. No listening here. */
export function createWebhookApp(options: WebhookAppOptions): express.Express {
  const { logger } = options;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');

  const readBody = express.raw({ type: () => true, limit: options.bodyLimit ?? DEFAULT_BODY_LIMIT });
  const requireJson = (req: Request, res: Response, next: NextFunction): void => {
    if (req.is('application/json') === false || (req.headers['content-type'] ?? '') === '') {
      sendError(res, 415, 'ADMISSION_CONTENT_TYPE', 'Content-Type must be application/json');
      return;
    }
    next();
  };

  const validate: Handler = (request) => options.reviewer.review(request);
  const mutate: Handler = (request) => options.mutator.mutate(request);
  app.post('/validate', requireJson, readBody, admissionRoute('validate', validate, logger));
  app.post('/mutate', requireJson, readBody, admissionRoute('mutate', mutate, logger));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', (_req, res) => {
    const report = options.readiness();
    res.status(report.ready ? 200 : 503).json(report);
  });

  app.use((_req: Request, res: Response) => {
    sendError(
      res,
      404,
      'ADMISSION_REVIEW_INVALID',
      'no such endpoint: use POST /validate, POST /mutate, GET /healthz or GET /readyz',
    );
  });
  // Errors thrown before a route answers: body-parser's limit and stream errors, and bugs.
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const type = (err as { type?: unknown } | null)?.type;
    if (type === 'entity.too.large') {
      res.setHeader('Connection', 'close');
      sendError(
        res,
        413,
        'ADMISSION_BODY_TOO_LARGE',
        `request body is larger than ${options.bodyLimit ?? DEFAULT_BODY_LIMIT} bytes`,
      );
    } else if (type === 'encoding.unsupported' || type === 'charset.unsupported') {
      sendError(res, 415, 'ADMISSION_CONTENT_TYPE', 'unsupported content encoding or charset');
    } else if (type === 'request.aborted' || type === 'request.size.invalid' || type === 'entity.verify.failed') {
      sendError(res, 400, 'ADMISSION_BODY_INVALID_JSON', 'request body could not be read completely');
    } else {
      const reqId = randomUUID();
      logger.error({ reqId, err, route: req.path }, 'request failed');
      sendError(res, 500, 'ADMISSION_INTERNAL', `internal error (request id ${reqId})`);
    }
  });
  return app;
}

function sendError(res: Response, status: number, code: ErrorCode, message: string, extra?: object): void {
  if (res.headersSent) return;
  res.status(status).json({ ...extra, error: { code, message } });
}

/** The route for one admission endpoint: decode, decide, answer, log one decision line. */
function admissionRoute(endpoint: 'validate' | 'mutate', handle: Handler, logger: Logger) {
  return async (req: Request, res: Response): Promise<void> => {
    const started = process.hrtime.bigint();
    const reqId = randomUUID();
    res.setHeader('X-Request-Id', reqId);

    let decoded: DecodedReview;
    try {
      const body = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
      decoded = decodeReview(parseJsonBody(body));
    } catch (err) {
      const code: ErrorCode = isShroudError(err) ? err.code : 'ADMISSION_REVIEW_INVALID';
      const message = isShroudError(err) ? err.message : 'request body could not be decoded';
      const partial = err instanceof ReviewDecodeError ? err.partial : {};
      const echo =
        partial.uid !== undefined && partial.apiVersion !== undefined
          ? reviewResponse(partial.apiVersion, errorResponse(partial.uid, 400, message))
          : undefined;
      logger.warn({ reqId, endpoint, code, uid: partial.uid }, 'bad request');
      sendError(res, 400, code, message, echo);
      return;
    }

    const { apiVersion, request } = decoded;
    const context = {
      reqId,
      endpoint,
      uid: request.uid,
      operation: request.operation,
      kind: request.kind.kind,
      namespace: request.namespace,
      name: request.name,
      user: request.userInfo.username,
      dryRun: request.dryRun === true,
    };
    let response: AdmissionResponse;
    let verdict: ReviewVerdict | undefined;
    let status = 200;
    try {
      if (request.operation === 'DELETE' || request.operation === 'CONNECT') {
        response = allowedResponse(request.uid);
      } else {
        const outcome = await withDeadline(handle(request), () => decisionDeadline(req.query.timeout));
        if (outcome === TIMED_OUT) {
          logger.warn({ ...context, timeout: req.query.timeout }, 'review timed out');
          response = errorResponse(
            request.uid,
            504,
            `Shroud could not finish reviewing this request in time (request id ${reqId}); nothing was changed. Retry; if it persists, an operator can find the request id in the webhook log.`,
          );
        } else {
          verdict = outcome;
          response =
            endpoint === 'mutate' ? mutationResponse(request.uid, outcome) : verdictResponse(request.uid, outcome);
        }
      }
    } catch (err) {
      logger.error({ ...context, err }, 'review failed');
      status = 500;
      response = errorResponse(
        request.uid,
        500,
        `Shroud failed while reviewing this request (request id ${reqId}); the failure is logged.`,
      );
    }

    if (status === 500) {
      res.status(500).json({
        ...reviewResponse(apiVersion, response),
        error: { code: 'ADMISSION_INTERNAL', message: response.status?.message },
      });
    } else {
      res.status(200).json(reviewResponse(apiVersion, response));
    }

    for (const notice of verdict?.notices ?? []) logger.info({ ...context, ...notice.fields }, notice.message);
    logger.info(
      {
        ...context,
        allowed: response.allowed,
        ...(response.status ? { statusCode: response.status.code } : {}),
        policies: verdict?.policiesHit ?? [],
        warnings: response.warnings?.length ?? 0,
        patched: response.patch !== undefined,
        durationMs: Number(process.hrtime.bigint() - started) / 1e6,
      },
      'decision',
    );
  };
}

/**
 * How long a review may take: the apiserver's `timeout` less a margin for the answer's trip
 * back (20% of it, at most 500 ms), so we answer before it gives up on us.
 */
function decisionDeadline(timeoutParam: unknown): number {
  const timeout = parseGoDuration(timeoutParam) ?? DEFAULT_TIMEOUT_MS;
  return Math.max(1, timeout - Math.min(500, timeout * 0.2));
}

const TIMED_OUT = Symbol('timed out');

/**
 * Awaits a value only when it is a promise: the engine is synchronous, so its reviews pay for
 * neither a timer nor parsing the timeout.
 */
async function withDeadline<T>(value: T | Promise<T>, deadlineMs: () => number): Promise<T | typeof TIMED_OUT> {
  if (!(value instanceof Promise)) return value;
  const ms = deadlineMs();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
  });
  try {
    return await Promise.race([value, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
