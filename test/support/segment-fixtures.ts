import { randomUUID } from 'node:crypto';
import { tailObjectName } from '../../src/log/names.ts';
import { encodeObjectMetadata } from '../../src/log/object-metadata.ts';
import { encodeDataObject } from '../../src/log/record-format.ts';
import { streamSettings } from '../../src/log/settings.ts';
import type { LogRecord, StreamSettings } from '../../src/log/types.ts';
import type { ObjectStore } from '../../src/storage/index.ts';

/** A small deterministic PRNG (mulberry32), so failures reproduce from the seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function testStream(name = 'orders'): StreamSettings {
  return streamSettings({ name, prefix: 'cascade/', partitions: 2 });
}

/** A record whose fields all depend on its offset, so any mix-up shows. */
export function makeRecord(
  offset: number,
  publishTimeMicros: number,
  dataBytes: number,
  random: () => number,
): LogRecord {
  // A pattern unique to the offset, repeated (fast for megabyte payloads).
  const pattern = Buffer.from(`${offset}:${(offset * 2654435761) >>> 0};`);
  const data = dataBytes === 0 ? Buffer.alloc(0) : Buffer.alloc(dataBytes, pattern);
  return {
    offset,
    messageId: `m-${offset}`,
    publishTimeMicros,
    orderingKey: offset % 3 === 0 ? '' : `k${offset % 5}`,
    attributes: offset % 2 === 0 ? { n: String(offset), r: random().toFixed(6) } : {},
    data,
    subscription: 'projects/p/subscriptions/s',
    deliveryAttempt: offset % 4 === 0 ? null : 1 + (offset % 3),
    ingestTimeMicros: 1_700_000_000_000_000 + offset,
  };
}

/**
 * Writes tail objects (as an appender would) of the given record counts from
 * `from`, with publish times that mostly rise but sometimes go back, and
 * returns the records in offset order.
 */
export async function writeTail(
  store: ObjectStore,
  stream: StreamSettings,
  partition: number,
  counts: readonly number[],
  options: {
    from?: number;
    seed?: number;
    dataBytes?: number;
    startTimeMicros?: number;
    /** Return the records even when they are large (by default only small ones are kept). */
    keep?: boolean;
  } = {},
): Promise<LogRecord[]> {
  const random = prng(options.seed ?? 1);
  let offset = options.from ?? 0;
  let time = options.startTimeMicros ?? 1_700_000_000_000_000;
  const all: LogRecord[] = [];
  const writes = new Set<Promise<void>>();
  for (const count of counts) {
    const records: LogRecord[] = [];
    for (let i = 0; i < count; i++) {
      time += Math.floor(random() * 2000);
      const jitter = random() < 0.1 ? -Math.floor(random() * 5000) : 0;
      const bytes = options.dataBytes ?? Math.floor(random() * 300);
      records.push(makeRecord(offset++, time + jitter, bytes, random));
    }
    // A few writes in flight overlap encoding with I/O for the large cases.
    const write = putTailObject(store, stream, partition, records).finally(() =>
      writes.delete(write),
    );
    writes.add(write);
    if (writes.size >= 4) await Promise.race(writes);
    if (!options.keep && (options.dataBytes ?? 0) > 64 * 1024) continue;
    all.push(...records);
  }
  await Promise.all(writes);
  return all;
}

export async function putTailObject(
  store: ObjectStore,
  stream: StreamSettings,
  partition: number,
  records: LogRecord[],
): Promise<void> {
  const batchId = randomUUID();
  const { bytes, headerBytes } = await encodeDataObject(records, batchId);
  const times = records.map((r) => r.publishTimeMicros);
  await store.put(tailObjectName(stream, partition, records[0]!.offset), bytes, {
    ifGenerationMatch: 0,
    contentType: 'avro/binary',
    metadata: encodeObjectMetadata({
      baseOffset: records[0]!.offset,
      recordCount: records.length,
      minPublishTimeMicros: Math.min(...times),
      maxPublishTimeMicros: Math.max(...times),
      ingestTimeMicros: records[0]!.ingestTimeMicros,
      headerBytes,
      batchId,
    }),
  });
}

/** Field-by-field comparison form of a record. */
export function comparable(record: LogRecord): Record<string, unknown> {
  return { ...record, data: Buffer.from(record.data).toString('base64') };
}
