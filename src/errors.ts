/**
 * The one error type Cascade throws on purpose. Every error carries a stable
 * `code` (from {@link ErrorCode}) so callers branch on codes rather than
 * messages, and a `retryable` flag: entry points map retryable errors to
 * 5xx/429 (so Pub/Sub redelivers) and the rest to 4xx or quarantine.
 *
 * @example
 * throw new CascadeError('NOT_FOUND', `no object named ${name}`, { retryable: false });
 */
export const ErrorCode = {
  // storage
  PRECONDITION_FAILED: 'PRECONDITION_FAILED',
  NOT_FOUND: 'NOT_FOUND',
  RATE_LIMITED: 'RATE_LIMITED',
  UNAVAILABLE: 'UNAVAILABLE',
  INVALID_NAME: 'INVALID_NAME',
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
  // log
  CORRUPT_DATA: 'CORRUPT_DATA',
  UNSUPPORTED_VERSION: 'UNSUPPORTED_VERSION',
  OFFSET_OUT_OF_RANGE: 'OFFSET_OUT_OF_RANGE',
  BACKPRESSURE: 'BACKPRESSURE',
  CONTENTION: 'CONTENTION',
  CLOSED: 'CLOSED',
  // configuration, auth, ingest
  INVALID_CONFIG: 'INVALID_CONFIG',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  PERMISSION_DENIED: 'PERMISSION_DENIED',
  BAD_REQUEST: 'BAD_REQUEST',
  INTERNAL: 'INTERNAL',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface CascadeErrorOptions {
  retryable?: boolean;
  cause?: unknown;
  details?: Record<string, unknown>;
}

/** Codes that are retryable unless the thrower says otherwise. */
const RETRYABLE_BY_DEFAULT: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  ErrorCode.RATE_LIMITED,
  ErrorCode.UNAVAILABLE,
  ErrorCode.BACKPRESSURE,
  ErrorCode.CONTENTION,
]);

export class CascadeError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: CascadeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CascadeError';
    this.code = code;
    this.retryable = options.retryable ?? RETRYABLE_BY_DEFAULT.has(code);
    this.details = options.details ?? {};
  }
}

/** True when `error` is a {@link CascadeError} with the given code. */
export function hasCode(error: unknown, code: ErrorCode): error is CascadeError {
  return error instanceof CascadeError && error.code === code;
}
