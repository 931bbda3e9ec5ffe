import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import avsc from 'avsc';
import { CascadeError } from '../errors.ts';
import type { LogRecord } from './types.ts';

/**
 * Data objects are Avro Object Container Files (spec 1.11, codec "null"),
 * written and read with avsc. Layout:
 *
 *   magic "Obj\x01" | header metadata map<bytes> | 16-byte sync | blocks…
 *
 * Header metadata, besides avro.schema and avro.codec:
 *   cascade.version      "1"  (readers reject any other value)
 *   cascade.batch_id     random id of the commit attempt, so an appender can
 *                        recognise its own write after an ambiguous failure
 *   cascade.message_ids  the records' message ids joined by "\n", in offset
 *                        order, so dedup learns a batch's ids from one ranged
 *                        read of the header instead of reading the payloads
 *
 * The record schema holds Pub/Sub's write_metadata fields with the names and
 * types its Cloud Storage subscriptions use, plus Cascade's own fields.
 */
export const FORMAT_VERSION = '1';

/** The Avro schema of one record. */
export const RECORD_SCHEMA = {
  type: 'record',
  name: 'Record',
  namespace: 'dev.cascade.log',
  fields: [
    { name: 'subscription_name', type: 'string' },
    { name: 'message_id', type: 'string' },
    { name: 'publish_time', type: { type: 'long', logicalType: 'timestamp-micros' } },
    { name: 'attributes', type: { type: 'map', values: 'string' } },
    { name: 'data', type: 'bytes' },
    { name: 'offset', type: 'long' },
    { name: 'ordering_key', type: 'string' },
    { name: 'ingest_time', type: { type: 'long', logicalType: 'timestamp-micros' } },
    { name: 'delivery_attempt', type: ['null', 'int'], default: null },
  ],
} as const;

/** avsc's type for {@link RECORD_SCHEMA}, shared by every tail and segment read and write. */
export const recordType = avsc.Type.forSchema(RECORD_SCHEMA as unknown as avsc.Schema);

/** The container header as the Avro specification defines it. */
export const headerType = avsc.Type.forSchema({
  type: 'record',
  name: 'org.apache.avro.file.Header',
  fields: [
    { name: 'magic', type: { type: 'fixed', name: 'Magic', size: 4 } },
    { name: 'meta', type: { type: 'map', values: 'bytes' } },
    { name: 'sync', type: { type: 'fixed', name: 'Sync', size: 16 } },
  ],
});

/** The record as avsc reads and writes it. */
export interface AvroRecord {
  subscription_name: string;
  message_id: string;
  publish_time: number;
  attributes: Record<string, string>;
  data: Buffer;
  offset: number;
  ordering_key: string;
  ingest_time: number;
  delivery_attempt: number | null;
}

/** What the header of a data object says, without its records. */
export interface DataObjectHeader {
  batchId: string;
  messageIds: string[];
  /** Length of the header in bytes (where the first block starts). */
  headerBytes: number;
}

/** Encodes records (already carrying their offsets) as one container file. */
export async function encodeDataObject(
  records: readonly LogRecord[],
  batchId: string,
): Promise<{ bytes: Buffer; headerBytes: number }> {
  const encoder = new avsc.streams.BlockEncoder(recordType, {
    codec: 'null',
    writeHeader: 'always',
    syncMarker: randomBytes(16),
    metadata: {
      'cascade.version': Buffer.from(FORMAT_VERSION),
      'cascade.batch_id': Buffer.from(batchId),
      'cascade.message_ids': Buffer.from(records.map((r) => r.messageId).join('\n')),
    },
  } as Partial<avsc.EncoderOptions>);
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    encoder.on('data', (chunk: Buffer) => chunks.push(chunk));
    encoder.on('end', resolve);
    encoder.on('error', reject);
  });
  for (const record of records) encoder.write(toAvro(record));
  encoder.end();
  try {
    await done;
  } catch (error) {
    throw new CascadeError('INVALID_ARGUMENT', 'a record does not fit the Avro schema', {
      cause: error,
      retryable: false,
    });
  }
  const bytes = Buffer.concat(chunks);
  const header = decodeHeader(bytes);
  if (!header) throw new CascadeError('INTERNAL', 'encoded data object has no complete header');
  return { bytes, headerBytes: header.headerBytes };
}

/**
 * Reads the header at the start of `prefix` (the first bytes of a data
 * object). Returns undefined when `prefix` is too short to hold all of it.
 */
export function decodeHeader(prefix: Uint8Array): DataObjectHeader | undefined {
  const buffer = Buffer.from(prefix.buffer, prefix.byteOffset, prefix.byteLength);
  let decoded: { value: unknown; offset: number };
  try {
    decoded = headerType.decode(buffer, 0);
  } catch (error) {
    throw new CascadeError('CORRUPT_DATA', 'data object header is not Avro', { cause: error });
  }
  if (decoded.offset < 0) return undefined;
  const header = decoded.value as { magic: Buffer; meta: Record<string, Buffer> };
  if (header.magic.toString('latin1') !== 'Obj\x01') {
    throw new CascadeError('CORRUPT_DATA', 'data object does not start with the Avro magic');
  }
  checkVersion(header.meta);
  const ids = header.meta['cascade.message_ids']?.toString('utf8') ?? '';
  return {
    batchId: header.meta['cascade.batch_id']?.toString('utf8') ?? '',
    messageIds: ids === '' ? [] : ids.split('\n'),
    headerBytes: decoded.offset,
  };
}

/** Decodes a whole data object (streamed in chunks) into records, in offset order. */
export async function* decodeDataObject(
  chunks: AsyncIterable<Uint8Array>,
): AsyncGenerator<LogRecord> {
  const decoder = new avsc.streams.BlockDecoder({ readerSchema: recordType });
  let versionError: unknown;
  let expected: number | undefined;
  decoder.on(
    'metadata',
    (_type: unknown, _codec: unknown, header: { meta: Record<string, Buffer> }) => {
      try {
        checkVersion(header.meta);
        const ids = header.meta['cascade.message_ids']?.toString('utf8') ?? '';
        expected = ids === '' ? 0 : ids.split('\n').length;
      } catch (error) {
        versionError = error;
        decoder.destroy(error as Error);
      }
    },
  );
  const source = Readable.from(chunks, { objectMode: false });
  source.on('error', (error) => decoder.destroy(error));
  source.pipe(decoder);
  try {
    let count = 0;
    for await (const value of decoder) {
      count++;
      yield fromAvro(value as AvroRecord);
    }
    // avsc ignores a truncated last block; the header says how many to expect.
    if (count !== expected) {
      throw new CascadeError('CORRUPT_DATA', `data object holds ${count} of ${expected} records`);
    }
  } catch (error) {
    if (versionError) throw versionError;
    if (error instanceof CascadeError) throw error;
    throw new CascadeError('CORRUPT_DATA', 'data object is not a readable Avro container', {
      cause: error,
    });
  } finally {
    source.destroy();
    decoder.destroy();
  }
}

function checkVersion(meta: Record<string, Buffer>) {
  const version = meta['cascade.version']?.toString('utf8');
  if (version !== FORMAT_VERSION) {
    throw new CascadeError('UNSUPPORTED_VERSION', `unknown data object version ${version}`, {
      retryable: false,
      details: { version },
    });
  }
}

function toAvro(record: LogRecord): AvroRecord {
  return {
    subscription_name: record.subscription,
    message_id: record.messageId,
    publish_time: record.publishTimeMicros,
    attributes: record.attributes,
    data: Buffer.from(record.data.buffer, record.data.byteOffset, record.data.byteLength),
    offset: record.offset,
    ordering_key: record.orderingKey,
    ingest_time: record.ingestTimeMicros,
    delivery_attempt: record.deliveryAttempt,
  };
}

/** Converts avsc's value to the log's record shape (no copy of the payload). */
export function fromAvro(value: AvroRecord): LogRecord {
  return {
    subscription: value.subscription_name,
    messageId: value.message_id,
    publishTimeMicros: value.publish_time,
    attributes: { ...value.attributes },
    data: new Uint8Array(value.data.buffer, value.data.byteOffset, value.data.byteLength),
    offset: value.offset,
    orderingKey: value.ordering_key,
    ingestTimeMicros: value.ingest_time,
    deliveryAttempt: value.delivery_attempt,
  };
}

/** Approximate encoded size of a record, for batch and backpressure accounting. */
export function estimateRecordBytes(message: {
  messageId: string;
  subscription: string;
  orderingKey: string;
  attributes: Record<string, string>;
  data: Uint8Array;
}): number {
  let bytes = 48 + message.data.byteLength + message.messageId.length * 2;
  bytes += message.subscription.length + message.orderingKey.length;
  for (const [key, value] of Object.entries(message.attributes)) {
    bytes += key.length + value.length + 4;
  }
  return bytes;
}
