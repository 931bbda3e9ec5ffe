// Reads a stream's whole log for the end-to-end checks, with the same reader
// the api uses, and publishes numbered test messages through the official client.
import type { PubSub } from '@google-cloud/pubsub';
import { EndTracker } from '../../src/local/stack/index.ts';
import { LogReader, type LogRecord, streamSettings } from '../../src/log/index.ts';
import type { ObjectStore } from '../../src/storage/index.ts';

/** A message the test published, with the id Pub/Sub gave it. */
export interface SentMessage {
  id: string;
  data: Buffer;
  orderingKey: string;
  attributes: Record<string, string>;
}

export function logReader(store: ObjectStore, name: string, partitions: number): LogReader {
  return new LogReader({ store, stream: streamSettings({ name, prefix: '', partitions }) });
}

export function endTracker(store: ObjectStore, name: string, partitions: number): EndTracker {
  return new EndTracker(store, streamSettings({ name, prefix: '', partitions }));
}

/** Records in the log so far, over all partitions (listing only what is new since the last call). */
export async function countRecords(tracker: EndTracker): Promise<number> {
  return (await tracker.refresh()).reduce((sum, end) => sum + end, 0);
}

/** Polls until the log holds at least `count` records; throws after `timeoutMs`. */
export async function waitForRecords(
  tracker: EndTracker,
  count: number,
  timeoutMs: number,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const total = await countRecords(tracker);
    if (total >= count) return total;
    if (Date.now() > deadline) {
      throw new Error(`the log holds ${total} records after ${timeoutMs} ms, expected ${count}`);
    }
    await new Promise((done) => setTimeout(done, 500));
  }
}

/** Every record of every partition, in offset order. */
export async function readPartitions(
  reader: LogReader,
  partitions: number,
): Promise<LogRecord[][]> {
  const out: LogRecord[][] = [];
  for (let p = 0; p < partitions; p++) {
    const records: LogRecord[] = [];
    for await (const chunk of reader.readFrom(p, 0)) records.push(...chunk.records);
    out.push(records);
  }
  return out;
}

/**
 * Publishes `count` messages of batch `batch`: nine in ten carry one of
 * `keys` ordering keys (the rest none), every one carries attributes naming
 * its batch, sequence number and key, and data that encodes them too.
 */
export async function publishBatch(
  pubsub: PubSub,
  topic: string,
  options: { batch: string; count: number; keys: number },
): Promise<SentMessage[]> {
  const publisher = pubsub.topic(topic, {
    messageOrdering: true,
    batching: { maxMessages: 500, maxMilliseconds: 10 },
  });
  const sent: SentMessage[] = [];
  // Bounded in-flight publishes keep the test's memory flat.
  const WINDOW = 2000;
  for (let start = 0; start < options.count; start += WINDOW) {
    const round: Promise<SentMessage>[] = [];
    for (let i = start; i < Math.min(options.count, start + WINDOW); i++) {
      const orderingKey = i % 10 === 9 ? '' : `key-${i % options.keys}`;
      const attributes: Record<string, string> = {
        batch: options.batch,
        seq: String(i),
        ...(orderingKey === '' ? {} : { key: orderingKey }),
      };
      const data = Buffer.from(`${options.batch}:${i}:${'x'.repeat(i % 97)}`);
      round.push(
        publisher
          .publishMessage({ data, attributes, ...(orderingKey === '' ? {} : { orderingKey }) })
          .then((id) => ({ id, data, orderingKey, attributes })),
      );
    }
    sent.push(...(await Promise.all(round)));
  }
  return sent;
}
