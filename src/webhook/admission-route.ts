import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import {
  type AdmissionApiVersion,
  type AdmissionRequest,
  type AdmissionResponse,
  type DecodedReview,
  decodeReview,
  errorResponse,
  type MutationResult,
  type ReviewOptions,
  mutationResponse,
  parseJsonBody,
  ReviewDecodeError,
  reviewResponse,
  verdictResponse,
} from '../admission/index.js';
import { isShroudError, ShroudError } from '../errors.js';
import { boundText } from '../log/bound.js';
import type { Logger } from '../log/logger.js';
import { decisionDeadline, TIMED_OUT, withDeadline } from './deadline.js';
import { sendError } from './http-errors.js';

export type AdmissionEndpoint = 'validate' | 'mutate';

/** Decides one request: the Reviewer for /validate, the Mutator for /mutate. */
export type AdmissionHandler = (
  request: AdmissionRequest,
  options: ReviewOptions,
) => MutationResult | Promise<MutationResult>;

/**
 * What the route tells an observer about each review (the metrics layer counts it): names of
 * things only, never the namespace, object name, user or any value.
 */
export interface AdmissionObservation {
  webhook: AdmissionEndpoint;
  operation?: string;
  kind?: string;
  allowed?: boolean;
  outcome: 'decided' | 'timed-out' | 'failed' | 'bad-request';
  seconds: number;
}

export type AdmissionObserver = (observation: AdmissionObservation) => void;

/** How a decodable review ended, before it is answered and logged. */
type Outcome =
  | { kind: 'decided'; response: AdmissionResponse; result: MutationResult }
  | { kind: 'timed-out'; response: AdmissionResponse; result?: MutationResult }
  | { kind: 'failed'; response: AdmissionResponse; err: unknown };

/**
 * The route for one admission endpoint: decode, decide, respond, log one decision line. What
 * is allowed (DELETE, subresources, exclusions) is the handler's decision, not the route's.
 */
export function admissionRoute(
  endpoint: AdmissionEndpoint,
  handle: AdmissionHandler,
  logger: Logger,
  observe?: AdmissionObserver,
) {
  return async (req: Request, res: Response): Promise<void> => {
    const started = process.hrtime.bigint();
    // The deadline is measured from arrival, on the clock the reviewer reads (performance.now).
    const arrived = performance.now();
    const reqId = randomUUID();
    res.setHeader('X-Request-Id', reqId);

    const decoded = decode(req.body);
    if (decoded instanceof Error) {
      const partial = decoded instanceof ReviewDecodeError ? decoded.partial : {};
      logger.warn({ reqId, endpoint, code: decoded.code, uid: boundText(partial.uid) }, 'bad request');
      sendError(res, 400, decoded.code, decoded.message, echo400(partial.apiVersion, partial.uid, decoded.message));
      observe?.({ webhook: endpoint, outcome: 'bad-request', seconds: secondsSince(started) });
      return;
    }
    const { apiVersion, request } = decoded;
    const deadline = arrived + decisionDeadline(req.query.timeout);
    const outcome = await decide(endpoint, handle, request, deadline, reqId);
    respond(res, apiVersion, outcome);
    observe?.({
      webhook: endpoint,
      operation: request.operation,
      kind: request.kind.kind,
      allowed: outcome.response.allowed,
      outcome: outcome.kind,
      seconds: secondsSince(started),
    });
    logOutcome(logger, { reqId, endpoint, request, timeout: req.query.timeout, started }, outcome);
  };
}

function secondsSince(started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/** A decode failure keeps its code and message; anything else is an invalid review. */
function decode(body: unknown): DecodedReview | ShroudError {
  try {
    return decodeReview(parseJsonBody(Buffer.isBuffer(body) ? body.toString('utf8') : ''));
  } catch (err) {
    if (isShroudError(err)) return err;
    return new ShroudError('ADMISSION_REVIEW_INVALID', 'request body could not be decoded', { cause: err });
  }
}

/** When the uid could be read, a 400 also carries an AdmissionReview echo for kube-apiserver. */
function echo400(apiVersion: AdmissionApiVersion | undefined, uid: string | undefined, message: string) {
  return uid !== undefined && apiVersion !== undefined
    ? reviewResponse(apiVersion, errorResponse(uid, 400, message))
    : undefined;
}

async function decide(
  endpoint: AdmissionEndpoint,
  handle: AdmissionHandler,
  request: AdmissionRequest,
  deadline: number,
  reqId: string,
): Promise<Outcome> {
  try {
    // Synchronous work (the policy engine) checks the deadline itself and answers `timedOut`;
    // asynchronous work is raced against a timer for what is left of it.
    const result = await withDeadline(handle(request, { deadline }), () => deadline - performance.now());
    if (result === TIMED_OUT || result.timedOut === true) {
      return {
        kind: 'timed-out',
        response: errorResponse(
          request.uid,
          504,
          `Shroud could not finish reviewing this request in time (request id ${reqId}); nothing was changed. Retry; if it persists, an operator can find the request id in the webhook log.`,
        ),
        ...(result === TIMED_OUT ? {} : { result }),
      };
    }
    const response =
      endpoint === 'mutate' ? mutationResponse(request.uid, result) : verdictResponse(request.uid, result);
    return { kind: 'decided', response, result };
  } catch (err) {
    const message = `Shroud failed while reviewing this request (request id ${reqId}); the failure is logged.`;
    return { kind: 'failed', response: errorResponse(request.uid, 500, message), err };
  }
}

function respond(res: Response, apiVersion: AdmissionApiVersion, outcome: Outcome): void {
  const review = reviewResponse(apiVersion, outcome.response);
  if (outcome.kind === 'failed') {
    res
      .status(500)
      .json({ ...review, error: { code: 'ADMISSION_INTERNAL', message: outcome.response.status?.message } });
  } else {
    res.status(200).json(review);
  }
}

interface RouteContext {
  reqId: string;
  endpoint: AdmissionEndpoint;
  request: AdmissionRequest;
  timeout: unknown;
  started: bigint;
}

/** One `decision` line per review, after any notices the handler returned as data. */
function logOutcome(logger: Logger, ctx: RouteContext, outcome: Outcome): void {
  const { request } = ctx;
  // Every field that comes from the request is bounded: a log line never grows with the body.
  const fields = {
    reqId: ctx.reqId,
    endpoint: ctx.endpoint,
    uid: boundText(request.uid),
    operation: request.operation,
    kind: boundText(request.kind.kind),
    namespace: boundText(request.namespace),
    name: boundText(request.name),
    user: boundText(request.userInfo.username),
    dryRun: request.dryRun === true,
  };
  if (outcome.kind === 'timed-out') {
    logger.warn({ ...fields, timeout: boundText(String(ctx.timeout)) }, 'review timed out');
  }
  if (outcome.kind === 'failed') logger.error({ ...fields, err: outcome.err }, 'review failed');
  const result = outcome.kind === 'failed' ? undefined : outcome.result;
  for (const notice of result?.notices ?? []) {
    const noticeFields: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(notice.fields ?? {}))
      noticeFields[k] = typeof v === 'string' ? boundText(v) : v;
    if (notice.level === 'debug') logger.debug({ ...fields, ...noticeFields }, notice.message);
    else logger.info({ ...fields, ...noticeFields }, notice.message);
  }
  const { response } = outcome;
  logger.info(
    {
      ...fields,
      allowed: response.allowed,
      ...(response.status ? { statusCode: response.status.code } : {}),
      policies: result?.policiesHit ?? [],
      exceptions: [...new Set((result?.exceptions ?? []).map((e) => boundText(e.name)))],
      warnings: response.warnings?.length ?? 0,
      patched: response.patch !== undefined,
      durationMs: Number(process.hrtime.bigint() - ctx.started) / 1e6,
    },
    'decision',
  );
}
