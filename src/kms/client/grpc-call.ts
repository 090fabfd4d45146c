/**
 * One unary KMS v2 call over a grpc-js channel: a deadline, the caller's AbortSignal cancelling
 * the call, and the gRPC status turned into a typed ShroudError. The message names the method
 * and the gRPC status code, never the status details a plugin sent (a plugin could echo what it
 * was given) nor anything from the request.
 */
import { type Client, Metadata, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { ShroudError } from '../../errors.js';
import { kmsServiceDefinition } from '../proto.js';

/** The three KMS v2 methods. */
export type KmsMethod = 'Status' | 'Encrypt' | 'Decrypt';

/** Where a call goes and how long it may take. */
export interface KmsCallTarget {
  client: Client;
  /** Provider id, for messages and details. */
  provider: string;
  /** Socket path, for messages. */
  socket: string;
  timeoutMs: number;
}

function codeName(code: number): string {
  return (GrpcStatus as unknown as Record<number, string>)[code] ?? `code ${code}`;
}

/**
 * The typed error for a failed call: DEADLINE_EXCEEDED is a timeout; INVALID_ARGUMENT on
 * Decrypt means the plugin refused the ciphertext (altered, or not its own) and is an integrity
 * failure; NOT_FOUND is a key the plugin does not have; everything else (UNAVAILABLE, a dead
 * socket, INTERNAL for a response that does not parse, UNIMPLEMENTED...) is "unavailable".
 */
export function errorForStatus(method: KmsMethod, target: KmsCallTarget, err: ServiceError): ShroudError {
  const details = { provider: target.provider, method, grpcCode: codeName(err.code) };
  const where = `KMS v2 plugin at ${target.socket}: ${method} failed with gRPC ${codeName(err.code)}`;
  switch (err.code) {
    case GrpcStatus.DEADLINE_EXCEEDED:
      return new ShroudError(
        'CRYPTO_PROVIDER_TIMEOUT',
        `${where} (no answer within ${target.timeoutMs} ms); check the plugin's health and its KMS`,
        { details },
      );
    case GrpcStatus.INVALID_ARGUMENT:
      if (method === 'Decrypt') {
        return new ShroudError(
          'CRYPTO_INTEGRITY',
          `${where}: the plugin refused the wrapped DEK (altered, or wrapped by another KMS key)`,
          { details },
        );
      }
      break;
    case GrpcStatus.NOT_FOUND:
      return new ShroudError(
        'CRYPTO_UNKNOWN_KEY',
        `${where}: the plugin does not know the key; was the value sealed through another KMS or a deleted key?`,
        { details },
      );
  }
  return new ShroudError(
    'CRYPTO_PROVIDER_UNAVAILABLE',
    `${where}; check that the plugin runs and listens on that socket (the call can be retried)`,
    { details },
  );
}

/**
 * Calls `method` with `request` and resolves with the decoded response (unchecked: the caller
 * validates it). Rejects with a typed error; an aborted signal cancels the call.
 */
export function unaryCall<Res>(
  target: KmsCallTarget,
  method: KmsMethod,
  request: object,
  signal?: AbortSignal,
): Promise<Res> {
  const definition = kmsServiceDefinition()[method]!;
  return new Promise<Res>((resolve, reject) => {
    if (signal?.aborted) {
      reject(aborted(method, target, signal.reason));
      return;
    }
    let settled = false;
    const onAbort = () => {
      if (settled) return;
      settled = true;
      call.cancel();
      reject(aborted(method, target, signal?.reason));
    };
    const call = target.client.makeUnaryRequest<object, Res>(
      definition.path,
      definition.requestSerialize as (value: object) => Buffer,
      definition.responseDeserialize as (bytes: Buffer) => Res,
      request,
      new Metadata(),
      { deadline: Date.now() + target.timeoutMs },
      (err, response) => {
        signal?.removeEventListener('abort', onAbort);
        if (settled) return;
        settled = true;
        if (err) reject(errorForStatus(method, target, err));
        else if (response === undefined || response === null) {
          reject(
            new ShroudError(
              'CRYPTO_PROVIDER_UNAVAILABLE',
              `KMS v2 plugin at ${target.socket}: ${method} gave no answer`,
              {
                details: { provider: target.provider, method },
              },
            ),
          );
        } else resolve(response);
      },
    );
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function aborted(method: KmsMethod, target: KmsCallTarget, reason: unknown): ShroudError {
  const details = { provider: target.provider, method };
  if (reason instanceof Error && reason.name === 'TimeoutError') {
    return new ShroudError(
      'CRYPTO_PROVIDER_TIMEOUT',
      `KMS v2 plugin at ${target.socket}: ${method} did not answer in time`,
      { details },
    );
  }
  return new ShroudError('CRYPTO_PROVIDER_UNAVAILABLE', `KMS v2 plugin at ${target.socket}: ${method} was cancelled`, {
    details,
  });
}
