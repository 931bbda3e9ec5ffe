import { CascadeError } from '../errors.ts';
import { type Logger, noopLogger } from '../observability/index.ts';
import type { ObjectStore } from '../storage/index.ts';
import { type AppenderStats, type AppenderTuning, emptyStats } from './appender-tuning.ts';
import { PartitionAppender } from './partition-appender.ts';
import { partitionFor, partitionKeyOf } from './partitioner.ts';
import type { AppendResult, LogMessage, StreamSettings } from './types.ts';

/** What a {@link StreamWriter} is built from. */
export interface StreamWriterOptions {
  store: ObjectStore;
  stream: StreamSettings;
  logger?: Logger;
  /** Milliseconds since the epoch; ingest times and the dedup window use it. */
  clock?: () => number;
  /** Commit-loop tuning; the defaults suit production. */
  tuning?: Partial<AppenderTuning>;
}

/**
 * Routes messages of one stream to per-partition appenders (one appender per
 * partition per process), created on first use.
 *
 * @example
 * const writer = new StreamWriter({ store, stream: streamSettings({ name: 'orders', prefix: '', partitions: 4 }) });
 * const { partition, offset, duplicate } = await writer.append(message);
 * await writer.close();
 */
export class StreamWriter {
  readonly stream: StreamSettings;
  #store: ObjectStore;
  #logger: Logger;
  #clock: () => number;
  #tuning: Partial<AppenderTuning>;
  #appenders = new Map<number, PartitionAppender>();
  #closed = false;

  constructor(options: StreamWriterOptions) {
    this.stream = options.stream;
    this.#store = options.store;
    this.#logger = (options.logger ?? noopLogger).child({ stream: options.stream.name });
    this.#clock = options.clock ?? Date.now;
    this.#tuning = options.tuning ?? {};
  }

  /**
   * Appends a message to its partition. Resolves once the record is durable
   * (or proven a duplicate, with the earlier copy's offset); rejects with a
   * CascadeError: BACKPRESSURE, CONTENTION, UNAVAILABLE or RATE_LIMITED
   * (retryable), INVALID_ARGUMENT (not), CLOSED after {@link close}.
   */
  append(message: LogMessage): Promise<AppendResult> {
    if (this.#closed) return Promise.reject(new CascadeError('CLOSED', 'the writer is closed'));
    let partition: number;
    try {
      partition = partitionFor(
        partitionKeyOf(message, this.stream.partitionKey.attribute),
        this.stream.partitions,
      );
    } catch (error) {
      return Promise.reject(
        new CascadeError('INVALID_ARGUMENT', 'message has no usable partition key', {
          cause: error,
          retryable: false,
        }),
      );
    }
    let appender = this.#appenders.get(partition);
    if (!appender) {
      appender = new PartitionAppender({
        store: this.#store,
        stream: this.stream,
        partition,
        logger: this.#logger,
        clock: this.#clock,
        tuning: this.#tuning,
      });
      this.#appenders.set(partition, appender);
    }
    return appender.append(message);
  }

  /** Flushes pending batches, then rejects new appends with CLOSED. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#appenders.values()].map((appender) => appender.close()));
  }

  /** Commit counters summed over this writer's appenders. */
  stats(): AppenderStats {
    const total = emptyStats();
    for (const appender of this.#appenders.values()) {
      for (const key of Object.keys(total) as (keyof AppenderStats)[]) {
        total[key] += appender.stats[key];
      }
    }
    return total;
  }
}
