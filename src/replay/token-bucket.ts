/** Waits `ms` (injected so unit tests need no real time). */
export type Sleep = (ms: number) => Promise<void>;

export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A token bucket: `ratePerSecond` tokens a second, at most `capacity`
 * banked. It starts empty so a run's first second is not a burst, which is
 * what lets the achieved rate over a whole run match the configured one.
 *
 * @example
 * const bucket = new TokenBucket({ ratePerSecond: 500 });
 * await bucket.take(100); // resolves once 100 tokens have accrued
 */
export class TokenBucket {
  readonly ratePerSecond: number;
  readonly capacity: number;
  #tokens = 0;
  #last: number;
  #clock: () => number;
  #sleep: Sleep;

  constructor(options: {
    ratePerSecond: number;
    capacity?: number;
    clock?: () => number;
    sleep?: Sleep;
  }) {
    if (!(options.ratePerSecond > 0) || !Number.isFinite(options.ratePerSecond)) {
      throw new RangeError(`ratePerSecond must be positive, got ${options.ratePerSecond}`);
    }
    this.ratePerSecond = options.ratePerSecond;
    // A twentieth of a second's worth: small enough that a pause does not
    // turn into a visible burst, large enough that batches are not split finely.
    this.capacity = options.capacity ?? Math.max(1, Math.ceil(options.ratePerSecond / 20));
    this.#clock = options.clock ?? Date.now;
    this.#sleep = options.sleep ?? realSleep;
    this.#last = this.#clock();
  }

  /** Resolves once `count` tokens were taken; larger counts are taken in capacity-sized steps. */
  async take(count: number): Promise<void> {
    let left = count;
    while (left > 0) {
      const want = Math.min(left, this.capacity);
      this.#refill();
      if (this.#tokens < want) {
        const waitMs = ((want - this.#tokens) / this.ratePerSecond) * 1000;
        await this.#sleep(Math.max(1, Math.ceil(waitMs)));
        this.#refill();
        if (this.#tokens < want) continue;
      }
      this.#tokens -= want;
      left -= want;
    }
  }

  #refill(): void {
    const now = this.#clock();
    const elapsed = Math.max(0, now - this.#last);
    this.#last = now;
    this.#tokens = Math.min(this.capacity, this.#tokens + (elapsed / 1000) * this.ratePerSecond);
  }
}
