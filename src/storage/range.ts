import { CascadeError } from '../errors.ts';
import type { ByteRange } from './types.ts';

/**
 * Turns a {@link ByteRange} into inclusive byte positions within an object of
 * `size` bytes. An empty result has end = start - 1.
 */
export function resolveRange(
  range: ByteRange | undefined,
  size: number,
): { start: number; end: number } {
  if (range === undefined) return { start: 0, end: size - 1 };
  if ('suffix' in range) {
    if (!Number.isSafeInteger(range.suffix) || range.suffix < 0) {
      throw badRange(`suffix must be a non-negative integer, got ${range.suffix}`);
    }
    return { start: Math.max(0, size - range.suffix), end: size - 1 };
  }
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || start < 0) {
    throw badRange(`range start must be a non-negative integer, got ${start}`);
  }
  if (end !== undefined && (!Number.isSafeInteger(end) || end < start)) {
    throw badRange(`range end must be an integer >= start (${start}), got ${end}`);
  }
  if (start >= size) return { start, end: start - 1 };
  return { start, end: Math.min(end ?? size - 1, size - 1) };
}

function badRange(message: string): CascadeError {
  return new CascadeError('INVALID_ARGUMENT', message);
}
