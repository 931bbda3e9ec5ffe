import { CascadeError, type ErrorCode } from '../errors.ts';

/** HTTP status for each error code; anything unlisted is a 500. */
const STATUS: Partial<Record<ErrorCode, number>> = {
  BAD_REQUEST: 400,
  INVALID_ARGUMENT: 400,
  INVALID_NAME: 400,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  RATE_LIMITED: 429,
  BACKPRESSURE: 429,
  CONTENTION: 503,
  UNAVAILABLE: 503,
  CLOSED: 503,
};

/** The one JSON error shape of Cascade's HTTP answers (Google API style). */
export interface ErrorBody {
  error: { code: number; status: string; message: string; details: Record<string, unknown> };
}

/**
 * Maps any thrown value to a status and the error body. Errors that are not
 * {@link CascadeError}s become an opaque 500: their messages are not ours to show.
 *
 * @example
 * const { status, body } = errorResponse(new CascadeError('NOT_FOUND', 'no such stream'));
 * // status 404, body.error.status 'NOT_FOUND'
 */
export function errorResponse(error: unknown): { status: number; body: ErrorBody } {
  if (!(error instanceof CascadeError)) {
    return {
      status: 500,
      body: { error: { code: 500, status: 'INTERNAL', message: 'internal error', details: {} } },
    };
  }
  const status = STATUS[error.code] ?? (error.retryable ? 503 : 500);
  return {
    status,
    body: {
      error: { code: status, status: error.code, message: error.message, details: error.details },
    },
  };
}
