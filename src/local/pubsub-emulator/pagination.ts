import { emulatorError, GrpcCode } from './errors.ts';

/** One page of a sorted list and the token for the next one ('' on the last page). */
export interface Page<T> {
  items: T[];
  nextPageToken: string;
}

const DEFAULT_PAGE_SIZE = 100;

/**
 * Pages through `items` (already in a stable order). The token is the
 * position to continue from, opaque to clients as the real service's is.
 */
export function paginate<T>(
  items: T[],
  pageSize: number | undefined,
  pageToken: string | undefined,
): Page<T> {
  const size = pageSize && pageSize > 0 ? pageSize : DEFAULT_PAGE_SIZE;
  let start = 0;
  if (pageToken) {
    const decoded = Number(Buffer.from(pageToken, 'base64url').toString('utf8'));
    if (!Number.isSafeInteger(decoded) || decoded < 0) {
      throw emulatorError(GrpcCode.INVALID_ARGUMENT, 'Invalid page token.');
    }
    start = decoded;
  }
  const end = start + size;
  return {
    items: items.slice(start, end),
    nextPageToken: end < items.length ? Buffer.from(String(end)).toString('base64url') : '',
  };
}
