import { crc32 } from 'node:zlib';
import { CascadeError } from '../errors.ts';

/**
 * Time index object of a compacted segment: sparse, monotonic
 * (time → offset) entries, fixed width so it can be binary searched with
 * ranged reads.
 *
 * Entry j says: every record of the segment with offset ≤ `offset_j` has
 * publish_time ≤ `maxTime_j` (the running maximum, so entries never go back
 * in time even when publish times within a partition are not perfectly
 * ordered). To find the first offset with publish_time ≥ T, take the last
 * entry with maxTime < T; the answer lies after its offset and at or before
 * the next entry's offset, so a scan of at most one sampling interval finds
 * it.
 *
 * Layout (version 1, integers little-endian):
 *
 *   entries   N × 24 bytes, entry j at byte j × 24
 *     0  i64  maxTime   µs since the epoch, non-decreasing in j
 *     8  u64  offset    strictly increasing in j
 *    16  u32  crc       CRC-32 of (u64 j, bytes 0..15 of this entry)
 *    20  u32  reserved  0
 *   trailer   32 bytes at byte N × 24
 *     0  4B   magic     "CSTI"
 *     4  u16  version   1
 *     6  u16  width     24
 *     8  u64  base      first offset of the segment
 *    16  u64  count     N
 *    24  u32  reserved  0
 *    28  u32  crc       CRC-32 of trailer bytes 0..27
 */
export const TIME_INDEX_MAGIC = 'CSTI';
export const TIME_INDEX_VERSION = 1;
export const TIME_INDEX_ENTRY_WIDTH = 24;
export const TIME_INDEX_TRAILER_BYTES = 32;

/** Every record up to `offset` has publish_time ≤ `maxTime`. */
export interface TimeIndexEntry {
  maxTime: number;
  offset: number;
}

/** Encodes a whole time index: entries (checked monotonic) then the trailer. */
export function encodeTimeIndex(base: number, entries: readonly TimeIndexEntry[]): Uint8Array {
  const out = Buffer.alloc(entries.length * TIME_INDEX_ENTRY_WIDTH + TIME_INDEX_TRAILER_BYTES);
  entries.forEach((entry, j) => {
    const previous = entries[j - 1];
    if (previous && (entry.maxTime < previous.maxTime || entry.offset <= previous.offset)) {
      throw new CascadeError(
        'INVALID_ARGUMENT',
        `time index entry ${j} is not monotonic (${entry.maxTime}@${entry.offset} after ${previous.maxTime}@${previous.offset})`,
      );
    }
    const at = j * TIME_INDEX_ENTRY_WIDTH;
    out.writeBigInt64LE(BigInt(entry.maxTime), at);
    out.writeBigUInt64LE(BigInt(entry.offset), at + 8);
    out.writeUInt32LE(entryCrc(out.subarray(at, at + 16), j), at + 16);
  });
  const t = entries.length * TIME_INDEX_ENTRY_WIDTH;
  out.write(TIME_INDEX_MAGIC, t, 'latin1');
  out.writeUInt16LE(TIME_INDEX_VERSION, t + 4);
  out.writeUInt16LE(TIME_INDEX_ENTRY_WIDTH, t + 6);
  out.writeBigUInt64LE(BigInt(base), t + 8);
  out.writeBigUInt64LE(BigInt(entries.length), t + 16);
  out.writeUInt32LE(crc32(out.subarray(t, t + 28)), t + 28);
  return out;
}

/** Decodes entry j from the bytes of one ranged read, checking its checksum. */
export function decodeTimeIndexEntry(bytes: Uint8Array, j: number): TimeIndexEntry {
  if (bytes.byteLength !== TIME_INDEX_ENTRY_WIDTH) {
    throw corrupt(`time index entry ${j} is ${bytes.byteLength} bytes, expected 24`);
  }
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.readUInt32LE(16) !== entryCrc(buf, j)) {
    throw corrupt(`time index entry ${j} fails its checksum`);
  }
  return { maxTime: Number(buf.readBigInt64LE(0)), offset: Number(buf.readBigUInt64LE(8)) };
}

/** Decodes and checks the trailer (the last 32 bytes of the index object). */
export function decodeTimeIndexTrailer(bytes: Uint8Array): { base: number; count: number } {
  if (bytes.byteLength !== TIME_INDEX_TRAILER_BYTES) {
    throw corrupt(`time index trailer is ${bytes.byteLength} bytes, expected 32`);
  }
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.toString('latin1', 0, 4) !== TIME_INDEX_MAGIC) {
    throw corrupt('time index trailer has the wrong magic');
  }
  if (buf.readUInt32LE(28) !== crc32(buf.subarray(0, 28))) {
    throw corrupt('time index trailer fails its checksum');
  }
  const version = buf.readUInt16LE(4);
  if (version !== TIME_INDEX_VERSION) {
    throw new CascadeError('UNSUPPORTED_VERSION', `time index version ${version} is not supported`);
  }
  if (buf.readUInt16LE(6) !== TIME_INDEX_ENTRY_WIDTH) {
    throw corrupt(`time index width ${buf.readUInt16LE(6)}, expected 24`);
  }
  return { base: Number(buf.readBigUInt64LE(8)), count: Number(buf.readBigUInt64LE(16)) };
}

/**
 * Binary search over a time index through `readEntry` (one ranged read each):
 * returns the offset to start scanning from for the first record with
 * publish_time ≥ `time`, i.e. one past the last entry whose maxTime < time,
 * or `base` when there is none. Costs ⌈log2(count + 1)⌉ reads.
 */
export async function timeIndexScanStart(
  time: number,
  index: { base: number; count: number },
  readEntry: (j: number) => Promise<TimeIndexEntry>,
): Promise<number> {
  let lo = 0;
  let hi = index.count; // invariant: entries < lo have maxTime < time; entries >= hi have maxTime >= time
  let best = index.base;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const entry = await readEntry(mid);
    if (entry.maxTime < time) {
      best = entry.offset + 1;
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return best;
}

function entryCrc(entryHead: Buffer, j: number): number {
  const key = Buffer.alloc(8);
  key.writeBigUInt64LE(BigInt(j));
  return crc32(entryHead.subarray(0, 16), crc32(key));
}

function corrupt(message: string): CascadeError {
  return new CascadeError('CORRUPT_DATA', message, { retryable: false });
}
