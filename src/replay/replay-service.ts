import { randomBytes } from 'node:crypto';
import { CascadeError } from '../errors.ts';
import type { StreamCatalog } from './catalog.ts';
import {
  isFinished,
  JOB_VERSION,
  matchesFilter,
  type PartitionProgress,
  type ReplayJob,
} from './job.ts';
import type { JobStore, VersionedJob } from './job-store.ts';
import type { Position, ReplayRequest } from './request.ts';

/** What a dry run would publish. */
export interface DryRunResult {
  dryRun: true;
  count: number;
  /** Bytes of message data that would be published. */
  bytes: number;
  partitions: { partition: number; from: number; to: number; count: number; bytes: number }[];
}

/** A job as the API shows it: the stored fields plus per-partition rate and ETA. */
export interface JobView {
  id: string;
  stream: string;
  topic: string;
  state: ReplayJob['state'];
  ratePerSecond: number | null;
  filter: ReplayJob['filter'];
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  error: string | null;
  published: number;
  total: number;
  partitions: {
    partition: number;
    from: number;
    to: number;
    next: number;
    published: number;
    skipped: number;
    bytes: number;
    total: number;
    state: 'pending' | 'running' | 'done' | 'cancelled' | 'failed';
    /** Records per second over the job's running time so far. */
    rate: number;
    /** Seconds until this partition is done at that rate; null when unknown. */
    etaSeconds: number | null;
  }[];
}

/**
 * Creates, reads, lists and cancels replay jobs. Creation fixes each
 * partition's [from, to) range so a job always terminates; the scheduler's
 * {@link ReplayRunner} does the publishing.
 *
 * @example
 * const service = new ReplayService({ catalog, jobs });
 * const job = await service.create({ stream: 'orders', topic: 'projects/p/topics/t', dryRun: false });
 */
export class ReplayService {
  #catalog: StreamCatalog;
  #jobs: JobStore;
  #clock: () => number;
  #newId: () => string;

  constructor(options: {
    catalog: StreamCatalog;
    jobs: JobStore;
    clock?: () => number;
    newId?: () => string;
  }) {
    this.#catalog = options.catalog;
    this.#jobs = options.jobs;
    this.#clock = options.clock ?? Date.now;
    this.#newId =
      options.newId ??
      (() => `r-${this.#clock().toString(36).padStart(9, '0')}-${randomBytes(5).toString('hex')}`);
  }

  /** Plans the ranges, then either counts them (dryRun) or stores a pending job. */
  async create(request: ReplayRequest): Promise<DryRunResult | JobView> {
    const ranges = await this.plan(request);
    const filter = { equals: request.filter?.equals ?? {}, exists: request.filter?.exists ?? [] };
    if (request.dryRun) return this.#dryRun(request.stream, ranges, filter);
    const now = this.#clock();
    const job: ReplayJob = {
      version: JOB_VERSION,
      id: this.#newId(),
      stream: request.stream,
      topic: request.topic,
      state: 'pending',
      ratePerSecond: request.ratePerSecond ?? null,
      filter,
      partitions: ranges.map((r) => ({
        partition: r.partition,
        from: r.from,
        to: r.to,
        next: r.from,
        published: 0,
        skipped: 0,
        bytes: 0,
      })),
      lease: null,
      createdAtMs: now,
      updatedAtMs: now,
      startedAtMs: null,
      finishedAtMs: null,
      error: null,
    };
    const created = await this.#jobs.create(job);
    return viewOf(created.job, now);
  }

  /** Each selected partition's [from, to) for the request, checked against what the log holds. */
  async plan(
    request: Pick<ReplayRequest, 'stream' | 'partitions' | 'from' | 'to'>,
  ): Promise<{ partition: number; from: number; to: number }[]> {
    const stream = this.#catalog.stream(request.stream);
    const partitions = request.partitions ?? Array.from({ length: stream.partitions }, (_, i) => i);
    const reader = this.#catalog.reader(stream.name);
    const ranges = [];
    for (const partition of [...new Set(partitions)].sort((a, b) => a - b)) {
      this.#catalog.checkPartition(stream, partition);
      const { start, end } = await reader.offsets(partition);
      const resolve = async (position: Position | undefined, fallback: number) => {
        if (position === undefined) return fallback;
        if ('offset' in position) return position.offset;
        const found = await reader.offsetForTime(partition, Date.parse(position.time) * 1000);
        return Math.max(found ?? end, start);
      };
      const from = await resolve(request.from, start);
      const to = Math.min(await resolve(request.to, end), end);
      if (from < start) {
        throw new CascadeError(
          'OFFSET_OUT_OF_RANGE',
          `partition ${partition} starts at offset ${start}; offset ${from} is no longer kept`,
          {
            retryable: false,
            details: { partition, offset: from, startOffset: start, endOffset: end },
          },
        );
      }
      ranges.push({ partition, from: Math.min(from, end), to: Math.max(to, Math.min(from, end)) });
    }
    return ranges;
  }

  async get(id: string): Promise<JobView> {
    return viewOf((await this.#jobs.get(id)).job, this.#clock());
  }

  async list(limit?: number): Promise<JobView[]> {
    const now = this.#clock();
    return (await this.#jobs.list(limit)).map((v) => viewOf(v.job, now));
  }

  /** Cancels a job (by CAS); a running slice notices at its next checkpoint. */
  async cancel(id: string): Promise<JobView> {
    const now = this.#clock();
    const updated: VersionedJob = await this.#jobs.update(id, (job) =>
      isFinished(job)
        ? undefined
        : { ...job, state: 'cancelled', lease: null, updatedAtMs: now, finishedAtMs: now },
    );
    return viewOf(updated.job, now);
  }

  async #dryRun(
    streamName: string,
    ranges: { partition: number; from: number; to: number }[],
    filter: ReplayJob['filter'],
  ): Promise<DryRunResult> {
    const reader = this.#catalog.reader(streamName);
    const result: DryRunResult = { dryRun: true, count: 0, bytes: 0, partitions: [] };
    for (const { partition, from, to } of ranges) {
      let count = 0;
      let bytes = 0;
      if (to > from) {
        for await (const chunk of reader.readFrom(partition, from, { maxRecords: to - from })) {
          for (const record of chunk.records) {
            if (record.offset >= to || !matchesFilter(record.attributes, filter)) continue;
            count++;
            bytes += record.data.byteLength;
          }
        }
      }
      result.partitions.push({ partition, from, to, count, bytes });
      result.count += count;
      result.bytes += bytes;
    }
    return result;
  }
}

/** The API's view of a job at time `now`. */
export function viewOf(job: ReplayJob, now: number): JobView {
  const runningMs = job.startedAtMs === null ? 0 : (job.finishedAtMs ?? now) - job.startedAtMs;
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  const partitions = job.partitions.map((p: PartitionProgress) => {
    const total = p.to - p.from;
    const done = p.next - p.from;
    const rate = runningMs > 0 ? (done / runningMs) * 1000 : 0;
    const state: JobView['partitions'][number]['state'] =
      p.next >= p.to
        ? 'done'
        : job.state === 'running'
          ? done > 0
            ? 'running'
            : 'pending'
          : job.state;
    return {
      ...p,
      total,
      state,
      rate: Math.round(rate * 10) / 10,
      etaSeconds: p.next >= p.to ? 0 : rate > 0 ? Math.ceil((p.to - p.next) / rate) : null,
    };
  });
  return {
    id: job.id,
    stream: job.stream,
    topic: job.topic,
    state: job.state,
    ratePerSecond: job.ratePerSecond,
    filter: job.filter,
    createdAt: new Date(job.createdAtMs).toISOString(),
    startedAt: iso(job.startedAtMs),
    finishedAt: iso(job.finishedAtMs),
    error: job.error,
    published: job.partitions.reduce((sum, p) => sum + p.published, 0),
    total: job.partitions.reduce((sum, p) => sum + (p.to - p.from), 0),
    partitions,
  };
}
