import { CascadeError } from '../errors.ts';

// RFC 3339 as Pub/Sub writes it: up to nanosecond fractions, Z or an offset.
const RFC3339 = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/i;

/**
 * Converts an RFC 3339 timestamp to microseconds since the epoch without
 * losing the sub-millisecond digits that `Date` would drop.
 *
 * @throws CascadeError BAD_REQUEST when the text is not RFC 3339
 * @example
 * parsePublishTime('2021-02-26T19:13:55.749123Z'); // 1614366835749123
 */
export function parsePublishTime(text: string, field = 'publishTime'): number {
  const match = RFC3339.exec(text);
  const seconds = match ? Date.parse(`${match[1]}${match[3]}`) : Number.NaN;
  if (!match || Number.isNaN(seconds)) {
    throw new CascadeError('BAD_REQUEST', `${field} is not an RFC 3339 timestamp`, {
      retryable: false,
      details: { field },
    });
  }
  const micros = Number((match[2] ?? '').padEnd(6, '0').slice(0, 6));
  return seconds * 1000 + micros;
}
