import { CascadeError } from '../errors.ts';
import { estimateRecordBytes } from './record-format.ts';
import type { AppendResult, LogMessage, StreamSettings } from './types.ts';

/** A message waiting for its commit, with the caller's promise. */
export interface PendingEntry {
  message: LogMessage;
  bytes: number;
  arrivedAt: number;
  settled: boolean;
  /** Later appends of the same message id in the same batch; they share its fate. */
  followers?: PendingEntry[];
  resolve: (result: AppendResult) => void;
  reject: (error: unknown) => void;
}

/**
 * The appender's memory: messages not yet durable, in arrival order, with a
 * byte bound. Bytes are released when a message is settled, not when it is
 * taken into a batch, so in-flight batches count against the bound too.
 */
export class PendingQueue {
  #settings: Pick<StreamSettings, 'maxBatchBytes' | 'maxBatchRecords' | 'maxPendingBytes'>;
  #entries: PendingEntry[] = [];
  #first = 0;
  #queuedBytes = 0;
  #heldBytes = 0;

  constructor(
    settings: Pick<StreamSettings, 'maxBatchBytes' | 'maxBatchRecords' | 'maxPendingBytes'>,
  ) {
    this.#settings = settings;
  }

  /** Messages queued and not yet taken into a batch. */
  get length(): number {
    return this.#entries.length - this.#first;
  }

  /** Bytes of every message not yet settled (queued or in flight). */
  get heldBytes(): number {
    return this.#heldBytes;
  }

  /** Queues a message; throws BACKPRESSURE when the byte bound would be passed. */
  push(message: LogMessage, partition: number): Promise<AppendResult> {
    const bytes = estimateRecordBytes(message);
    if (this.#heldBytes + bytes > this.#settings.maxPendingBytes) {
      throw new CascadeError('BACKPRESSURE', 'the appender holds too many pending bytes', {
        details: { partition, heldBytes: this.#heldBytes, limit: this.#settings.maxPendingBytes },
      });
    }
    return new Promise<AppendResult>((resolve, reject) => {
      this.#entries.push({
        message,
        bytes,
        arrivedAt: Date.now(),
        settled: false,
        resolve,
        reject,
      });
      this.#queuedBytes += bytes;
      this.#heldBytes += bytes;
    });
  }

  /** True when the queued messages already make a full batch. */
  full(): boolean {
    return (
      this.length >= this.#settings.maxBatchRecords ||
      this.#queuedBytes >= this.#settings.maxBatchBytes
    );
  }

  /** Arrival time (Date.now) of the oldest queued message. */
  oldestArrival(): number {
    return this.#entries[this.#first]?.arrivedAt ?? Date.now();
  }

  /** Returns `batch` topped up with queued messages, up to the batch limits. */
  take(batch: readonly PendingEntry[]): PendingEntry[] {
    const out = [...batch];
    let bytes = 0;
    for (const entry of out) bytes += entry.bytes;
    while (this.#first < this.#entries.length && out.length < this.#settings.maxBatchRecords) {
      const next = this.#entries[this.#first]!;
      if (out.length > 0 && bytes + next.bytes > this.#settings.maxBatchBytes) break;
      out.push(next);
      bytes += next.bytes;
      this.#queuedBytes -= next.bytes;
      this.#first++;
    }
    if (this.#first > 1024 && this.#first * 2 > this.#entries.length) {
      this.#entries = this.#entries.slice(this.#first);
      this.#first = 0;
    }
    return out;
  }

  /** Answers an entry (and its followers, as duplicates of it). Idempotent. */
  resolve(entry: PendingEntry, result: AppendResult): void {
    if (this.#release(entry)) entry.resolve(result);
    for (const follower of entry.followers ?? []) {
      this.resolve(follower, { ...result, duplicate: true });
    }
  }

  /** Fails an entry and its followers. Idempotent. */
  fail(entry: PendingEntry, error: unknown): void {
    if (this.#release(entry)) entry.reject(error);
    for (const follower of entry.followers ?? []) this.fail(follower, error);
  }

  #release(entry: PendingEntry): boolean {
    if (entry.settled) return false;
    entry.settled = true;
    this.#heldBytes -= entry.bytes;
    return true;
  }
}

/**
 * Rejects, with INVALID_ARGUMENT, a message the log cannot take: wrong
 * types, an id that cannot be listed in a header, or a record larger than a
 * whole batch may be.
 */
export function validateMessage(message: LogMessage, maxBatchBytes: number): void {
  const problems: string[] = [];
  const m = message as unknown as Record<string, unknown>;
  if (typeof m.messageId !== 'string' || m.messageId === '' || m.messageId.length > 1024) {
    problems.push('messageId must be a non-empty string of at most 1024 characters');
  } else if (m.messageId.includes('\n')) {
    problems.push('messageId must not contain a newline');
  }
  if (!Number.isSafeInteger(m.publishTimeMicros) || (m.publishTimeMicros as number) < 0) {
    problems.push('publishTimeMicros must be a non-negative integer');
  }
  if (typeof m.orderingKey !== 'string') problems.push('orderingKey must be a string');
  if (typeof m.subscription !== 'string') problems.push('subscription must be a string');
  if (!(m.data instanceof Uint8Array)) problems.push('data must be a Uint8Array');
  const attempt = m.deliveryAttempt;
  if (
    attempt !== null &&
    !(Number.isInteger(attempt) && (attempt as number) >= 0 && (attempt as number) < 2 ** 31)
  ) {
    problems.push('deliveryAttempt must be null or a non-negative 32-bit integer');
  }
  const attributes = m.attributes;
  if (typeof attributes !== 'object' || attributes === null || Array.isArray(attributes)) {
    problems.push('attributes must be an object');
  } else if (Object.values(attributes).some((value) => typeof value !== 'string')) {
    problems.push('attribute values must be strings');
  }
  if (problems.length === 0 && estimateRecordBytes(message) > maxBatchBytes) {
    problems.push(`the record is larger than maxBatchBytes (${maxBatchBytes})`);
  }
  if (problems.length > 0) {
    throw new CascadeError('INVALID_ARGUMENT', `message rejected: ${problems.join('; ')}`, {
      retryable: false,
      details: { problems },
    });
  }
}
