import type { ObjectStore } from '../storage/index.ts';

/** One Pub/Sub message as the log stores it. */
export interface LogMessage {
  messageId: string;
  /** Microseconds since the epoch (Avro timestamp-micros). */
  publishTimeMicros: number;
  /** '' when the message has none. */
  orderingKey: string;
  attributes: Record<string, string>;
  data: Uint8Array;
  /** Full name: projects/p/subscriptions/s. */
  subscription: string;
  /** null when Pub/Sub did not send one. */
  deliveryAttempt: number | null;
}

/** A message as it sits in the log: the message plus where and when it was written. */
export interface LogRecord extends LogMessage {
  offset: number;
  /** Microseconds since the epoch at which the appender built the batch. */
  ingestTimeMicros: number;
}

/** What a stream's appenders need to know about it. */
export interface StreamSettings {
  /** Stream name, [a-z0-9-_]. */
  name: string;
  /** Object name prefix in the bucket, e.g. 'cascade/' ('' allowed). */
  prefix: string;
  partitions: number;
  /** Key = orderingKey, else attributes[attribute], else messageId. */
  partitionKey: { attribute?: string };
  /** How long the first message of a batch waits for company. */
  lingerMs: number;
  maxBatchBytes: number;
  maxBatchRecords: number;
  /** A redelivered message id seen within this window is not written again. */
  dedupWindowMs: number;
  /** Backpressure bound per appender (pending plus in-flight bytes). */
  maxPendingBytes: number;
}

/** Where an appended message landed. */
export interface AppendResult {
  partition: number;
  offset: number;
  /** True when the message id was already in the partition; `offset` is the earlier copy's. */
  duplicate: boolean;
}

/** Options shared by the writer and the reader. */
export interface LogDependencies {
  store: ObjectStore;
  stream: StreamSettings;
}
