import { CascadeError } from '../errors.ts';
import type { ByteRange } from './types.ts';

/**
 * Checks a {@link ByteRange} without knowing the object's size, so a backend
 * can reject a bad range before it sends a request.
 */
export function validateRange(range: unknown): asserts range is ByteRange | undefined {
  if (range === undefined) return;
  if (range === null || typeof range !== 'object')
    throw badRange(`range must be an object, got ${range}`);
  if ('suffix' in range) {
    const { suffix } = range as { suffix: unknown };
    if (typeof suffix !== 'number' || !Number.isSafeInteger(suffix) || suffix < 0) {
      throw badRange(`suffix must be a non-negative integer, got ${String(suffix)}`);
    }
    return;
  }
  const { start, end } = range as { start?: unknown; end?: unknown };
  if (typeof start !== 'number' || !Number.isSafeInteger(start) || start < 0) {
    throw badRange(`range start must be a non-negative integer, got ${String(start)}`);
  }
  if (end !== undefined && (typeof end !== 'number' || !Number.isSafeInteger(end) || end < start)) {
    throw badRange(`range end must be an integer >= start (${start}), got ${String(end)}`);
  }
}

/**
 * Turns a {@link ByteRange} into inclusive byte positions within an object of
 * `size` bytes. An empty result has end = start - 1.
 */
export function resolveRange(
  range: ByteRange | undefined,
  size: number,
): { start: number; end: number } {
  validateRange(range);
  if (range === undefined) return { start: 0, end: size - 1 };
  if ('suffix' in range) return { start: Math.max(0, size - range.suffix), end: size - 1 };
  const { start, end } = range;
  if (start >= size) return { start, end: start - 1 };
  return { start, end: Math.min(end ?? size - 1, size - 1) };
}

function badRange(message: string): CascadeError {
  return new CascadeError('INVALID_ARGUMENT', message);
}
