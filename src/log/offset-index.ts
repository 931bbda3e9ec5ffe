import { crc32 } from 'node:zlib';
import { CascadeError } from '../errors.ts';

/**
 * Offset index object of a compacted segment: locates record `base + i`
 * with one ranged read of `ENTRY_WIDTH` bytes at byte `i × ENTRY_WIDTH`.
 *
 * Layout (version 1, all integers little-endian):
 *
 *   entries   N × 24 bytes, entry i at byte i × 24
 *     0  u64  position   byte position in the segment object:
 *                        codec null    → first byte of record base+i
 *                        other codecs  → first byte of the Avro block holding it
 *     8  u32  length     bytes to read from `position`:
 *                        codec null    → the record's encoded length
 *                        other codecs  → the whole block (count, size, data, sync)
 *    12  u32  ordinal    index of the record within its block (0 for codec null,
 *                        where the entry already points at the record)
 *    16  u32  crc        CRC-32 of (u64 base+i, bytes 0..15 of this entry)
 *    20  u32  reserved   0
 *   trailer   32 bytes at byte N × 24
 *     0  4B   magic      "CSOI"
 *     4  u16  version    1
 *     6  u16  width      24
 *     8  u64  base       offset of entry 0
 *    16  u64  count      N
 *    24  u32  flags      bit 0: block-addressed (a compressing codec)
 *    28  u32  crc        CRC-32 of trailer bytes 0..27
 *
 * Binding the record's absolute offset into each entry's CRC means a reader
 * that asked for entry i of the wrong index, or got shifted bytes, sees a
 * checksum mismatch instead of silently returning another record.
 */
export const OFFSET_INDEX_MAGIC = 'CSOI';
export const OFFSET_INDEX_VERSION = 1;
export const OFFSET_INDEX_ENTRY_WIDTH = 24;
export const OFFSET_INDEX_TRAILER_BYTES = 32;
const FLAG_BLOCK_ADDRESSED = 1;

/** Where one record is: see the layout above. */
export interface OffsetIndexEntry {
  position: number;
  length: number;
  ordinal: number;
}

/** The decoded trailer of an offset index object. */
export interface OffsetIndexTrailer {
  version: number;
  width: number;
  base: number;
  count: number;
  blockAddressed: boolean;
}

/** Encodes a whole offset index: entries for base, base+1, … then the trailer. */
export function encodeOffsetIndex(
  base: number,
  entries: readonly OffsetIndexEntry[],
  options: { blockAddressed: boolean },
): Uint8Array {
  const builder = new OffsetIndexBuilder(base, options, entries.length);
  for (const entry of entries) builder.append(entry);
  return builder.finish();
}

/**
 * Builds an offset index one entry at a time into one growing buffer (24
 * bytes per record, no per-entry objects), for segments of millions of records.
 */
export class OffsetIndexBuilder {
  readonly base: number;
  #blockAddressed: boolean;
  #out: Buffer;
  #count = 0;

  constructor(base: number, options: { blockAddressed: boolean }, expected = 1024) {
    this.base = base;
    this.#blockAddressed = options.blockAddressed;
    this.#out = Buffer.alloc(Math.max(1, expected) * OFFSET_INDEX_ENTRY_WIDTH);
  }

  get count(): number {
    return this.#count;
  }

  /** Appends the entry of record `base + count`. */
  append(entry: OffsetIndexEntry): void {
    const at = this.#count * OFFSET_INDEX_ENTRY_WIDTH;
    if (at + OFFSET_INDEX_ENTRY_WIDTH > this.#out.byteLength) {
      const grown = Buffer.alloc(this.#out.byteLength * 2);
      this.#out.copy(grown);
      this.#out = grown;
    }
    encodeEntryInto(this.#out, at, this.base + this.#count, entry);
    this.#count++;
  }

  /** The whole index object: entries then trailer. */
  finish(): Uint8Array {
    const t = this.#count * OFFSET_INDEX_ENTRY_WIDTH;
    const out = Buffer.alloc(t + OFFSET_INDEX_TRAILER_BYTES);
    this.#out.copy(out, 0, 0, t);
    out.write(OFFSET_INDEX_MAGIC, t, 'latin1');
    out.writeUInt16LE(OFFSET_INDEX_VERSION, t + 4);
    out.writeUInt16LE(OFFSET_INDEX_ENTRY_WIDTH, t + 6);
    out.writeBigUInt64LE(BigInt(this.base), t + 8);
    out.writeBigUInt64LE(BigInt(this.#count), t + 16);
    out.writeUInt32LE(this.#blockAddressed ? FLAG_BLOCK_ADDRESSED : 0, t + 24);
    out.writeUInt32LE(crc32(out.subarray(t, t + 28)), t + 28);
    return out;
  }
}

/**
 * Decodes the consecutive entries of records `first`, `first + 1`, … from the
 * bytes of one ranged read (a whole number of entries), checking each.
 */
export function decodeOffsetIndexEntries(bytes: Uint8Array, first: number): OffsetIndexEntry[] {
  if (bytes.byteLength % OFFSET_INDEX_ENTRY_WIDTH !== 0) {
    throw corrupt(
      `offset index read from ${first} is ${bytes.byteLength} bytes, not whole entries`,
    );
  }
  const out: OffsetIndexEntry[] = [];
  for (let i = 0; i * OFFSET_INDEX_ENTRY_WIDTH < bytes.byteLength; i++) {
    const at = i * OFFSET_INDEX_ENTRY_WIDTH;
    out.push(decodeOffsetIndexEntry(bytes.subarray(at, at + OFFSET_INDEX_ENTRY_WIDTH), first + i));
  }
  return out;
}

/** Byte range (inclusive) of entry i, for a ranged read. */
export function offsetIndexEntryRange(i: number): { start: number; end: number } {
  const start = i * OFFSET_INDEX_ENTRY_WIDTH;
  return { start, end: start + OFFSET_INDEX_ENTRY_WIDTH - 1 };
}

/**
 * Decodes the entry for record `offset` from the bytes of one ranged read.
 * Throws CORRUPT_DATA on a short read or a checksum mismatch.
 */
export function decodeOffsetIndexEntry(bytes: Uint8Array, offset: number): OffsetIndexEntry {
  if (bytes.byteLength !== OFFSET_INDEX_ENTRY_WIDTH) {
    throw corrupt(
      `offset index entry for ${offset} is ${bytes.byteLength} bytes, expected ${OFFSET_INDEX_ENTRY_WIDTH}`,
    );
  }
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const expected = entryCrc(buf, offset);
  if (buf.readUInt32LE(16) !== expected) {
    throw corrupt(`offset index entry for ${offset} fails its checksum`);
  }
  return {
    position: Number(buf.readBigUInt64LE(0)),
    length: buf.readUInt32LE(8),
    ordinal: buf.readUInt32LE(12),
  };
}

/** Decodes and checks the trailer (the last 32 bytes of the index object). */
export function decodeOffsetIndexTrailer(bytes: Uint8Array): OffsetIndexTrailer {
  if (bytes.byteLength !== OFFSET_INDEX_TRAILER_BYTES) {
    throw corrupt(`offset index trailer is ${bytes.byteLength} bytes, expected 32`);
  }
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.toString('latin1', 0, 4) !== OFFSET_INDEX_MAGIC) {
    throw corrupt('offset index trailer has the wrong magic');
  }
  if (buf.readUInt32LE(28) !== crc32(buf.subarray(0, 28))) {
    throw corrupt('offset index trailer fails its checksum');
  }
  const version = buf.readUInt16LE(4);
  if (version !== OFFSET_INDEX_VERSION) {
    throw new CascadeError(
      'UNSUPPORTED_VERSION',
      `offset index version ${version} is not supported`,
    );
  }
  const width = buf.readUInt16LE(6);
  if (width !== OFFSET_INDEX_ENTRY_WIDTH) {
    throw corrupt(`offset index width ${width}, expected ${OFFSET_INDEX_ENTRY_WIDTH}`);
  }
  return {
    version,
    width,
    base: Number(buf.readBigUInt64LE(8)),
    count: Number(buf.readBigUInt64LE(16)),
    blockAddressed: (buf.readUInt32LE(24) & FLAG_BLOCK_ADDRESSED) !== 0,
  };
}

/** Decodes every entry of a whole index object, checking trailer and entries. */
export function decodeOffsetIndex(bytes: Uint8Array): {
  trailer: OffsetIndexTrailer;
  entries: OffsetIndexEntry[];
} {
  if (bytes.byteLength < OFFSET_INDEX_TRAILER_BYTES) {
    throw corrupt(`offset index is ${bytes.byteLength} bytes, shorter than its trailer`);
  }
  const trailer = decodeOffsetIndexTrailer(bytes.subarray(bytes.byteLength - 32));
  if (trailer.count * OFFSET_INDEX_ENTRY_WIDTH + 32 !== bytes.byteLength) {
    throw corrupt(`offset index of ${trailer.count} entries has ${bytes.byteLength} bytes`);
  }
  const entries: OffsetIndexEntry[] = [];
  for (let i = 0; i < trailer.count; i++) {
    const { start, end } = offsetIndexEntryRange(i);
    entries.push(decodeOffsetIndexEntry(bytes.subarray(start, end + 1), trailer.base + i));
  }
  return { trailer, entries };
}

function encodeEntryInto(out: Buffer, at: number, offset: number, entry: OffsetIndexEntry): void {
  for (const [name, value, max] of [
    ['position', entry.position, Number.MAX_SAFE_INTEGER],
    ['length', entry.length, 0xffffffff],
    ['ordinal', entry.ordinal, 0xffffffff],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 0 || value > max) {
      throw new CascadeError('INVALID_ARGUMENT', `offset index ${name} out of range: ${value}`);
    }
  }
  out.writeBigUInt64LE(BigInt(entry.position), at);
  out.writeUInt32LE(entry.length, at + 8);
  out.writeUInt32LE(entry.ordinal, at + 12);
  out.writeUInt32LE(entryCrc(out.subarray(at, at + 16), offset), at + 16);
  out.writeUInt32LE(0, at + 20);
}

const crcKey = Buffer.alloc(8);

function entryCrc(entryHead: Buffer, offset: number): number {
  // u64 little-endian of a safe integer, without a BigInt per entry.
  crcKey.writeUInt32LE(offset % 0x100000000, 0);
  crcKey.writeUInt32LE(Math.floor(offset / 0x100000000), 4);
  return crc32(entryHead.subarray(0, 16), crc32(crcKey));
}

function corrupt(message: string): CascadeError {
  return new CascadeError('CORRUPT_DATA', message, { retryable: false });
}
