import { CascadeError } from '../errors.ts';
import { type ErrorBody, errorResponse } from '../ingest/index.ts';

/**
 * An HTTP-level refusal that has no {@link CascadeError} code of its own
 * (405, 413, 415, 406). It renders in the same error shape as every other answer.
 */
export class HttpRefusal extends Error {
  readonly status: number;
  readonly statusName: string;
  readonly details: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    statusName: string,
    message: string,
    options: { details?: Record<string, unknown>; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = 'HttpRefusal';
    this.status = status;
    this.statusName = statusName;
    this.details = options.details ?? {};
    this.headers = options.headers ?? {};
  }
}

/** HTTP statuses the API gives codes the shared mapping leaves at 500. */
const API_STATUS: Partial<Record<string, number>> = {
  OFFSET_OUT_OF_RANGE: 416,
  PRECONDITION_FAILED: 409,
  CONTENTION: 409,
};

/**
 * Any thrown value as status, headers and the shared error body
 * (`{"error": {"code","status","message","details"}}`).
 */
export function apiErrorResponse(error: unknown): {
  status: number;
  headers: Record<string, string>;
  body: ErrorBody;
} {
  if (error instanceof HttpRefusal) {
    return {
      status: error.status,
      headers: error.headers,
      body: {
        error: {
          code: error.status,
          status: error.statusName,
          message: error.message,
          details: error.details,
        },
      },
    };
  }
  const { status, body } = errorResponse(error);
  const headers: Record<string, string> =
    status === 401 ? { 'www-authenticate': 'Bearer realm="cascade"' } : {};
  const override = error instanceof CascadeError ? API_STATUS[error.code] : undefined;
  if (override === undefined) return { status, headers, body };
  return { status: override, headers, body: { error: { ...body.error, code: override } } };
}
