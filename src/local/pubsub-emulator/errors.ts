import { status } from '@grpc/grpc-js';
import { CascadeError, type ErrorCode } from '../../errors.ts';

/** The gRPC status codes the real Pub/Sub service answers bad requests with. */
export const GrpcCode = {
  INVALID_ARGUMENT: status.INVALID_ARGUMENT,
  NOT_FOUND: status.NOT_FOUND,
  ALREADY_EXISTS: status.ALREADY_EXISTS,
  FAILED_PRECONDITION: status.FAILED_PRECONDITION,
  INTERNAL: status.INTERNAL,
} as const;

export type GrpcCode = (typeof GrpcCode)[keyof typeof GrpcCode];

// Cascade's error list has no ALREADY_EXISTS; a create that loses to an
// existing resource is a failed precondition in Cascade's vocabulary, and the
// exact gRPC code rides along in `details.grpcCode`.
const CASCADE_CODE: Record<GrpcCode, ErrorCode> = {
  [GrpcCode.INVALID_ARGUMENT]: 'INVALID_ARGUMENT',
  [GrpcCode.NOT_FOUND]: 'NOT_FOUND',
  [GrpcCode.ALREADY_EXISTS]: 'PRECONDITION_FAILED',
  [GrpcCode.FAILED_PRECONDITION]: 'PRECONDITION_FAILED',
  [GrpcCode.INTERNAL]: 'INTERNAL',
};

/**
 * A request the emulator refuses, carrying the gRPC status code the real
 * service would return.
 *
 * @example
 * throw emulatorError(GrpcCode.NOT_FOUND, 'Resource not found (resource=orders).');
 */
export function emulatorError(code: GrpcCode, message: string, cause?: unknown): CascadeError {
  return new CascadeError(CASCADE_CODE[code], message, {
    retryable: false,
    cause,
    details: { grpcCode: code },
  });
}

/** The gRPC status (code and message) to answer `error` with. */
export function toGrpcStatus(error: unknown): { code: number; details: string } {
  if (error instanceof CascadeError && typeof error.details.grpcCode === 'number') {
    return { code: error.details.grpcCode, details: error.message };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { code: status.INTERNAL, details: `internal emulator error: ${message}` };
}
