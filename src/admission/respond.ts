import type { AdmissionApiVersion, JsonPatchOp, MutationResult, ReviewVerdict } from './types.js';

/** `status` of an AdmissionResponse (a metav1.Status subset). */
export interface ResponseStatus {
  code: number;
  reason?: string;
  message: string;
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: ResponseStatus;
  patch?: string;
  patchType?: 'JSONPatch';
  warnings?: string[];
  auditAnnotations?: Record<string, string>;
}

export interface AdmissionReviewResponse {
  apiVersion: AdmissionApiVersion;
  kind: 'AdmissionReview';
  response: AdmissionResponse;
}

/** Wraps a response in an AdmissionReview of the version the request used. */
export function reviewResponse(apiVersion: AdmissionApiVersion, response: AdmissionResponse): AdmissionReviewResponse {
  return { apiVersion, kind: 'AdmissionReview', response };
}

/** An allowed response with no changes. */
export function allowedResponse(uid: string): AdmissionResponse {
  return { uid, allowed: true };
}

/**
 * Turns a Reviewer's verdict into a response. Denials carry `status.code` 403 and reason
 * `Forbidden`, which kubectl prints as "admission webhook ... denied the request: <message>".
 */
export function verdictResponse(uid: string, verdict: ReviewVerdict): AdmissionResponse {
  const response: AdmissionResponse = { uid, allowed: verdict.allowed };
  if (!verdict.allowed) {
    response.status = { code: 403, reason: 'Forbidden', message: verdict.message ?? 'denied by Shroud policy' };
  }
  if (verdict.warnings !== undefined && verdict.warnings.length > 0) response.warnings = verdict.warnings;
  if (verdict.auditAnnotations !== undefined && Object.keys(verdict.auditAnnotations).length > 0) {
    response.auditAnnotations = verdict.auditAnnotations;
  }
  return response;
}

/** A verdict plus, when allowed and non-empty, the base64 JSON Patch kube-apiserver expects. */
export function mutationResponse(uid: string, result: MutationResult): AdmissionResponse {
  const response = verdictResponse(uid, result);
  if (result.allowed && result.patch !== undefined && result.patch.length > 0) {
    response.patchType = 'JSONPatch';
    response.patch = encodePatch(result.patch);
  }
  return response;
}

/** JSON Patch as base64, the form AdmissionResponse.patch takes. */
export function encodePatch(patch: readonly JsonPatchOp[]): string {
  return Buffer.from(JSON.stringify(patch), 'utf8').toString('base64');
}

/** An error answered inside an AdmissionReview so kube-apiserver can show the message. */
export function errorResponse(uid: string, code: number, message: string): AdmissionResponse {
  return { uid, allowed: false, status: { code, message } };
}
