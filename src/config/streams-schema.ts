import { z } from 'zod';

/**
 * The streams document: which subscriptions feed which streams and how each
 * stream is stored. Given inline (CASCADE_STREAMS) or as a file shipped with
 * the function (CASCADE_STREAMS_FILE). Defaults mirror Pub/Sub's own limits
 * and the log's batching defaults.
 *
 * @example
 * {
 *   "bucket": "my-archive",
 *   "prefix": "cascade/",
 *   "pushAuth": { "audience": "https://ingest-xyz.a.run.app", "email": "push@p.iam.gserviceaccount.com" },
 *   "streams": [
 *     { "name": "orders", "subscription": "projects/p/subscriptions/orders-push", "partitions": 4,
 *       "partitionKey": { "attribute": "customer" } }
 *   ]
 * }
 */

const rulesSchema = z.strictObject({
  maxMessageBytes: z.int().positive().default(10_000_000),
  maxAttributes: z.int().nonnegative().default(100),
  maxAttributeKeyBytes: z.int().positive().default(256),
  maxAttributeValueBytes: z.int().positive().default(1024),
  maxOrderingKeyBytes: z.int().positive().default(1024),
  requiredAttributes: z.array(z.string().min(1)).default([]),
  requireJson: z.boolean().default(false),
});

const pushAuthSchema = z.strictObject({
  audience: z.string().min(1),
  email: z.email(),
});

const streamSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9_-]{1,63}$/, 'lower-case letters, digits, - and _ (1-63)'),
  subscription: z
    .string()
    .regex(/^projects\/[^/]+\/subscriptions\/[^/]+$/, 'projects/<project>/subscriptions/<name>'),
  topic: z
    .string()
    .regex(/^projects\/[^/]+\/topics\/[^/]+$/, 'projects/<project>/topics/<name>')
    .optional(),
  partitions: z.int().min(1).max(4096).default(1),
  partitionKey: z.strictObject({ attribute: z.string().min(1).optional() }).default({}),
  lingerMs: z.int().min(0).max(10_000).default(20),
  maxBatchBytes: z
    .int()
    .min(1024)
    .max(256 * 1024 * 1024)
    .default(8 * 1024 * 1024),
  maxBatchRecords: z.int().min(1).max(1_000_000).default(10_000),
  dedupWindowMs: z.int().min(0).default(600_000),
  maxPendingBytes: z
    .int()
    .min(1024)
    .default(64 * 1024 * 1024),
  rules: rulesSchema.default(rulesSchema.parse({})),
  pushAuth: pushAuthSchema.optional(),
});

/** The zod schema of the streams document. */
export const streamsDocumentSchema = z.strictObject({
  bucket: z.string().min(3).optional(),
  prefix: z
    .string()
    .regex(/^([A-Za-z0-9._-]+\/)*$/, "'' or path segments each ending in /")
    .default(''),
  /** Default push identity for streams that do not name their own. */
  pushAuth: pushAuthSchema.optional(),
  streams: z.array(streamSchema).min(1),
});

export type StreamsDocument = z.output<typeof streamsDocumentSchema>;
