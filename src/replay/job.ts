import { z } from 'zod';
import { decodeVersionedJson } from '../versioned-json.ts';

/**
 * A replay job, stored as UTF-8 JSON at `<prefix>_replays/<id>.json` and
 * only ever replaced with `ifGenerationMatch` (compare-and-swap). Version 1:
 *
 *   {
 *     "version": 1,
 *     "id": "r-…",                      unique, [a-z0-9-]
 *     "stream": "orders",
 *     "topic": "projects/p/topics/t",   where records are republished
 *     "state": "pending" | "running" | "done" | "cancelled" | "failed",
 *     "ratePerSecond": 500 | null,      null = as fast as Pub/Sub accepts
 *     "filter": { "equals": {k: v}, "exists": [k] },   all must hold
 *     "partitions": [ { "partition": 0,
 *                       "from": 10, "to": 900,        [from, to) fixed at creation
 *                       "next": 450,                   checkpoint: first offset not yet confirmed
 *                       "published": 440, "skipped": 0, "bytes": 123456 } ],
 *     "lease": { "holder": "tick-…", "expiresAtMs": … } | null,
 *     "createdAtMs": …, "updatedAtMs": …,
 *     "startedAtMs": … | null,          first confirmed publish
 *     "finishedAtMs": … | null,
 *     "error": "…" | null
 *   }
 *
 * `next` only moves forward and only after Pub/Sub confirmed every record
 * below it, so a crash re-publishes at most the batch in flight.
 */
export const JOB_VERSION = 1;

export const JOB_STATES = ['pending', 'running', 'done', 'cancelled', 'failed'] as const;
export type JobState = (typeof JOB_STATES)[number];

export const attributeFilterSchema = z.strictObject({
  equals: z.record(z.string().min(1), z.string()).default({}),
  exists: z.array(z.string().min(1)).max(100).default([]),
});
export type AttributeFilter = z.output<typeof attributeFilterSchema>;

const offset = z.int().nonnegative();

const partitionProgressSchema = z.strictObject({
  partition: z.int().nonnegative(),
  from: offset,
  to: offset,
  next: offset,
  published: offset,
  skipped: offset,
  bytes: offset,
});
export type PartitionProgress = z.output<typeof partitionProgressSchema>;

const jobSchema = z.strictObject({
  version: z.literal(JOB_VERSION),
  id: z.string().regex(/^[a-z0-9-]{1,64}$/),
  stream: z.string().min(1),
  topic: z.string().min(1),
  state: z.enum(JOB_STATES),
  ratePerSecond: z.number().positive().nullable(),
  filter: attributeFilterSchema,
  partitions: z.array(partitionProgressSchema),
  lease: z.strictObject({ holder: z.string().min(1), expiresAtMs: z.int() }).nullable(),
  createdAtMs: z.int(),
  updatedAtMs: z.int(),
  startedAtMs: z.int().nullable(),
  finishedAtMs: z.int().nullable(),
  error: z.string().nullable(),
});
export type ReplayJob = z.output<typeof jobSchema>;

/** True once nothing will change the job again. */
export function isFinished(job: ReplayJob): boolean {
  return job.state === 'done' || job.state === 'cancelled' || job.state === 'failed';
}

/** The job's object name under a stream-config prefix. */
export function jobObjectName(prefix: string, id: string): string {
  return `${jobFolder(prefix)}${id}.json`;
}

/** Where every job of a deployment lives (for listing). */
export function jobFolder(prefix: string): string {
  return `${prefix}_replays/`;
}

export function encodeJob(job: ReplayJob): Uint8Array {
  return Buffer.from(JSON.stringify(job));
}

/** Parses a stored job; CORRUPT_DATA or UNSUPPORTED_VERSION otherwise. */
export function decodeJob(bytes: Uint8Array, name: string): ReplayJob {
  return decodeVersionedJson(bytes, name, JOB_VERSION, jobSchema);
}

/** True when `attributes` pass the filter: every `equals` pair and every `exists` key. */
export function matchesFilter(
  attributes: Record<string, string>,
  filter: AttributeFilter,
): boolean {
  for (const [key, value] of Object.entries(filter.equals)) {
    if (attributes[key] !== value) return false;
  }
  for (const key of filter.exists) {
    if (!Object.hasOwn(attributes, key)) return false;
  }
  return true;
}
