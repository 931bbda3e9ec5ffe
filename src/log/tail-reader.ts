import { CascadeError } from '../errors.ts';
import type { ObjectStore } from '../storage/index.ts';
import { type ListedObject, listTail } from './partition-scan.ts';
import { decodeDataObject, estimateRecordBytes } from './record-format.ts';
import type { LogRecord, StreamSettings } from './types.ts';

/** Bounds of one read; the read stops at whichever comes first. */
export interface ReadOptions {
  maxRecords?: number;
  /** Approximate encoded bytes; at least one record is always returned. */
  maxBytes?: number;
}

/** The records a read took from one data object. */
export interface ReadChunk {
  partition: number;
  /** Name of the object the records came from. */
  object: string;
  records: LogRecord[];
  /** The offset to continue from. */
  nextOffset: number;
}

/**
 * How far before the wanted offset the first listing starts: an object
 * holding the offset starts at most one batch (maxBatchRecords) earlier.
 */
const DEFAULT_LOOKBACK = 10_000;

/**
 * Reads a partition's uncompacted data objects from any offset, streaming one
 * object at a time. Compacted segments (a later issue) will be consulted
 * before the tail behind the same interface.
 *
 * @example
 * const reader = new TailReader({ store, stream });
 * for await (const chunk of reader.read(0, 1234, { maxRecords: 500 })) {
 *   handle(chunk.records);
 *   next = chunk.nextOffset;
 * }
 */
export class TailReader {
  #store: ObjectStore;
  #stream: StreamSettings;

  constructor(options: { store: ObjectStore; stream: StreamSettings }) {
    this.#store = options.store;
    this.#stream = options.stream;
  }

  /** Yields the records at `fromOffset` and after, one chunk per data object. */
  async *read(
    partition: number,
    fromOffset: number,
    options: ReadOptions = {},
  ): AsyncGenerator<ReadChunk> {
    if (!Number.isSafeInteger(fromOffset) || fromOffset < 0) {
      throw new CascadeError('INVALID_ARGUMENT', `fromOffset must be a non-negative integer`, {
        details: { fromOffset },
      });
    }
    const maxRecords = options.maxRecords ?? Number.POSITIVE_INFINITY;
    const maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
    let records = 0;
    let bytes = 0;
    let next = fromOffset;
    for await (const object of this.#objectsFrom(partition, fromOffset)) {
      const { baseOffset, recordCount } = object.meta;
      const stream = (await this.#store.getStream(object.name)).stream;
      const out: LogRecord[] = [];
      let expected = baseOffset;
      let stopped = false;
      for await (const record of decodeDataObject(stream)) {
        if (record.offset !== expected++) {
          throw new CascadeError('CORRUPT_DATA', `${object.name}: record offsets are not dense`, {
            details: { object: object.name, offset: record.offset },
          });
        }
        if (record.offset < next) continue;
        const size = estimateRecordBytes(record);
        if (records > 0 && (records >= maxRecords || bytes + size > maxBytes)) {
          stopped = true;
          break;
        }
        out.push(record);
        records++;
        bytes += size;
        next = record.offset + 1;
      }
      if (!stopped && expected !== baseOffset + recordCount) {
        throw new CascadeError('CORRUPT_DATA', `${object.name}: holds a different record count`, {
          details: { object: object.name, records: expected - baseOffset, recordCount },
        });
      }
      if (out.length > 0) yield { partition, object: object.name, records: out, nextOffset: next };
      if (stopped || records >= maxRecords) return;
    }
  }

  /** The offset the next record of the partition will get (0 when empty). */
  async endOffset(partition: number): Promise<number> {
    let end = 0;
    for await (const object of listTail(this.#store, this.#stream, partition)) {
      end = object.meta.baseOffset + object.meta.recordCount;
    }
    return end;
  }

  async *#objectsFrom(partition: number, offset: number): AsyncGenerator<ListedObject> {
    const lookback = Math.max(this.#stream.maxBatchRecords, DEFAULT_LOOKBACK);
    const start = Math.max(0, offset - lookback);
    let listing = listTail(this.#store, this.#stream, partition, start);
    let first = await listing.next();
    if (!first.done && first.value.meta.baseOffset > offset && start > 0) {
      // The object holding `offset` starts before the lookback: list from the start.
      await listing.return(undefined);
      listing = listTail(this.#store, this.#stream, partition);
      first = await listing.next();
    }
    if (!first.done && first.value.meta.baseOffset > offset) {
      throw new CascadeError(
        'OFFSET_OUT_OF_RANGE',
        `offset ${offset} is before the partition's start`,
        {
          retryable: false,
          details: { partition, offset, start: first.value.meta.baseOffset },
        },
      );
    }
    for (let item = first; !item.done; item = await listing.next()) {
      const { baseOffset, recordCount } = item.value.meta;
      if (baseOffset + recordCount > offset) yield item.value;
    }
  }
}
