import { CascadeError, hasCode } from '../errors.ts';
import type { ObjectStore } from '../storage/index.ts';
import { decodeJob, encodeJob, jobFolder, jobObjectName, type ReplayJob } from './job.ts';

/** A job with the generation it was read at: the CAS token for the next write. */
export interface VersionedJob {
  job: ReplayJob;
  generation: number;
}

/** CAS retries before an update gives up as CONTENTION. */
const MAX_ATTEMPTS = 8;

/**
 * Replay jobs in the bucket. Every change is a compare-and-swap on the job
 * object's generation, so concurrent ticks and API calls never lose each
 * other's writes: the loser re-reads and re-applies its change.
 *
 * @example
 * const jobs = new JobStore({ store, prefix: 'cascade/' });
 * await jobs.create(job);
 * await jobs.update(job.id, (j) => ({ ...j, state: 'cancelled' }));
 */
export class JobStore {
  #store: ObjectStore;
  #prefix: string;

  constructor(options: { store: ObjectStore; prefix: string }) {
    this.#store = options.store;
    this.#prefix = options.prefix;
  }

  /** Writes a new job; PRECONDITION_FAILED when the id is taken. */
  async create(job: ReplayJob): Promise<VersionedJob> {
    const { generation } = await this.#store.put(
      jobObjectName(this.#prefix, job.id),
      encodeJob(job),
      { ifGenerationMatch: 0, contentType: 'application/json' },
    );
    return { job, generation };
  }

  /** The job, or NOT_FOUND. */
  async get(id: string): Promise<VersionedJob> {
    const name = jobObjectName(this.#prefix, id);
    try {
      const got = await this.#store.get(name);
      return { job: decodeJob(got.bytes, name), generation: got.generation };
    } catch (error) {
      if (hasCode(error, 'NOT_FOUND')) {
        throw new CascadeError('NOT_FOUND', `no replay job ${id}`, {
          retryable: false,
          cause: error,
          details: { id },
        });
      }
      throw error;
    }
  }

  /** Every job, oldest id first (ids sort by creation time). Bounded by `limit`. */
  async list(limit = 1000): Promise<VersionedJob[]> {
    const jobs: VersionedJob[] = [];
    for await (const info of this.#store.list({ prefix: jobFolder(this.#prefix) })) {
      if (!info.name.endsWith('.json')) continue;
      const id = info.name.slice(jobFolder(this.#prefix).length, -'.json'.length);
      try {
        jobs.push(await this.get(id));
      } catch (error) {
        // Deleted between the listing and the read: not a job any more.
        if (!hasCode(error, 'NOT_FOUND')) throw error;
      }
      if (jobs.length >= limit) break;
    }
    return jobs;
  }

  /** Replaces the job only if it is still at `expected`'s generation. */
  async replace(expected: VersionedJob, job: ReplayJob): Promise<VersionedJob> {
    const { generation } = await this.#store.put(
      jobObjectName(this.#prefix, job.id),
      encodeJob(job),
      { ifGenerationMatch: expected.generation, contentType: 'application/json' },
    );
    return { job, generation };
  }

  /**
   * Read-modify-write with CAS retries. `change` returns the new job, or
   * undefined to leave it as it is (the current version is returned).
   */
  async update(
    id: string,
    change: (job: ReplayJob) => ReplayJob | undefined,
  ): Promise<VersionedJob> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.get(id);
      const next = change(current.job);
      if (next === undefined) return current;
      try {
        return await this.replace(current, next);
      } catch (error) {
        if (!hasCode(error, 'PRECONDITION_FAILED')) throw error;
        if (attempt >= MAX_ATTEMPTS) {
          throw new CascadeError('CONTENTION', `replay job ${id} kept changing under us`, {
            cause: error,
            details: { id, attempts: attempt },
          });
        }
      }
    }
  }
}
