// Deterministic log contents for the replay, API and scheduler tests: every
// field of a record is a function of (partition, offset), so a test can
// recompute what it expects instead of holding every record.
import { randomUUID } from 'node:crypto';
import type { StreamConfig } from '../../../src/config/index.ts';
import { CascadeError } from '../../../src/errors.ts';
import {
  encodeDataObject,
  encodeObjectMetadata,
  type LogRecord,
  STREAM_DEFAULTS,
  tailObjectName,
} from '../../../src/log/index.ts';
import type { OutgoingMessage, ReplayPublisher } from '../../../src/replay/index.ts';
import type { ObjectStore } from '../../../src/storage/index.ts';

/** Publish time of offset 0; offsets are 1 ms apart. */
export const T0_MICROS = 1_780_000_000_000_000;

export function testStream(name = 'orders', partitions = 2): StreamConfig {
  return {
    ...STREAM_DEFAULTS,
    name,
    prefix: 'cascade/',
    partitions,
    partitionKey: {},
    subscription: `projects/test/subscriptions/${name}-push`,
    topic: `projects/test/topics/${name}`,
    rules: {
      maxMessageBytes: 10_000_000,
      maxAttributes: 100,
      maxAttributeKeyBytes: 256,
      maxAttributeValueBytes: 1024,
      maxOrderingKeyBytes: 1024,
      requiredAttributes: [],
      requireJson: false,
    },
  };
}

export function recordAt(partition: number, offset: number): LogRecord {
  return {
    offset,
    messageId: `m${partition}-${offset}`,
    publishTimeMicros: T0_MICROS + offset * 1000,
    orderingKey: offset % 2 === 0 ? `k${partition}-${offset % 5}` : '',
    attributes: offset % 3 === 0 ? { n: String(offset), kind: 'third' } : { n: String(offset) },
    data: Buffer.from(`p${partition}o${offset}`),
    subscription: 'projects/test/subscriptions/orders-push',
    deliveryAttempt: 1,
    ingestTimeMicros: T0_MICROS + offset * 1000 + 5,
  };
}

/** Writes offsets [from, from + count) of a partition as tail objects of `perObject` records. */
export async function fillPartition(
  store: ObjectStore,
  stream: StreamConfig,
  partition: number,
  count: number,
  options: { from?: number; perObject?: number } = {},
): Promise<void> {
  const from = options.from ?? 0;
  const perObject = options.perObject ?? 5000;
  const writes: Promise<unknown>[] = [];
  for (let base = from; base < from + count; base += perObject) {
    const n = Math.min(perObject, from + count - base);
    const records = Array.from({ length: n }, (_, i) => recordAt(partition, base + i));
    writes.push(putObject(store, stream, partition, records));
    if (writes.length >= 4) await Promise.all(writes.splice(0));
  }
  await Promise.all(writes);
}

async function putObject(
  store: ObjectStore,
  stream: StreamConfig,
  partition: number,
  records: LogRecord[],
): Promise<void> {
  const batchId = randomUUID();
  const { bytes, headerBytes } = await encodeDataObject(records, batchId);
  await store.put(tailObjectName(stream, partition, records[0]!.offset), bytes, {
    ifGenerationMatch: 0,
    contentType: 'avro/binary',
    metadata: encodeObjectMetadata({
      baseOffset: records[0]!.offset,
      recordCount: records.length,
      minPublishTimeMicros: records[0]!.publishTimeMicros,
      maxPublishTimeMicros: records.at(-1)!.publishTimeMicros,
      ingestTimeMicros: records[0]!.ingestTimeMicros,
      headerBytes,
      batchId,
    }),
  });
}

/** A publisher that keeps what it was given and can be told to fail a given batch. */
export class FakePublisher implements ReplayPublisher {
  readonly published: { topic: string; message: OutgoingMessage }[] = [];
  batches = 0;
  failAtBatch: number | undefined;
  failRetryable = true;

  async publishBatch(topic: string, messages: OutgoingMessage[]): Promise<void> {
    this.batches++;
    if (this.batches === this.failAtBatch) {
      throw new CascadeError(this.failRetryable ? 'UNAVAILABLE' : 'BAD_REQUEST', 'injected', {
        retryable: this.failRetryable,
      });
    }
    for (const message of messages) this.published.push({ topic, message });
  }

  async close(): Promise<void> {}
}
