import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CascadeError } from '../../../src/errors.ts';
import { type ByteRange, resolveRange, validateRange } from '../../../src/storage/index.ts';

describe('resolveRange', () => {
  const cases: [ByteRange | undefined, number, number, number][] = [
    // range, size → start, end (inclusive; end = start - 1 when empty)
    [undefined, 10, 0, 9],
    [undefined, 0, 0, -1],
    [{ start: 0, end: 0 }, 10, 0, 0],
    [{ start: 3, end: 5 }, 10, 3, 5],
    [{ start: 3 }, 10, 3, 9],
    [{ start: 8, end: 100 }, 10, 8, 9],
    [{ start: 9, end: 9 }, 10, 9, 9],
    [{ start: 10 }, 10, 10, 9],
    [{ start: 50, end: 60 }, 10, 50, 49],
    [{ start: 0 }, 0, 0, -1],
    [{ suffix: 3 }, 10, 7, 9],
    [{ suffix: 10 }, 10, 0, 9],
    [{ suffix: 11 }, 10, 0, 9],
    [{ suffix: 0 }, 10, 10, 9],
    [{ suffix: 5 }, 0, 0, -1],
  ];
  for (const [range, size, start, end] of cases) {
    it(`${JSON.stringify(range)} of ${size} bytes → ${start}..${end}`, () => {
      assert.deepEqual(resolveRange(range, size), { start, end });
    });
  }

  const bad: unknown[] = [
    { start: -1 },
    { start: 1.5 },
    { start: Number.NaN },
    { start: '1' },
    { start: 5, end: 4 },
    { start: 0, end: 2.5 },
    { suffix: -1 },
    { suffix: Number.POSITIVE_INFINITY },
    { suffix: '3' },
    {},
    null,
    'bytes=0-1',
  ];
  for (const range of bad) {
    it(`rejects ${JSON.stringify(range)}`, () => {
      const check = (e: unknown) =>
        e instanceof CascadeError && e.code === 'INVALID_ARGUMENT' && !e.retryable;
      assert.throws(() => validateRange(range), check);
      assert.throws(() => resolveRange(range as ByteRange, 10), check);
    });
  }
});
