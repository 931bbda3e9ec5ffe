/**
 * The emulator's notion of "now". Ack deadlines, backoff, retention and
 * snapshot expiry all read this clock, so tests can jump forward in time
 * instead of sleeping. Time still flows with the wall clock between jumps:
 * the official client's own timers (lease extension, batching) run on real
 * time, and freezing the emulator's clock would starve them.
 *
 * @example
 * const clock = createEmulatorClock();
 * clock.advance(60_000); // every ack deadline shorter than a minute expires
 */
export interface EmulatorClock {
  /** Milliseconds since the epoch, as the emulator sees it. */
  now(): number;
  /** Moves the emulator's time forward by `ms` and wakes its schedulers. */
  advance(ms: number): void;
  /** Calls `listener` after every {@link EmulatorClock.advance}; returns an unsubscribe function. */
  onAdvance(listener: () => void): () => void;
}

/** A clock that follows `wallClock` (default `Date.now`) plus every advance so far. */
export function createEmulatorClock(wallClock: () => number = Date.now): EmulatorClock {
  let offset = 0;
  const listeners = new Set<() => void>();
  return {
    now: () => wallClock() + offset,
    advance(ms: number) {
      if (!Number.isFinite(ms) || ms < 0) {
        throw new RangeError(`clock.advance needs a finite, non-negative number, got ${ms}`);
      }
      offset += ms;
      for (const listener of listeners) listener();
    },
    onAdvance(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
