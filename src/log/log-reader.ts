import { CascadeError, hasCode } from '../errors.ts';
import type { ObjectStore } from '../storage/index.ts';
import { findSegment, type Manifest, readManifest, type SegmentEntry } from './manifest.ts';
import { listTail } from './partition-scan.ts';
import { estimateRecordBytes } from './record-format.ts';
import { manifestName } from './segment-names.ts';
import {
  readSegmentRecord,
  type ScanTuning,
  scanSegment,
  segmentOffsetForTime,
} from './segment-reader.ts';
import { type ReadChunk, type ReadOptions, TailReader } from './tail-reader.ts';
import type { LogRecord, StreamSettings } from './types.ts';

/** Manifest refreshes in a row without progress before a read gives up. */
const MAX_REFRESHES = 4;

/**
 * Reads a partition at any offset or time: compacted segments through the
 * manifest and their indexes, the uncompacted tail through {@link TailReader}.
 *
 * The manifest is cached per partition and re-read only when a read finds
 * that it is stale (an offset past what it knows, a tail object compacted and
 * deleted, a segment removed by retention). With a warm manifest a random
 * lookup in a segment costs two ranged reads: one offset index entry, then
 * the record (or its block).
 *
 * @example
 * const reader = new LogReader({ store, stream });
 * const record = await reader.lookup(0, 123_456);
 * for await (const chunk of reader.readFrom(0, 1000, { maxRecords: 500 })) send(chunk.records);
 * const offset = await reader.offsetForTime(0, Date.parse('2026-01-01') * 1000);
 */
export class LogReader {
  #store: ObjectStore;
  #stream: StreamSettings;
  #tail: TailReader;
  #manifests = new Map<number, { manifest: Manifest; readAt: number }>();
  #scan: Partial<ScanTuning>;
  #ttlMs: number;
  #clock: () => number;

  constructor(options: {
    store: ObjectStore;
    stream: StreamSettings;
    /** Segment read sizes for long scans. */
    scan?: Partial<ScanTuning>;
    /**
     * A cached manifest older than this is re-read before use (default 30 s),
     * bounding how long retention's new start offset goes unnoticed.
     */
    manifestTtlMs?: number;
    clock?: () => number;
  }) {
    this.#store = options.store;
    this.#stream = options.stream;
    this.#tail = new TailReader({ store: options.store, stream: options.stream });
    this.#scan = options.scan ?? {};
    this.#ttlMs = options.manifestTtlMs ?? 30_000;
    this.#clock = options.clock ?? Date.now;
  }

  /** The partition's readable range: [start, end). */
  async offsets(partition: number): Promise<{ start: number; end: number }> {
    const manifest = await this.#manifest(partition, true);
    let end = manifest.tailStart;
    for await (const object of listTail(this.#store, this.#stream, partition, manifest.tailStart)) {
      end = Math.max(end, object.meta.baseOffset + object.meta.recordCount);
    }
    return { start: manifest.startOffset, end };
  }

  /** The record at `offset`; OFFSET_OUT_OF_RANGE below the start or at/after the end. */
  async lookup(partition: number, offset: number): Promise<LogRecord> {
    checkOffset(offset);
    for (let refresh = 0; ; refresh++) {
      const manifest = await this.#manifest(partition, refresh > 0);
      if (offset < manifest.startOffset) {
        if (refresh === 0) continue;
        throw await this.#outOfRange(partition, offset);
      }
      try {
        const segment = findSegment(manifest, offset);
        if (segment) return await readSegmentRecord(this.#store, segment, offset);
        for await (const chunk of this.#tail.read(partition, offset, { maxRecords: 1 })) {
          const record = chunk.records[0];
          if (record) return record;
        }
        if (refresh > 0) throw await this.#outOfRange(partition, offset);
      } catch (error) {
        if (!isStale(error) || refresh >= MAX_REFRESHES) throw error;
      }
    }
  }

  /**
   * Yields the records from `offset` on, in chunks (one per segment read or
   * tail object), until the end of the partition or a limit. Memory stays
   * bounded by one chunk whatever the range.
   */
  async *readFrom(
    partition: number,
    offset: number,
    options: ReadOptions = {},
  ): AsyncGenerator<ReadChunk> {
    checkOffset(offset);
    const maxRecords = options.maxRecords ?? Number.POSITIVE_INFINITY;
    const maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
    let next = offset;
    let records = 0;
    let bytes = 0;
    let refreshes = 0;
    let refresh = false;
    while (records < maxRecords && bytes < maxBytes) {
      const manifest = await this.#manifest(partition, refresh);
      if (next < manifest.startOffset) {
        if (!refresh) {
          refresh = true;
          continue;
        }
        throw await this.#outOfRange(partition, next);
      }
      const before = next;
      try {
        const segment = findSegment(manifest, next);
        const chunks = segment
          ? this.#segmentChunks(partition, segment, next)
          : this.#tail.read(partition, next, {
              maxRecords: maxRecords - records,
              maxBytes: Number.isFinite(maxBytes) ? maxBytes - bytes : undefined,
            });
        for await (const chunk of chunks) {
          const out: LogRecord[] = [];
          for (const record of chunk.records) {
            const size = estimateRecordBytes(record);
            if (records > 0 && (records >= maxRecords || bytes + size > maxBytes)) break;
            out.push(record);
            records++;
            bytes += size;
          }
          if (out.length === 0) return;
          next = out.at(-1)!.offset + 1;
          yield { partition, object: chunk.object, records: out, nextOffset: next };
          if (out.length < chunk.records.length || records >= maxRecords) return;
        }
        if (!segment) return; // the tail ran to the partition's end
        refresh = false;
      } catch (error) {
        if (!isStale(error)) throw error;
        refreshes = next === before ? refreshes + 1 : 0;
        if (refreshes > MAX_REFRESHES) throw error;
        refresh = true;
      }
    }
  }

  /**
   * The first offset whose publish_time ≥ `timeMicros`, or undefined when no
   * record is that recent. Segments are chosen by their min/max publish times
   * in the manifest, then searched through their time index.
   */
  async offsetForTime(partition: number, timeMicros: number): Promise<number | undefined> {
    for (let refresh = 0; ; refresh++) {
      const manifest = await this.#manifest(partition, refresh > 0);
      try {
        for (const segment of manifest.segments) {
          if (segment.maxPublishTimeMicros < timeMicros) continue;
          const found = await segmentOffsetForTime(this.#store, segment, timeMicros);
          if (found !== undefined) return found;
        }
        for await (const object of listTail(
          this.#store,
          this.#stream,
          partition,
          manifest.tailStart,
        )) {
          if (object.meta.baseOffset + object.meta.recordCount <= manifest.tailStart) continue;
          if (object.meta.maxPublishTimeMicros < timeMicros) continue;
          const from = Math.max(object.meta.baseOffset, manifest.tailStart);
          for await (const chunk of this.#tail.read(partition, from, {
            maxRecords: object.meta.baseOffset + object.meta.recordCount - from,
          })) {
            const hit = chunk.records.find((r) => r.publishTimeMicros >= timeMicros);
            if (hit) return hit.offset;
          }
        }
        return undefined;
      } catch (error) {
        if (!isStale(error) || refresh >= MAX_REFRESHES) throw error;
      }
    }
  }

  /** Forgets cached manifests (e.g. after this process compacted the partition). */
  invalidate(partition?: number): void {
    if (partition === undefined) this.#manifests.clear();
    else this.#manifests.delete(partition);
  }

  async *#segmentChunks(
    partition: number,
    segment: SegmentEntry,
    from: number,
  ): AsyncGenerator<ReadChunk> {
    for await (const records of scanSegment(this.#store, segment, from, this.#scan)) {
      yield {
        partition: partition,
        object: segment.data.name,
        records,
        nextOffset: records.at(-1)!.offset + 1,
      };
    }
  }

  async #manifest(partition: number, refresh: boolean): Promise<Manifest> {
    const now = this.#clock();
    const cached = this.#manifests.get(partition);
    if (cached && !refresh && now - cached.readAt < this.#ttlMs) return cached.manifest;
    const { manifest } = await readManifest(this.#store, manifestName(this.#stream, partition));
    this.#manifests.set(partition, { manifest, readAt: now });
    return manifest;
  }

  async #outOfRange(partition: number, offset: number): Promise<CascadeError> {
    const { start, end } = await this.offsets(partition);
    return new CascadeError(
      'OFFSET_OUT_OF_RANGE',
      offset < start
        ? `offset ${offset} is before the partition's start offset ${start}`
        : `offset ${offset} is at or past the partition's end offset ${end}`,
      { retryable: false, details: { partition, offset, startOffset: start, endOffset: end } },
    );
  }
}

/** Errors that mean "the manifest this read used is out of date". */
function isStale(error: unknown): boolean {
  return hasCode(error, 'OFFSET_OUT_OF_RANGE') || hasCode(error, 'NOT_FOUND');
}

function checkOffset(offset: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new CascadeError('INVALID_ARGUMENT', 'offset must be a non-negative integer', {
      details: { offset },
    });
  }
}
