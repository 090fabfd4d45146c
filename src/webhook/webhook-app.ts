import { randomUUID } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { Mutator, Reviewer } from '../admission/index.js';
import type { ReadinessReport } from '../health/index.js';
import type { Logger } from '../log/logger.js';
import { type AdmissionHandler, type AdmissionObserver, admissionRoute } from './admission-route.js';
import { sendError } from './http-errors.js';

/**
 * Largest body accepted: 3 MiB. etcd refuses objects over 1.5 MiB by default, and an
 * AdmissionReview of an UPDATE carries object and oldObject, so a real review stays under 3 MiB.
 */
export const DEFAULT_BODY_LIMIT = 3 * 1024 * 1024;

export interface WebhookAppOptions {
  reviewer: Reviewer;
  mutator: Mutator;
  logger: Logger;
  /** Reports whether the server can serve; `/readyz` answers 200 or 503 with it. */
  readiness: () => ReadinessReport;
  /** Body limit in bytes. Default 3 MiB. */
  bodyLimit?: number;
  /**
   * Answer `/validate` and `/mutate` only for callers whose TLS client certificate verified
   * against the listener's client CA. Default false. Health endpoints stay open for probes.
   */
  requireClientCert?: boolean;
  /**
   * More routes, tried before the 404 (`--role all` mounts the unseal route here). They are not
   * behind the client-certificate check: their callers are pods, not kube-apiserver.
   */
  routes?: RequestHandler;
  /** Told how each review on /validate and /mutate ended (the metrics layer counts them). */
  observeAdmission?: AdmissionObserver;
}

/** Builds the webhook's express app: /validate, /mutate, /healthz, /readyz. No listening here. */
export function createWebhookApp(options: WebhookAppOptions): express.Express {
  const { logger } = options;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');

  // kube-apiserver never compresses webhook requests; refusing every Content-Encoding (415)
  // also means no decompression bomb and no zlib error turning into a 500.
  const readBody = express.raw({ type: () => true, limit: options.bodyLimit ?? DEFAULT_BODY_LIMIT, inflate: false });
  const requireJson = (req: Request, res: Response, next: NextFunction): void => {
    if (req.is('application/json') === false || (req.headers['content-type'] ?? '') === '') {
      sendError(res, 415, 'ADMISSION_CONTENT_TYPE', 'Content-Type must be application/json');
      return;
    }
    next();
  };

  const requireClientCert = (req: Request, res: Response, next: NextFunction): void => {
    const socket = req.socket as Partial<TLSSocket>;
    if (options.requireClientCert === true && socket.authorized !== true) {
      logger.warn({ route: req.path, reason: socket.authorizationError ?? 'no client certificate' }, 'client refused');
      sendError(
        res,
        401,
        'ADMISSION_CLIENT_UNAUTHORIZED',
        'a client certificate signed by the configured client CA is required',
      );
      return;
    }
    next();
  };

  const validate: AdmissionHandler = (request, reviewOptions) => options.reviewer.review(request, reviewOptions);
  const mutate: AdmissionHandler = (request, reviewOptions) => options.mutator.mutate(request, reviewOptions);
  app.post(
    '/validate',
    requireClientCert,
    requireJson,
    readBody,
    admissionRoute('validate', validate, logger, options.observeAdmission),
  );
  app.post(
    '/mutate',
    requireClientCert,
    requireJson,
    readBody,
    admissionRoute('mutate', mutate, logger, options.observeAdmission),
  );

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', (_req, res) => {
    const report = options.readiness();
    res.status(report.ready ? 200 : 503).json(report);
  });

  if (options.routes !== undefined) app.use(options.routes);

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
    } else if (type === 'encoding.unsupported') {
      sendError(res, 415, 'ADMISSION_CONTENT_TYPE', 'Content-Encoding is not supported; send the body uncompressed');
    } else if (type === 'charset.unsupported') {
      sendError(res, 415, 'ADMISSION_CONTENT_TYPE', 'unsupported charset; send UTF-8 JSON');
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
