import { ShroudError } from '../errors.js';
import { isRecord } from '../util/is-record.js';
import type { AdmissionApiVersion, AdmissionRequest, DecodedReview, Operation } from './types.js';

const API_VERSIONS: readonly AdmissionApiVersion[] = ['admission.k8s.io/v1', 'admission.k8s.io/v1beta1'];
const OPERATIONS: readonly Operation[] = ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'];

/**
 * Parses a request body as JSON without echoing any of it: V8's own message quotes the input,
 * which may hold a secret, so only the position survives.
 * @throws ShroudError ADMISSION_BODY_INVALID_JSON
 */
export function parseJsonBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const position = /position (\d+)/.exec(String((err as Error).message))?.[1];
    const where =
      text.trim() === '' ? 'the body is empty' : position ? `syntax error at byte ${position}` : 'syntax error';
    throw new ShroudError('ADMISSION_BODY_INVALID_JSON', `request body is not valid JSON: ${where}`);
  }
}

/** What decodeReview could learn before it failed, so a 400 can still echo the uid. */
export interface PartialReview {
  apiVersion?: AdmissionApiVersion;
  uid?: string;
}

/** A decode failure, carrying whatever identified the review. */
export class ReviewDecodeError extends ShroudError {
  readonly partial: PartialReview;
  constructor(message: string, partial: PartialReview) {
    super('ADMISSION_REVIEW_INVALID', message);
    this.partial = partial;
  }
}

/**
 * Checks that a parsed body is an AdmissionReview request the webhook can answer and returns it
 * typed. Checks only what Shroud relies on; unknown fields pass through untouched.
 * @throws ReviewDecodeError (code ADMISSION_REVIEW_INVALID) naming the offending field.
 */
export function decodeReview(body: unknown): DecodedReview {
  const partial: PartialReview = {};
  const fail = (message: string): never => {
    throw new ReviewDecodeError(message, partial);
  };
  if (!isRecord(body))
    fail(`expected an AdmissionReview object, got ${Array.isArray(body) ? 'an array' : describe(body)}`);
  const review = body as Record<string, unknown>;
  if (review.kind !== 'AdmissionReview') fail(`kind must be "AdmissionReview", got ${describe(review.kind, true)}`);
  if (!API_VERSIONS.includes(review.apiVersion as AdmissionApiVersion)) {
    fail(`apiVersion must be one of ${API_VERSIONS.join(', ')}, got ${describe(review.apiVersion, true)}`);
  }
  partial.apiVersion = review.apiVersion as AdmissionApiVersion;
  const request = review.request;
  if (!isRecord(request)) fail(`request must be an object, got ${describe(request)}`);
  const req = request as Record<string, unknown>;
  if (typeof req.uid !== 'string' || req.uid === '')
    fail(`request.uid must be a non-empty string, got ${describe(req.uid)}`);
  partial.uid = req.uid as string;

  if (!isRecord(req.kind) || typeof req.kind.kind !== 'string')
    fail('request.kind must be an object with a string kind');
  if (!isRecord(req.resource) || typeof req.resource.resource !== 'string') {
    fail('request.resource must be an object with a string resource');
  }
  if (!OPERATIONS.includes(req.operation as Operation)) {
    fail(`request.operation must be one of ${OPERATIONS.join(', ')}, got ${describe(req.operation, true)}`);
  }
  for (const field of ['object', 'oldObject', 'options'] as const) {
    const v = req[field];
    if (v !== undefined && v !== null && !isRecord(v))
      fail(`request.${field} must be an object or null, got ${describe(v)}`);
  }
  // Optional fields sent as null (some clients do, for cluster-scoped objects) read as absent,
  // the way Go-based webhooks decode them.
  for (const field of ['name', 'namespace', 'subResource', 'dryRun', 'userInfo'] as const) {
    if (req[field] === null) delete req[field];
  }
  for (const field of ['name', 'namespace', 'subResource'] as const) {
    if (req[field] !== undefined && typeof req[field] !== 'string') fail(`request.${field} must be a string`);
  }
  if (req.dryRun !== undefined && typeof req.dryRun !== 'boolean') fail('request.dryRun must be a boolean');
  req.userInfo = decodeUserInfo(req.userInfo, fail);
  return { apiVersion: partial.apiVersion as AdmissionApiVersion, request: req as unknown as AdmissionRequest };
}

/**
 * Checks `request.userInfo` (policies match on it): username and uid strings, groups a list of
 * strings, extra a map of string lists; null reads as absent.
 */
function decodeUserInfo(value: unknown, fail: (message: string) => never): Record<string, unknown> {
  if (value === undefined) return {};
  if (!isRecord(value)) return fail('request.userInfo must be an object');
  for (const field of ['username', 'uid', 'groups', 'extra'] as const) {
    if (value[field] === null) delete value[field];
  }
  for (const field of ['username', 'uid'] as const) {
    if (value[field] !== undefined && typeof value[field] !== 'string')
      fail(`request.userInfo.${field} must be a string`);
  }
  if (value.groups !== undefined && !isStringList(value.groups))
    fail('request.userInfo.groups must be a list of strings');
  if (value.extra !== undefined) {
    if (!isRecord(value.extra) || !Object.values(value.extra).every(isStringList)) {
      fail('request.userInfo.extra must map names to lists of strings');
    }
  }
  return value;
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

/**
 * Names a value's type for an error message. Only identifier fields (kind, apiVersion,
 * operation) are ever quoted, and only when short and identifier-shaped: a value from the
 * object itself could be a secret and is never echoed.
 */
function describe(v: unknown, quote = false): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return quote && /^[A-Za-z0-9./]{1,48}$/.test(v) ? `"${v}"` : 'a string';
  return `a ${typeof v}`;
}
