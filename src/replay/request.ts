import { z } from 'zod';
import { attributeFilterSchema } from './job.ts';

/** A position in a partition: an offset, or the first record published at or after a time. */
export const positionSchema = z.union([
  z.strictObject({ offset: z.int().nonnegative().max(Number.MAX_SAFE_INTEGER) }),
  z.strictObject({ time: z.iso.datetime({ offset: true }) }),
]);
export type Position = z.output<typeof positionSchema>;

/** Most messages per second a job may ask for. */
export const MAX_RATE = 100_000;

/**
 * The body of `POST /v1/replays`. `from` defaults to each partition's start,
 * `to` (exclusive) to its end when the job is created, so a job always ends.
 */
export const replayRequestSchema = z
  .strictObject({
    stream: z.string().regex(/^[a-z0-9_-]{1,63}$/),
    partitions: z.array(z.int().nonnegative().max(4095)).min(1).max(4096).optional(),
    from: positionSchema.optional(),
    to: positionSchema.optional(),
    filter: attributeFilterSchema.optional(),
    topic: z.string().regex(/^projects\/[^/]+\/topics\/[^/]+$/, 'projects/<project>/topics/<name>'),
    ratePerSecond: z.number().positive().max(MAX_RATE).optional(),
    dryRun: z.boolean().default(false),
  })
  .refine(
    (r) => {
      if (!r.from || !r.to) return true;
      if ('offset' in r.from && 'offset' in r.to) return r.from.offset <= r.to.offset;
      if ('time' in r.from && 'time' in r.to)
        return Date.parse(r.from.time) <= Date.parse(r.to.time);
      return true;
    },
    { message: 'from is after to (an inverted range)', path: ['to'] },
  );
export type ReplayRequest = z.output<typeof replayRequestSchema>;
