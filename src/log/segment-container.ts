import { createHash } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import avsc from 'avsc';
import { CascadeError } from '../errors.ts';
import { type AvroRecord, FORMAT_VERSION, headerType, recordType } from './record-format.ts';

/**
 * Avro Object Container File plumbing shared by the segment writer, the
 * compactor's verification pass and the reader. Segments use the same record
 * schema as tail objects; their container layout is the Avro specification's:
 *
 *   magic "Obj\x01" | header meta map<bytes> | sync (16) |
 *   blocks: count (zigzag varint) | size (zigzag varint) | data (size bytes) | sync (16)
 *
 * Header metadata of a segment, besides avro.schema and avro.codec:
 *   cascade.version  "1"
 *   cascade.segment  "<base>-<end>" (end exclusive)
 * The sync marker is derived from the segment's identity, so two compactors
 * writing the same segment produce byte-identical objects.
 */

/** Codecs a segment may use ("null" keeps records individually addressable). */
export const SEGMENT_CODECS = ['null', 'deflate'] as const;
/** One of {@link SEGMENT_CODECS}. */
export type SegmentCodec = (typeof SEGMENT_CODECS)[number];

const longType = avsc.Type.forSchema('long');
const SYNC_BYTES = 16;
/** A header larger than this is not one Cascade wrote. */
const MAX_HEADER_BYTES = 16 * 1024 * 1024;

/** Deterministic sync marker of a segment. */
export function segmentSyncMarker(identity: string): Buffer {
  return createHash('sha256').update(`cascade-segment:${identity}`).digest().subarray(0, 16);
}

/** Header metadata of a segment. */
export function segmentHeaderMetadata(base: number, end: number): Record<string, Buffer> {
  return {
    'cascade.version': Buffer.from(FORMAT_VERSION),
    'cascade.segment': Buffer.from(`${base}-${end}`),
  };
}

/** One record as found in a container, with where it sits. */
export interface LocatedRecord {
  value: AvroRecord;
  /** Absolute byte position of the block holding the record. */
  blockPosition: number;
  /** Whole block length: count, size, data and sync. */
  blockLength: number;
  /** Index of the record within its block. */
  ordinal: number;
  /** Absolute position and encoded length of the record (codec null only; else -1). */
  recordPosition: number;
  recordLength: number;
}

/**
 * Walks a container file fed in chunks of any size, calling `onRecord` for
 * every record with its position. Positions are taken from the bytes
 * themselves (block headers, sync markers and the record type's decode
 * offsets), never assumed. Holds at most one block plus one chunk.
 */
export class ContainerWalker {
  #pending: Buffer = Buffer.alloc(0);
  #queued: Buffer[] = [];
  #queuedBytes = 0;
  /** Bytes #pending must reach before parsing can make progress. */
  #needed = 0;
  /** Absolute position of #pending[0]. */
  #at = 0;
  #sync: Buffer | undefined;
  #codec: SegmentCodec = 'null';
  #onRecord: (record: LocatedRecord) => void;
  #label: string;
  /** Header metadata once the header has been read. */
  meta: Record<string, Buffer> | undefined;
  records = 0;

  constructor(label: string, onRecord: (record: LocatedRecord) => void) {
    this.#label = label;
    this.#onRecord = onRecord;
  }

  get codec(): SegmentCodec {
    return this.#codec;
  }

  /** Total bytes consumed so far. */
  get position(): number {
    return this.#at;
  }

  push(chunk: Uint8Array): void {
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.#queued.push(bytes);
    this.#queuedBytes += bytes.byteLength;
    // Joining chunks only once a whole block (or header) can be there keeps
    // the cost linear when blocks are much larger than chunks.
    if (this.#pending.byteLength + this.#queuedBytes < this.#needed) return;
    this.#pending = Buffer.concat([this.#pending, ...this.#queued]);
    this.#queued = [];
    this.#queuedBytes = 0;
    this.#needed = 0;
    if (!this.#sync && !this.#readHeader()) return;
    while (this.#readBlock()) {
      // each iteration consumed one block
    }
  }

  /** Call after the last chunk: leftover bytes mean a truncated object. */
  end(): void {
    const left = this.#pending.byteLength + this.#queuedBytes;
    if (!this.#sync || left !== 0) {
      throw corrupt(`${this.#label}: truncated at byte ${this.#at + left}`);
    }
  }

  #readHeader(): boolean {
    let decoded: { value: unknown; offset: number };
    try {
      decoded = headerType.decode(this.#pending, 0);
    } catch (error) {
      throw corrupt(`${this.#label}: header is not Avro`, error);
    }
    if (decoded.offset < 0) {
      if (this.#pending.byteLength > MAX_HEADER_BYTES) throw corrupt(`${this.#label}: no header`);
      this.#needed = this.#pending.byteLength + 1;
      return false;
    }
    const header = decoded.value as { magic: Buffer; meta: Record<string, Buffer>; sync: Buffer };
    if (header.magic.toString('latin1') !== 'Obj\x01') {
      throw corrupt(`${this.#label}: not an Avro container`);
    }
    const version = header.meta['cascade.version']?.toString('utf8');
    if (version !== FORMAT_VERSION) {
      throw new CascadeError('UNSUPPORTED_VERSION', `${this.#label}: version ${version}`, {
        retryable: false,
        details: { version },
      });
    }
    const codec = header.meta['avro.codec']?.toString('utf8') ?? 'null';
    if (!(SEGMENT_CODECS as readonly string[]).includes(codec)) {
      throw corrupt(`${this.#label}: unsupported codec ${codec}`);
    }
    this.#codec = codec as SegmentCodec;
    this.meta = header.meta;
    this.#sync = Buffer.from(header.sync);
    this.#consume(decoded.offset);
    return true;
  }

  #readBlock(): boolean {
    const buf = this.#pending;
    if (buf.byteLength === 0) return false;
    const count = decodeLong(buf, 0, this.#label);
    if (!count) return false;
    const size = decodeLong(buf, count.next, this.#label);
    if (!size) return false;
    if (count.value < 1 || size.value < 0) throw corrupt(`${this.#label}: bad block header`);
    const dataStart = size.next;
    const blockLength = dataStart + size.value + SYNC_BYTES;
    if (buf.byteLength < blockLength) {
      this.#needed = blockLength;
      return false;
    }
    const sync = buf.subarray(dataStart + size.value, blockLength);
    if (!sync.equals(this.#sync!)) {
      throw corrupt(`${this.#label}: sync marker mismatch at byte ${this.#at}`);
    }
    const raw = buf.subarray(dataStart, dataStart + size.value);
    const blockPosition = this.#at;
    const data = blockData(raw, this.#codec, `${this.#label} (block at byte ${blockPosition})`);
    let pos = 0;
    for (let ordinal = 0; ordinal < count.value; ordinal++) {
      const { value, next } = decodeRecord(data, pos, this.#label);
      const direct = this.#codec === 'null';
      this.#onRecord({
        value,
        blockPosition,
        blockLength,
        ordinal,
        recordPosition: direct ? blockPosition + dataStart + pos : -1,
        recordLength: direct ? next - pos : -1,
      });
      this.records++;
      pos = next;
    }
    if (pos !== data.byteLength) {
      throw corrupt(`${this.#label}: block at byte ${blockPosition} has trailing bytes`);
    }
    this.#consume(blockLength);
    return true;
  }

  #consume(bytes: number): void {
    this.#pending = this.#pending.subarray(bytes);
    this.#at += bytes;
  }
}

/** Decodes one record at `pos`; a short or malformed record is CORRUPT_DATA. */
export function decodeRecord(
  buf: Buffer,
  pos: number,
  label: string,
): { value: AvroRecord; next: number } {
  let decoded: { value: unknown; offset: number };
  try {
    decoded = recordType.decode(buf, pos);
  } catch (error) {
    throw corrupt(`${label}: record at byte ${pos} does not decode`, error);
  }
  if (decoded.offset < 0) throw corrupt(`${label}: record at byte ${pos} is truncated`);
  return { value: decoded.value as AvroRecord, next: decoded.offset };
}

/** Reads a block's count and size varints. */
export function decodeBlockHeader(
  buf: Buffer,
  label: string,
): { count: number; size: number; dataStart: number } {
  const count = decodeLong(buf, 0, label);
  const size = count && decodeLong(buf, count.next, label);
  if (!count || !size || count.value < 1 || size.value < 0) {
    throw corrupt(`${label}: bad block header`);
  }
  return { count: count.value, size: size.value, dataStart: size.next };
}

function decodeLong(
  buf: Buffer,
  pos: number,
  label: string,
): { value: number; next: number } | undefined {
  let decoded: { value: unknown; offset: number };
  try {
    decoded = longType.decode(buf, pos);
  } catch (error) {
    throw corrupt(`${label}: bad varint at byte ${pos}`, error);
  }
  if (decoded.offset < 0) return undefined;
  return { value: decoded.value as number, next: decoded.offset };
}

/** Inflates a block's data when the codec compresses. */
export function blockData(raw: Buffer, codec: SegmentCodec, label: string): Buffer {
  if (codec === 'null') return raw;
  try {
    return inflateRawSync(raw);
  } catch (error) {
    throw corrupt(`${label}: block does not inflate`, error);
  }
}

/** A non-retryable CORRUPT_DATA error. */
export function corrupt(message: string, cause?: unknown): CascadeError {
  return new CascadeError('CORRUPT_DATA', message, { retryable: false, cause });
}
