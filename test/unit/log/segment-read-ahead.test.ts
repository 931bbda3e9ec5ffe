import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readAhead } from '../../../src/log/read-ahead.ts';

async function* numbers(count: number, pulled: number[], failAt = -1): AsyncGenerator<number> {
  for (let i = 0; i < count; i++) {
    if (i === failAt) throw new Error(`boom at ${i}`);
    pulled.push(i);
    yield i;
  }
}

describe('readAhead', () => {
  it('yields everything in order while staying within its bound', async () => {
    // Prepare
    const pulled: number[] = [];
    const seen: number[] = [];

    // Act
    for await (const n of readAhead(numbers(50, pulled), 5, () => 1)) {
      assert.ok(pulled.length - seen.length <= 6, `read ${pulled.length - seen.length} ahead`);
      seen.push(n);
      await new Promise((resolve) => setImmediate(resolve));
    }

    // Assess
    assert.deepEqual(
      seen,
      Array.from({ length: 50 }, (_, i) => i),
    );
  });

  it('passes on the source error and stops the source when the consumer stops', async () => {
    // Prepare
    const pulled: number[] = [];

    // Act
    const failed = await (async () => {
      for await (const _ of readAhead(numbers(10, [], 4), 2, () => 1)) {
        // drain
      }
    })().catch((e: unknown) => e);
    for await (const n of readAhead(numbers(1000, pulled), 3, () => 1)) if (n === 2) break;

    // Assess
    assert.match(String(failed), /boom at 4/);
    assert.ok(pulled.length < 10, `pulled ${pulled.length}`);
  });
});
