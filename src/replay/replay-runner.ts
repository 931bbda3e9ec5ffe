import { randomBytes } from 'node:crypto';
import { CascadeError, hasCode } from '../errors.ts';
import type { LogRecord } from '../log/index.ts';
import { type Logger, noopLogger } from '../observability/index.ts';
import type { StreamCatalog } from './catalog.ts';
import { isFinished, matchesFilter, type ReplayJob } from './job.ts';
import type { JobStore, VersionedJob } from './job-store.ts';
import { replayMessage } from './provenance.ts';
import type { OutgoingMessage, ReplayPublisher } from './publisher.ts';
import { realSleep, type Sleep, TokenBucket } from './token-bucket.ts';

/** Sizes and times of one slice. */
export interface RunnerTuning {
  /** Records read, published and checkpointed together. */
  batchRecords: number;
  /** How long a lease holds; must exceed the slice budget plus one batch. */
  leaseMs: number;
}

export const RUNNER_DEFAULTS: RunnerTuning = { batchRecords: 1000, leaseMs: 120_000 };

/** What one slice did to one job. */
export interface SliceResult {
  id: string;
  /** False when another holder had the lease, or the job was finished. */
  ran: boolean;
  published: number;
  state: ReplayJob['state'];
  /** True when the slice stopped because its budget ran out. */
  outOfTime: boolean;
}

/**
 * Advances replay jobs in bounded slices. A slice takes the job's lease by
 * compare-and-swap, then repeats: read the next batch of a partition, drop
 * what the filter rejects, wait for the rate limit, publish, and — only after
 * Pub/Sub confirmed the whole batch — checkpoint by CAS (renewing the
 * lease). A crash therefore re-publishes at most the batch in flight; a
 * checkpoint that finds the lease gone (expired and taken, or the job
 * cancelled) stops the slice.
 *
 * @example
 * const runner = new ReplayRunner({ catalog, jobs, publisher });
 * await runner.runSlice(jobId, { deadline: Date.now() + 50_000 });
 */
export class ReplayRunner {
  readonly holder: string;
  #catalog: StreamCatalog;
  #jobs: JobStore;
  #publisher: ReplayPublisher;
  #tuning: RunnerTuning;
  #clock: () => number;
  #sleep: Sleep;
  #logger: Logger;

  constructor(options: {
    catalog: StreamCatalog;
    jobs: JobStore;
    publisher: ReplayPublisher;
    tuning?: Partial<RunnerTuning>;
    clock?: () => number;
    sleep?: Sleep;
    logger?: Logger;
    /** Lease holder id (unique per runner by default). */
    holder?: string;
  }) {
    this.#catalog = options.catalog;
    this.#jobs = options.jobs;
    this.#publisher = options.publisher;
    this.#tuning = { ...RUNNER_DEFAULTS, ...options.tuning };
    this.#clock = options.clock ?? Date.now;
    this.#sleep = options.sleep ?? realSleep;
    this.#logger = options.logger ?? noopLogger;
    this.holder = options.holder ?? `runner-${randomBytes(6).toString('hex')}`;
  }

  /** True when a slice could take the job now (unfinished, lease free or expired). */
  runnable(job: ReplayJob, now = this.#clock()): boolean {
    return !isFinished(job) && (job.lease === null || job.lease.expiresAtMs <= now);
  }

  /** Runs one slice of a job until it is done, the deadline passes or the lease is lost. */
  async runSlice(id: string, options: { deadline: number }): Promise<SliceResult> {
    const result: SliceResult = {
      id,
      ran: false,
      published: 0,
      state: 'pending',
      outOfTime: false,
    };
    let current = await this.#acquire(id);
    result.state = current.job.state;
    if (current.job.lease?.holder !== this.holder) return result;
    result.ran = true;
    const job = current.job;
    const bucket =
      job.ratePerSecond === null
        ? undefined
        : new TokenBucket({
            ratePerSecond: job.ratePerSecond,
            // Up to one batch banked: the time a batch spends being published
            // counts towards the next one, so the achieved rate is the limit
            // rather than the limit minus publish latency.
            capacity: Math.max(this.#tuning.batchRecords, Math.ceil(job.ratePerSecond / 20)),
            clock: this.#clock,
            sleep: this.#sleep,
          });
    const reader = this.#catalog.reader(job.stream);
    let lost = false;
    try {
      partitions: for (;;) {
        const progress = current.job.partitions.find((p) => p.next < p.to);
        if (!progress) {
          current = await this.#finish(current, 'done', null);
          break;
        }
        const { partition, to } = progress;
        let expected = progress.next;
        // One read per partition and slice, cut into batches: re-opening the
        // read per batch would list and decode the same objects again and again.
        const reading = batches(
          reader.readFrom(partition, expected, { maxRecords: to - expected }),
          to,
          this.#tuning.batchRecords,
        );
        for await (const records of reading) {
          if (this.#clock() >= options.deadline) {
            result.outOfTime = true;
            current = await this.#release(current);
            break partitions;
          }
          if (records[0]!.offset !== expected) throw missing(partition, expected, to);
          const messages: OutgoingMessage[] = [];
          let bytes = 0;
          for (const record of records) {
            if (!matchesFilter(record.attributes, job.filter)) continue;
            messages.push(
              replayMessage(record, { stream: job.stream, partition, replayId: job.id }),
            );
            bytes += record.data.byteLength;
          }
          if (messages.length > 0) {
            // Do not publish on a lease that may already have passed to someone else.
            if ((current.job.lease?.expiresAtMs ?? 0) <= this.#clock()) {
              lost = true;
              break partitions;
            }
            if (bucket) await bucket.take(messages.length);
            await this.#publisher.publishBatch(job.topic, messages);
          }
          expected = records.at(-1)!.offset + 1;
          const checkpointed = await this.#checkpoint(current, partition, {
            next: expected,
            published: messages.length,
            skipped: records.length - messages.length,
            bytes,
          });
          if (!checkpointed) {
            lost = true;
            break partitions;
          }
          current = checkpointed;
          result.published += messages.length;
        }
        if (expected < to) throw missing(partition, expected, to);
      }
    } catch (error) {
      const retryable = error instanceof CascadeError ? error.retryable : true;
      this.#logger.warn(
        { replayId: id, retryable, error: (error as Error).message },
        'replay slice failed',
      );
      current = retryable
        ? await this.#release(current, (error as Error).message)
        : await this.#finish(current, 'failed', (error as Error).message);
    }
    // A lost lease leaves `current` stale: report what the job is now.
    result.state = lost ? (await this.#jobs.get(id)).job.state : current.job.state;
    return result;
  }

  async #acquire(id: string): Promise<VersionedJob> {
    return this.#jobs.update(id, (job) => {
      const now = this.#clock();
      if (!this.runnable(job, now)) return undefined;
      return {
        ...job,
        state: 'running',
        lease: { holder: this.holder, expiresAtMs: now + this.#tuning.leaseMs },
        updatedAtMs: now,
      };
    });
  }

  /** Records confirmed progress; undefined when the lease was lost meanwhile. */
  async #checkpoint(
    current: VersionedJob,
    partition: number,
    step: { next: number; published: number; skipped: number; bytes: number },
  ): Promise<VersionedJob | undefined> {
    const change = (job: ReplayJob): ReplayJob | undefined => {
      if (job.lease?.holder !== this.holder || job.state !== 'running') return undefined;
      const now = this.#clock();
      return {
        ...job,
        partitions: job.partitions.map((p) =>
          p.partition !== partition || step.next <= p.next
            ? p
            : {
                ...p,
                next: step.next,
                published: p.published + step.published,
                skipped: p.skipped + step.skipped,
                bytes: p.bytes + step.bytes,
              },
        ),
        startedAtMs: job.startedAtMs ?? now,
        lease: { holder: this.holder, expiresAtMs: now + this.#tuning.leaseMs },
        updatedAtMs: now,
      };
    };
    // Usually nobody else wrote since our last checkpoint: swap against the
    // generation we hold, and re-read only when that fails.
    let updated: VersionedJob;
    try {
      updated = await this.#jobs.replace(current, change(current.job)!);
    } catch (error) {
      if (!hasCode(error, 'PRECONDITION_FAILED')) throw error;
      updated = await this.#jobs.update(current.job.id, change);
    }
    return updated.job.lease?.holder === this.holder ? updated : undefined;
  }

  async #release(current: VersionedJob, error: string | null = null): Promise<VersionedJob> {
    return this.#jobs.update(current.job.id, (job) =>
      job.lease?.holder !== this.holder
        ? undefined
        : { ...job, lease: null, error, updatedAtMs: this.#clock() },
    );
  }

  async #finish(
    current: VersionedJob,
    state: 'done' | 'failed',
    error: string | null,
  ): Promise<VersionedJob> {
    return this.#jobs.update(current.job.id, (job) => {
      if (job.lease?.holder !== this.holder) return undefined;
      const now = this.#clock();
      return { ...job, state, error, lease: null, updatedAtMs: now, finishedAtMs: now };
    });
  }
}

/** The records below `to`, in batches of up to `size`. */
async function* batches(
  chunks: AsyncIterable<{ records: LogRecord[] }>,
  to: number,
  size: number,
): AsyncGenerator<LogRecord[]> {
  let batch: LogRecord[] = [];
  for await (const chunk of chunks) {
    for (const record of chunk.records) {
      if (record.offset >= to) break;
      batch.push(record);
      if (batch.length >= size) {
        yield batch;
        batch = [];
      }
    }
  }
  if (batch.length > 0) yield batch;
}

/** The log no longer (or never) held a record the job planned to replay. */
function missing(partition: number, offset: number, to: number): CascadeError {
  return new CascadeError(
    'OFFSET_OUT_OF_RANGE',
    `partition ${partition} has no record at ${offset} (the job expected records up to ${to})`,
    { retryable: false, details: { partition, offset, to } },
  );
}
