import type { CascadeError } from '../errors.ts';
import { mapGcsError } from './gcs-errors.ts';

export interface GcsRetryOptions {
  /** Attempts per operation, the first included (default 6). */
  maxAttempts?: number;
  /** Backoff before the second attempt; doubles each time (default 50 ms). */
  initialDelayMs?: number;
  /** Cap on one backoff (default 2 s). */
  maxDelayMs?: number;
  /** Source of jitter in [0, 1); inject a seeded one for repeatable tests. */
  random?: () => number;
}

/**
 * Bounded, jittered exponential backoff for the Cloud Storage backend. The
 * client library's own retries are off: ours know which writes are
 * conditional, and recognise a retried write that had in fact succeeded.
 */
export class RetryPolicy {
  readonly maxAttempts: number;
  readonly #initialDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #random: () => number;

  constructor(options: GcsRetryOptions = {}) {
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 6);
    this.#initialDelayMs = options.initialDelayMs ?? 50;
    this.#maxDelayMs = options.maxDelayMs ?? 2000;
    this.#random = options.random ?? Math.random;
  }

  /** Milliseconds to wait after failed attempt number `attempt` (1-based): "equal jitter". */
  delayAfter(attempt: number): number {
    const cap = Math.min(this.#maxDelayMs, this.#initialDelayMs * 2 ** (attempt - 1));
    return cap / 2 + (this.#random() * cap) / 2;
  }

  /** True when `error` may be retried and attempts remain. */
  shouldRetry(error: CascadeError, attempt: number): boolean {
    return error.retryable && attempt < this.maxAttempts;
  }

  async backoff(attempt: number): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, this.delayAfter(attempt)));
  }

  /** Runs an idempotent operation (a read, a listing page) with retries. */
  async run<T>(
    what: string,
    op: () => Promise<T>,
    onRetry?: (error: CascadeError) => void,
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await op();
      } catch (raw) {
        const error = mapGcsError(raw, what);
        if (!this.shouldRetry(error, attempt)) throw error;
        onRetry?.(error);
        await this.backoff(attempt);
      }
    }
  }
}
