import type { Response } from 'express';
import type { ErrorCode } from '../errors.js';

/**
 * Answers with `{ error: { code, message } }` (plus `extra`, such as an AdmissionReview echo),
 * unless an answer has already started.
 */
export function sendError(res: Response, status: number, code: ErrorCode, message: string, extra?: object): void {
  if (res.headersSent) return;
  res.status(status).json({ ...extra, error: { code, message } });
}
