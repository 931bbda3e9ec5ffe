import { CascadeError, type ErrorCode } from '../errors.ts';

/**
 * Maps what the Cloud Storage client throws (ApiError with an HTTP status in
 * `code`, or a transport error with an errno-style `code`) to a CascadeError:
 *   412 → PRECONDITION_FAILED, 404 → NOT_FOUND, 429 → RATE_LIMITED,
 *   408 / 5xx / dropped or refused connections / a download that fails its
 *   checksum → UNAVAILABLE (retryable),
 *   401 → UNAUTHENTICATED, 403 → PERMISSION_DENIED, other 4xx → INVALID_ARGUMENT.
 */
export function mapGcsError(error: unknown, what: string): CascadeError {
  if (error instanceof CascadeError) return error;
  const status = httpStatusOf(error);
  const message = `${what}: ${messageOf(error)}`;
  const make = (code: ErrorCode, retryable?: boolean) =>
    new CascadeError(code, message, { cause: error, retryable, details: status ? { status } : {} });
  if (status !== undefined) {
    if (status === 412) return make('PRECONDITION_FAILED');
    if (status === 404) return make('NOT_FOUND');
    if (status === 429) return make('RATE_LIMITED', true);
    if (status === 408 || status >= 500) return make('UNAVAILABLE', true);
    if (status === 401) return make('UNAUTHENTICATED', false);
    if (status === 403) return make('PERMISSION_DENIED', false);
    if (status >= 400) return make('INVALID_ARGUMENT', false);
  }
  // The client's checksum of a whole download did not match: damaged in
  // transit (what is stored is checked by the server on upload); read again.
  if ((error as { code?: unknown })?.code === 'CONTENT_DOWNLOAD_MISMATCH')
    return make('UNAVAILABLE', true);
  if (isTransportError(error)) return make('UNAVAILABLE', true);
  return make('INTERNAL', false);
}

/** The HTTP status an error carries, if any. */
export function httpStatusOf(error: unknown): number | undefined {
  const e = error as {
    code?: unknown;
    status?: unknown;
    response?: { status?: unknown; statusCode?: unknown };
  };
  for (const value of [e?.code, e?.status, e?.response?.status, e?.response?.statusCode]) {
    if (typeof value === 'number' && value >= 100 && value < 600) return value;
  }
  return undefined;
}

const TRANSPORT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'ERR_STREAM_PREMATURE_CLOSE',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'ABORT_ERR',
]);
const TRANSPORT_MESSAGE =
  /socket hang up|ECONNRESET|ECONNREFUSED|EPIPE|premature close|aborted|network|fetch failed|timed? ?out|other side closed|Write stream destroyed/i;

/** A failure of the connection rather than an answer from the server. */
export function isTransportError(error: unknown): boolean {
  for (
    let e: unknown = error, depth = 0;
    e && depth < 5;
    e = (e as { cause?: unknown }).cause, depth++
  ) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && TRANSPORT_CODES.has(code)) return true;
    if ((e as { type?: unknown }).type === 'system') return true; // node-fetch FetchError
    if (TRANSPORT_MESSAGE.test(messageOf(e))) return true;
  }
  return false;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
