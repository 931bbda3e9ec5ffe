import assert from 'node:assert/strict';
import { it } from 'node:test';
import { TokenBucket } from '../../../src/replay/index.ts';

function fakeTime() {
  let now = 0;
  return {
    clock: () => now,
    sleep: async (ms: number) => {
      now += ms;
    },
    now: () => now,
  };
}

it('TokenBucket: taking N tokens at rate R takes N/R seconds from an empty bucket', async () => {
  for (const [rate, take, step] of [
    [2000, 10_000, 500],
    [50, 200, 7],
    [1, 3, 1],
    [333, 1000, 1000],
  ] as const) {
    // Prepare
    const time = fakeTime();
    const bucket = new TokenBucket({ ratePerSecond: rate, clock: time.clock, sleep: time.sleep });
    // Act
    for (let taken = 0; taken < take; taken += step)
      await bucket.take(Math.min(step, take - taken));
    // Assess: within one millisecond-rounding per wait of the exact time.
    const exact = (take / rate) * 1000;
    assert.ok(time.now() >= exact - 1, `rate ${rate}: ${time.now()} < ${exact}`);
    assert.ok(time.now() <= exact * 1.02 + 2, `rate ${rate}: ${time.now()} > ${exact}`);
  }
});

it('TokenBucket: an idle pause banks at most the capacity', async () => {
  const time = fakeTime();
  const bucket = new TokenBucket({ ratePerSecond: 100, clock: time.clock, sleep: time.sleep });
  await time.sleep(60_000);
  const before = time.now();
  await bucket.take(bucket.capacity);
  assert.equal(time.now(), before, 'the banked tokens are free');
  await bucket.take(100);
  assert.ok(time.now() - before >= 999, 'the rest is paced');
});

it('TokenBucket: refuses a rate that is not positive', () => {
  for (const rate of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
    assert.throws(() => new TokenBucket({ ratePerSecond: rate }), RangeError);
  }
});
