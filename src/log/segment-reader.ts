import { CascadeError } from '../errors.ts';
import type { ObjectStore } from '../storage/index.ts';
import type { SegmentEntry } from './manifest.ts';
import {
  decodeOffsetIndexEntries,
  decodeOffsetIndexEntry,
  OFFSET_INDEX_ENTRY_WIDTH,
  type OffsetIndexEntry,
} from './offset-index.ts';
import { decodeRecordView } from './record-decoder.ts';
import { type AvroRecord, fromAvro } from './record-format.ts';
import { blockData, corrupt, decodeBlockHeader } from './segment-container.ts';
import {
  decodeTimeIndexEntry,
  TIME_INDEX_ENTRY_WIDTH,
  type TimeIndexEntry,
  timeIndexScanStart,
} from './time-index.ts';
import type { LogRecord } from './types.ts';

/** Bounds of one scan step: index entries per index read, bytes per segment read. */
export interface ScanTuning {
  entriesPerRead: number;
  bytesPerRead: number;
  /** Start the next chunk's reads before the current one is handed out. */
  prefetch: boolean;
}

const DEFAULT_SCAN: ScanTuning = {
  entriesPerRead: 8192,
  bytesPerRead: 8 * 1024 * 1024,
  prefetch: true,
};

/** A time index up to this size is read whole (one read) instead of binary searched. */
const WHOLE_TIME_INDEX_BYTES = 256 * 1024;

/**
 * Reads the record at `offset` of a segment with exactly two ranged reads:
 * its offset index entry, then its bytes (codec null) or its block (other
 * codecs). The decoded record must carry the requested offset.
 */
export async function readSegmentRecord(
  store: ObjectStore,
  segment: SegmentEntry,
  offset: number,
): Promise<LogRecord> {
  const i = offset - segment.base;
  const start = i * OFFSET_INDEX_ENTRY_WIDTH;
  const indexRead = await store.get(segment.offsetIndex.name, {
    range: { start, end: start + OFFSET_INDEX_ENTRY_WIDTH - 1 },
  });
  checkLength(segment.offsetIndex.name, indexRead, start, start + OFFSET_INDEX_ENTRY_WIDTH - 1);
  const entry = decodeOffsetIndexEntry(indexRead.bytes, offset);
  const [record] = decodeEntries(segment, await fetchEntries(store, segment, offset, [entry]));
  return fromAvro(record!);
}

/**
 * Yields the records of a segment from `from` to its end, in chunks of at
 * most `bytesPerRead` segment bytes (or one block/record when larger), so
 * memory stays bounded however long the range. The next chunk's reads are
 * started before the current one is handed out.
 */
export async function* scanSegment(
  store: ObjectStore,
  segment: SegmentEntry,
  from: number,
  tuning: Partial<ScanTuning> = {},
): AsyncGenerator<LogRecord[]> {
  const { entriesPerRead, bytesPerRead, prefetch } = { ...DEFAULT_SCAN, ...tuning };
  let entries: OffsetIndexEntry[] = [];
  let entriesFrom = from;
  let next = from;
  const plan = async (): Promise<{ first: number; entries: OffsetIndexEntry[] } | undefined> => {
    if (next >= segment.end) return undefined;
    if (next >= entriesFrom + entries.length) {
      const count = Math.min(entriesPerRead, segment.end - next);
      const start = (next - segment.base) * OFFSET_INDEX_ENTRY_WIDTH;
      const read = await store.get(segment.offsetIndex.name, {
        range: { start, end: start + count * OFFSET_INDEX_ENTRY_WIDTH - 1 },
      });
      checkLength(
        segment.offsetIndex.name,
        read,
        start,
        start + count * OFFSET_INDEX_ENTRY_WIDTH - 1,
      );
      entries = decodeOffsetIndexEntries(read.bytes, next);
      entriesFrom = next;
    }
    const available = entries.slice(next - entriesFrom);
    const first = available[0]!;
    let take = 1;
    while (take < available.length) {
      const e = available[take]!;
      if (e.position + e.length - first.position > bytesPerRead) break;
      take++;
    }
    const chosen = available.slice(0, take);
    const at = next;
    next += take;
    return { first: at, entries: chosen };
  };
  // The next chunk's reads run while this chunk is decoded and handed out.
  const fetchNext = () => {
    const promise = plan().then((p) => p && fetchEntries(store, segment, p.first, p.entries));
    promise.catch(() => {});
    return promise;
  };
  let pending = fetchNext();
  for (;;) {
    const fetched = await pending;
    if (!fetched) return;
    if (prefetch) pending = fetchNext();
    yield decodeEntries(segment, fetched).map(fromAvro);
    if (!prefetch) pending = fetchNext();
  }
}

/**
 * First offset in the segment whose publish_time ≥ `time`, through the time
 * index (read whole when small, else binary searched with one ranged read per
 * step) and a scan of at most one sampling interval (one index read, one
 * segment read); undefined when the segment has none.
 */
export async function segmentOffsetForTime(
  store: ObjectStore,
  segment: SegmentEntry,
  time: number,
): Promise<number | undefined> {
  if (segment.maxPublishTimeMicros < time) return undefined;
  if (segment.minPublishTimeMicros >= time) return segment.base;
  const index = { base: segment.base, count: segment.timeIndex.entries };
  const name = segment.timeIndex.name;
  const entriesBytes = index.count * TIME_INDEX_ENTRY_WIDTH;
  let readEntry: (j: number) => Promise<TimeIndexEntry>;
  if (segment.timeIndex.size <= WHOLE_TIME_INDEX_BYTES) {
    const whole = await store.get(name, { range: { start: 0, end: entriesBytes - 1 } });
    checkLength(name, whole, 0, entriesBytes - 1);
    readEntry = async (j) => {
      const at = j * TIME_INDEX_ENTRY_WIDTH;
      return decodeTimeIndexEntry(whole.bytes.subarray(at, at + TIME_INDEX_ENTRY_WIDTH), j);
    };
  } else {
    readEntry = async (j) => {
      const at = j * TIME_INDEX_ENTRY_WIDTH;
      const read = await store.get(name, {
        range: { start: at, end: at + TIME_INDEX_ENTRY_WIDTH - 1 },
      });
      checkLength(name, read, at, at + TIME_INDEX_ENTRY_WIDTH - 1);
      return decodeTimeIndexEntry(read.bytes, j);
    };
  }
  const start = await timeIndexScanStart(time, index, readEntry);
  // The answer is at most one sampling interval after `start`.
  const interval = Math.ceil(segment.records / index.count) + 1;
  const tuning = { entriesPerRead: interval, prefetch: false };
  for await (const records of scanSegment(store, segment, start, tuning)) {
    for (const record of records) {
      if (record.publishTimeMicros >= time) return record.offset;
    }
  }
  return undefined;
}

/** The segment bytes under some consecutive index entries. */
interface FetchedEntries {
  first: number;
  entries: OffsetIndexEntry[];
  bytes: Buffer;
  /** Segment position of bytes[0]. */
  start: number;
}

/** Reads the bytes the entries of records first, first+1, … point at with ONE ranged read. */
async function fetchEntries(
  store: ObjectStore,
  segment: SegmentEntry,
  first: number,
  entries: OffsetIndexEntry[],
): Promise<FetchedEntries> {
  const name = segment.data.name;
  const start = entries[0]!.position;
  const last = entries.at(-1)!;
  const end = last.position + last.length - 1;
  if (end >= segment.data.size) throw corrupt(`${name}: index points past the segment's end`);
  const read = await store.get(name, { range: { start, end } });
  checkLength(name, read, start, end);
  const bytes = Buffer.from(read.bytes.buffer, read.bytes.byteOffset, read.bytes.byteLength);
  return { first, entries, bytes, start };
}

/** Decodes fetched records, checking each one's length and offset against its entry. */
function decodeEntries(segment: SegmentEntry, fetched: FetchedEntries): AvroRecord[] {
  const name = segment.data.name;
  const { first, entries, bytes, start } = fetched;
  const out: AvroRecord[] = [];
  let blockAt = -1;
  let block: { data: Buffer; pos: number; ordinal: number; count: number } | undefined;
  entries.forEach((entry, k) => {
    const offset = first + k;
    let value: AvroRecord;
    if (segment.codec === 'null') {
      const at = entry.position - start;
      const decoded = decodeRecordView(bytes, at, name);
      if (decoded.next - at !== entry.length) {
        throw corrupt(`${name}: record ${offset} is not ${entry.length} bytes long`);
      }
      value = decoded.value;
    } else {
      if (entry.position !== blockAt) {
        const raw = bytes.subarray(entry.position - start, entry.position - start + entry.length);
        const header = decodeBlockHeader(raw, name);
        if (header.dataStart + header.size + 16 !== entry.length) {
          throw corrupt(`${name}: block at ${entry.position} is not ${entry.length} bytes long`);
        }
        const data = blockData(
          raw.subarray(header.dataStart, header.dataStart + header.size),
          segment.codec,
          name,
        );
        block = { data, pos: 0, ordinal: 0, count: header.count };
        blockAt = entry.position;
      }
      const b = block!;
      if (entry.ordinal >= b.count || entry.ordinal < b.ordinal) {
        throw corrupt(`${name}: ordinal ${entry.ordinal} of record ${offset} is not in its block`);
      }
      let decoded = decodeRecordView(b.data, b.pos, name);
      while (b.ordinal < entry.ordinal) {
        b.pos = decoded.next;
        b.ordinal++;
        decoded = decodeRecordView(b.data, b.pos, name);
      }
      value = decoded.value;
      b.pos = decoded.next;
      b.ordinal++;
    }
    if (value.offset !== offset) {
      throw new CascadeError(
        'CORRUPT_DATA',
        `${name}: index entry for ${offset} finds ${value.offset}`,
        {
          retryable: false,
          details: { name, offset, found: value.offset },
        },
      );
    }
    out.push(value);
  });
  return out;
}

/**
 * A ranged read must return every byte asked for. Short because the object
 * is shorter: the object is damaged (CORRUPT_DATA). Short although the object
 * is long enough: the transport cut it (UNAVAILABLE, retryable).
 */
function checkLength(
  name: string,
  read: { bytes: Uint8Array; size: number },
  start: number,
  end: number,
): void {
  const wanted = end - start + 1;
  if (read.bytes.byteLength === wanted) return;
  if (read.size > end) {
    throw new CascadeError(
      'UNAVAILABLE',
      `${name}: read ${read.bytes.byteLength} of ${wanted} bytes`,
      {
        details: { name, start, end },
      },
    );
  }
  throw corrupt(`${name}: truncated (object is ${read.size} bytes, needed ${end + 1})`);
}
