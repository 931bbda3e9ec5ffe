import { encodeObjectMetadata } from './object-metadata.ts';
import { encodeDataObject } from './record-format.ts';
import type { LogMessage, LogRecord } from './types.ts';

/** A data object ready to be created: its bytes and its custom metadata. */
export interface BuiltDataObject {
  bytes: Uint8Array;
  metadata: Record<string, string>;
}

/**
 * Builds the data object holding `messages` at offsets base, base+1, …:
 * the Avro container (ids in its header) and the object metadata that lets a
 * `head` or `list` answer count and time range without reading it.
 */
export async function buildDataObject(
  messages: readonly LogMessage[],
  base: number,
  batchId: string,
  ingestTimeMicros: number,
): Promise<BuiltDataObject> {
  const records: LogRecord[] = messages.map((message, i) => ({
    ...message,
    offset: base + i,
    ingestTimeMicros,
  }));
  const { bytes, headerBytes } = await encodeDataObject(records, batchId);
  let minPublish = Number.POSITIVE_INFINITY;
  let maxPublish = 0;
  for (const record of records) {
    minPublish = Math.min(minPublish, record.publishTimeMicros);
    maxPublish = Math.max(maxPublish, record.publishTimeMicros);
  }
  const metadata = encodeObjectMetadata({
    baseOffset: base,
    recordCount: records.length,
    minPublishTimeMicros: minPublish,
    maxPublishTimeMicros: maxPublish,
    ingestTimeMicros,
    headerBytes,
    batchId,
  });
  return { bytes, metadata };
}
