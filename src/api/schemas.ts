import { z } from 'zod';

/**
 * The zod schemas of the API's path parameters, queries and answers. The
 * router validates with them and the OpenAPI document is generated from
 * them, so the two cannot disagree. Request bodies of replay jobs live in
 * src/replay (the job model owns them).
 */

/** Largest page of records as JSON; NDJSON streams allow far more. */
export const MAX_JSON_LIMIT = 1000;
export const MAX_NDJSON_LIMIT = 100_000_000;
export const DEFAULT_JSON_LIMIT = 100;

const streamName = z.string().regex(/^[a-z0-9_-]{1,63}$/, 'a stream name');
const digits = (what: string) =>
  z
    .string()
    .regex(/^[0-9]{1,16}$/, `${what} must be a non-negative integer`)
    .transform(Number)
    .refine(Number.isSafeInteger, `${what} is too large`);

export const streamParams = z.strictObject({ stream: streamName });
export const partitionParams = z.strictObject({
  stream: streamName,
  partition: digits('partition'),
});
export const replayParams = z.strictObject({ id: z.string().regex(/^[a-z0-9-]{1,64}$/) });
export const subscriptionParams = z.strictObject({
  subscription: z.string().regex(/^[A-Za-z][A-Za-z0-9._~+%-]{2,254}$/, 'a subscription id'),
});
export const snapshotParams = z.strictObject({
  snapshot: z.string().regex(/^[A-Za-z][A-Za-z0-9._~+%-]{2,254}$/, 'a snapshot id'),
});
export const noQuery = z.strictObject({});

export const recordsQuery = z
  .strictObject({
    offset: digits('offset').optional(),
    time: z.iso.datetime({ offset: true }).optional(),
    limit: digits('limit').optional(),
  })
  .refine((q) => q.offset === undefined || q.time === undefined, {
    message: 'give offset or time, not both',
  })
  .refine((q) => q.limit === undefined || q.limit >= 1, {
    message: 'limit must be at least 1',
    path: ['limit'],
  });

export const limitQuery = z.strictObject({
  limit: digits('limit')
    .refine((n) => n >= 1 && n <= 1000, 'limit must be 1..1000')
    .optional(),
});

export const listQuery = z.strictObject({
  limit: digits('limit')
    .refine((n) => n >= 1 && n <= 1000, 'limit must be 1..1000')
    .optional(),
  pageToken: z.string().max(1024).optional(),
});

export const seekBody = z.union([
  z.strictObject({ snapshot: z.string().regex(/^[A-Za-z][A-Za-z0-9._~+%-]{2,254}$/) }),
  z.strictObject({ time: z.iso.datetime({ offset: true }) }),
]);

export const createSnapshotBody = z.strictObject({
  subscription: z.string().regex(/^[A-Za-z][A-Za-z0-9._~+%-]{2,254}$/, 'a subscription id'),
  snapshot: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9._~+%-]{2,254}$/)
    .optional(),
});

// ---- answers ----

export const errorSchema = z.object({
  error: z.object({
    code: z.int(),
    status: z.string(),
    message: z.string(),
    details: z.record(z.string(), z.unknown()),
  }),
});

export const recordSchema = z.object({
  offset: z.int(),
  messageId: z.string(),
  publishTime: z.string().describe('RFC 3339 with microseconds'),
  orderingKey: z.string(),
  attributes: z.record(z.string(), z.string()),
  data: z.string().describe('base64'),
  metadata: z.object({
    ingestTime: z.string(),
    deliveryAttempt: z.int().nullable(),
    subscription: z.string(),
  }),
});

export const recordPageSchema = z.object({
  stream: z.string(),
  partition: z.int(),
  records: z.array(recordSchema),
  nextOffset: z.int().describe('the offset to ask for next'),
  startOffset: z.int(),
  endOffset: z.int().describe('exclusive end when the read started'),
});

export const partitionSchema = z.object({
  partition: z.int(),
  startOffset: z.int(),
  endOffset: z.int().describe('exclusive'),
  minPublishTime: z.string().nullable(),
  maxPublishTime: z.string().nullable(),
  bytes: z.int(),
  segments: z.int(),
});

export const streamSummarySchema = z.object({
  name: z.string(),
  partitions: z.int(),
  subscription: z.string(),
  topic: z.string().nullable(),
});

export const streamDetailSchema = streamSummarySchema.extend({
  partitionStats: z.array(partitionSchema),
  quarantined: z.int(),
});

export const quarantineItemSchema = z.object({
  object: z.string(),
  reason: z.string(),
  messageId: z.string(),
  publishTime: z.string(),
  receivedAt: z.string(),
  orderingKey: z.string(),
  attributes: z.record(z.string(), z.string()),
  dataBytes: z.int(),
});

export const jobViewSchema = z.object({
  id: z.string(),
  stream: z.string(),
  topic: z.string(),
  state: z.enum(['pending', 'running', 'done', 'cancelled', 'failed']),
  ratePerSecond: z.number().nullable(),
  filter: z.object({ equals: z.record(z.string(), z.string()), exists: z.array(z.string()) }),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  error: z.string().nullable(),
  published: z.int(),
  total: z.int(),
  partitions: z.array(
    z.object({
      partition: z.int(),
      from: z.int(),
      to: z.int(),
      next: z.int(),
      published: z.int(),
      skipped: z.int(),
      bytes: z.int(),
      total: z.int(),
      state: z.enum(['pending', 'running', 'done', 'cancelled', 'failed']),
      rate: z.number(),
      etaSeconds: z.number().nullable(),
    }),
  ),
});

export const dryRunSchema = z.object({
  dryRun: z.literal(true),
  count: z.int(),
  bytes: z.int(),
  partitions: z.array(
    z.object({ partition: z.int(), from: z.int(), to: z.int(), count: z.int(), bytes: z.int() }),
  ),
});

export const snapshotSchema = z.object({
  name: z.string(),
  topic: z.string(),
  expireTime: z.string(),
});

export const seekResultSchema = z.object({
  subscription: z.string(),
  seekedTo: z.union([z.object({ snapshot: z.string() }), z.object({ time: z.string() })]),
  retainAckedMessages: z.boolean(),
});
