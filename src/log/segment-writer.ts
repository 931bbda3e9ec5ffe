import { once } from 'node:events';
import avsc from 'avsc';
import { CascadeError, hasCode } from '../errors.ts';
import type { ObjectStore } from '../storage/index.ts';
import { OffsetIndexBuilder } from './offset-index.ts';
import { readAhead } from './read-ahead.ts';
import { type AvroRecord, recordType } from './record-format.ts';
import {
  ContainerWalker,
  corrupt,
  type SegmentCodec,
  segmentHeaderMetadata,
  segmentSyncMarker,
} from './segment-container.ts';
import { encodeTimeIndex, type TimeIndexEntry } from './time-index.ts';

/** Records read ahead of the encoder, so tail reads overlap segment writes. */
const READ_AHEAD_BYTES = 8 * 1024 * 1024;

/** Segment bytes gathered before they are handed to the store. */
const OUTPUT_CHUNK_BYTES = 1024 * 1024;

function recordWeight(record: AvroRecord): number {
  return record.data.byteLength + 64;
}

/** Consecutive tail objects to merge into the segment [base, end). */
export interface SegmentPlan {
  base: number;
  end: number;
  sources: { name: string; base: number; count: number }[];
}

export interface SegmentFormat {
  codec: SegmentCodec;
  /** Uncompressed bytes per Avro block (avsc's blockSize). */
  blockBytes: number;
  /** One time index entry every this many records (plus the last record). */
  timeIndexInterval: number;
}

/** What a written (or verified existing) segment holds, with its index objects' bytes. */
export interface BuiltSegment {
  size: number;
  records: number;
  codec: SegmentCodec;
  minPublishTimeMicros: number;
  maxPublishTimeMicros: number;
  offsetIndex: Uint8Array;
  timeIndex: Uint8Array;
  timeEntries: number;
  /** True when the object already existed and was verified instead of written. */
  reused: boolean;
}

/**
 * Derives a segment's offset and time indexes from its bytes as they go by,
 * and checks that it holds exactly the records base..end-1 in order.
 */
export class SegmentIndexer {
  #walker: ContainerWalker;
  #base: number;
  #end: number;
  #interval: number;
  #offsets: OffsetIndexBuilder | undefined;
  #times: TimeIndexEntry[] = [];
  #next: number;
  #runningMax = Number.NEGATIVE_INFINITY;
  #min = Number.POSITIVE_INFINITY;
  #label: string;

  constructor(label: string, base: number, end: number, timeIndexInterval: number) {
    this.#label = label;
    this.#base = base;
    this.#end = end;
    this.#next = base;
    this.#interval = timeIndexInterval;
    this.#walker = new ContainerWalker(label, (r) => {
      const offset = r.value.offset;
      if (offset !== this.#next || offset >= this.#end) {
        throw corrupt(`${label}: record ${offset} where ${this.#next} belongs`);
      }
      const direct = this.#walker.codec === 'null';
      this.#offsets ??= new OffsetIndexBuilder(base, { blockAddressed: !direct }, 4096);
      this.#offsets.append(
        direct
          ? { position: r.recordPosition, length: r.recordLength, ordinal: 0 }
          : { position: r.blockPosition, length: r.blockLength, ordinal: r.ordinal },
      );
      const time = r.value.publish_time;
      this.#min = Math.min(this.#min, time);
      this.#runningMax = Math.max(this.#runningMax, time);
      if ((offset - this.#base + 1) % this.#interval === 0) {
        this.#times.push({ maxTime: this.#runningMax, offset });
      }
      this.#next++;
    });
  }

  push(chunk: Uint8Array): void {
    this.#walker.push(chunk);
  }

  finish(reused: boolean): BuiltSegment {
    this.#walker.end();
    if (this.#next !== this.#end || !this.#offsets) {
      throw corrupt(`${this.#label}: ends at ${this.#next}, expected ${this.#end}`);
    }
    const last = this.#end - 1;
    if (this.#times.at(-1)?.offset !== last) {
      this.#times.push({ maxTime: this.#runningMax, offset: last });
    }
    return {
      size: this.#walker.position,
      records: this.#end - this.#base,
      codec: this.#walker.codec,
      minPublishTimeMicros: this.#min,
      maxPublishTimeMicros: this.#runningMax,
      offsetIndex: this.#offsets.finish(),
      timeIndex: encodeTimeIndex(this.#base, this.#times),
      timeEntries: this.#times.length,
      reused,
    };
  }
}

/**
 * Streams the plan's tail objects into one segment object (create-if-absent,
 * through putStream so the segment is never whole in memory) and returns it
 * with its indexes. When the name already exists (a rerun, or a concurrent
 * compactor) the stored object is read back and verified instead; an existing
 * object older than `reuseMaxAgeMs` is replaced, because garbage collection
 * may be about to delete it.
 */
export async function writeSegment(
  store: ObjectStore,
  name: string,
  plan: SegmentPlan,
  format: SegmentFormat,
  options: { identity: string; now: () => number; reuseMaxAgeMs: number },
): Promise<BuiltSegment> {
  for (let attempt = 0; attempt < 2; attempt++) {
    let indexer: SegmentIndexer | undefined;
    const source = () => {
      indexer = new SegmentIndexer(name, plan.base, plan.end, format.timeIndexInterval);
      const records = readAhead(readSources(store, plan), READ_AHEAD_BYTES, recordWeight);
      const chunks = encodeSegment(records, plan, format, options.identity);
      return observe(chunks, (chunk) => indexer!.push(chunk));
    };
    try {
      await store.putStream(name, source, {
        ifGenerationMatch: 0,
        contentType: 'avro/binary',
        metadata: {
          'cascade-version': '1',
          'cascade-segment-base': String(plan.base),
          'cascade-segment-end': String(plan.end),
          'cascade-codec': format.codec,
        },
      });
      if (!indexer) throw new CascadeError('INTERNAL', `${name}: store never read the segment`);
      return indexer.finish(false);
    } catch (error) {
      if (!hasCode(error, 'PRECONDITION_FAILED')) throw error;
    }
    const existing = await store.getStream(name);
    if (options.now() - existing.updated.getTime() > options.reuseMaxAgeMs) {
      drain(existing.stream);
      await deleteIfGeneration(store, name, existing.generation);
      continue;
    }
    const verifier = new SegmentIndexer(name, plan.base, plan.end, format.timeIndexInterval);
    for await (const chunk of existing.stream) verifier.push(chunk);
    return verifier.finish(true);
  }
  throw new CascadeError('CONTENTION', `${name}: replaced concurrently`, { details: { name } });
}

/** Reads the plan's tail objects in order, checking offsets stay dense. */
async function* readSources(store: ObjectStore, plan: SegmentPlan): AsyncGenerator<AvroRecord> {
  let expected = plan.base;
  for (const source of plan.sources) {
    if (source.base !== expected) throw corrupt(`${source.name}: not at offset ${expected}`);
    const values: AvroRecord[] = [];
    const walker = new ContainerWalker(source.name, (r) => values.push(r.value));
    const read = await store.getStream(source.name);
    let bytes = 0;
    for await (const chunk of read.stream) {
      bytes += chunk.byteLength;
      walker.push(chunk);
      for (const value of values) {
        if (value.offset !== expected) {
          throw corrupt(`${source.name}: record ${value.offset} where ${expected} belongs`);
        }
        expected++;
        yield value;
      }
      values.length = 0;
    }
    if (bytes !== read.size) {
      // The transport ended early; the object itself is whole.
      throw new CascadeError('UNAVAILABLE', `${source.name}: read ${bytes} of ${read.size} bytes`, {
        details: { name: source.name, bytes, size: read.size },
      });
    }
    walker.end();
    if (expected !== source.base + source.count) {
      throw corrupt(`${source.name}: holds ${expected - source.base} records, not ${source.count}`);
    }
  }
  if (expected !== plan.end) throw corrupt(`segment plan ends at ${expected}, not ${plan.end}`);
}

/** Encodes records as one container file with avsc, yielding its bytes as they come. */
async function* encodeSegment(
  values: AsyncIterable<AvroRecord>,
  plan: SegmentPlan,
  format: SegmentFormat,
  identity: string,
): AsyncGenerator<Buffer> {
  const encoder = new avsc.streams.BlockEncoder(recordType, {
    codec: format.codec,
    blockSize: format.blockBytes,
    writeHeader: 'always',
    syncMarker: segmentSyncMarker(`${identity}/${plan.base}-${plan.end}`),
    metadata: segmentHeaderMetadata(plan.base, plan.end),
  } as Partial<avsc.EncoderOptions>);
  const out: Buffer[] = [];
  encoder.on('data', (chunk: Buffer) => out.push(chunk));
  const ended = once(encoder, 'end');
  ended.catch(() => {}); // errors surface through the awaits below
  let outBytes = 0;
  encoder.on('data', (chunk: Buffer) => {
    outBytes += chunk.byteLength;
  });
  // avsc emits each block as four small pushes; handing the store fewer,
  // larger chunks saves a write (and an await) per piece.
  const take = (): Buffer => {
    const joined = out.length === 1 ? out[0]! : Buffer.concat(out);
    out.length = 0;
    outBytes = 0;
    return joined;
  };
  try {
    for await (const value of values) {
      if (!encoder.write(value)) await Promise.race([once(encoder, 'drain'), ended]);
      if (outBytes >= OUTPUT_CHUNK_BYTES) yield take();
    }
    encoder.end();
    await ended;
    if (out.length > 0) yield take();
  } finally {
    encoder.destroy();
  }
}

async function* observe(
  chunks: AsyncIterable<Buffer>,
  see: (chunk: Buffer) => void,
): AsyncGenerator<Buffer> {
  for await (const chunk of chunks) {
    see(chunk);
    yield chunk;
  }
}

function drain(stream: AsyncIterable<Uint8Array>): void {
  const iterator = stream[Symbol.asyncIterator]();
  void iterator.return?.();
}

async function deleteIfGeneration(store: ObjectStore, name: string, generation: number) {
  try {
    await store.delete(name, { ifGenerationMatch: generation });
  } catch (error) {
    if (!hasCode(error, 'NOT_FOUND') && !hasCode(error, 'PRECONDITION_FAILED')) throw error;
  }
}
