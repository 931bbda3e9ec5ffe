import { crc32 } from 'node:zlib';
import { CascadeError } from '../errors.ts';

/**
 * One object file of the filesystem backend, format version 1. The bytes and
 * everything said about them live in ONE file that appears by an atomic
 * rename/link, so generation, metadata and data can never disagree after a
 * crash. All integers little-endian.
 *
 *   offset  size  field
 *   0       4     magic "CSOB"
 *   4       2     format version = 1
 *   6       2     flags = 0 (reserved)
 *   8       8     generation (an integer < 2^53: wall-clock microseconds,
 *                 strictly increasing per name)
 *   16      8     data length D
 *   24      4     CRC-32 (zlib) of the data
 *   28      4     length M of the metadata JSON
 *   32      4     CRC-32 of bytes 0..31 followed by the metadata JSON
 *   36      M     metadata JSON (UTF-8): {"contentType": string, "metadata": {string: string}}
 *   36+M    D     data
 *
 * The file is exactly 36 + M + D bytes long; anything else is corrupt.
 */
export const RECORD_MAGIC = Buffer.from('CSOB', 'latin1');
export const RECORD_VERSION = 1;
export const FIXED_HEADER_BYTES = 36;

export interface RecordHeader {
  generation: number;
  dataLength: number;
  dataCrc: number;
  contentType: string;
  metadata: Record<string, string>;
  /** Where the data starts in the file (36 + M). */
  dataOffset: number;
}

/** The metadata JSON, encoded once so its length is known before the data is written. */
export function encodeMeta(contentType: string, metadata: Record<string, string>): Buffer {
  return Buffer.from(JSON.stringify({ contentType, metadata }), 'utf8');
}

/** The full header (fixed part + metadata JSON) for a record. */
export function encodeHeader(
  fields: { generation: number; dataLength: number; dataCrc: number },
  meta: Buffer,
): Buffer {
  const header = Buffer.alloc(FIXED_HEADER_BYTES + meta.length);
  RECORD_MAGIC.copy(header, 0);
  header.writeUInt16LE(RECORD_VERSION, 4);
  header.writeUInt16LE(0, 6);
  header.writeBigUInt64LE(BigInt(fields.generation), 8);
  header.writeBigUInt64LE(BigInt(fields.dataLength), 16);
  header.writeUInt32LE(fields.dataCrc >>> 0, 24);
  header.writeUInt32LE(meta.length, 28);
  meta.copy(header, FIXED_HEADER_BYTES);
  header.writeUInt32LE(headerCrc(header, meta.length), 32);
  return header;
}

/**
 * Reads the metadata length from the fixed header so a reader knows how many
 * more bytes the full header needs. Checks magic and version first.
 */
export function metaLengthOf(fixed: Uint8Array, where: string): number {
  if (fixed.length < FIXED_HEADER_BYTES) throw corrupt(where, 'shorter than the fixed header');
  const view = Buffer.from(fixed.buffer, fixed.byteOffset, fixed.byteLength);
  if (!view.subarray(0, 4).equals(RECORD_MAGIC)) throw corrupt(where, 'bad magic');
  const version = view.readUInt16LE(4);
  if (version !== RECORD_VERSION) {
    throw new CascadeError(
      'UNSUPPORTED_VERSION',
      `${where}: object record version ${version}; this build reads version ${RECORD_VERSION}`,
      { details: { version } },
    );
  }
  return view.readUInt32LE(28);
}

/** Decodes and checks a full header (fixed part + metadata JSON). */
export function decodeHeader(bytes: Uint8Array, fileSize: number, where: string): RecordHeader {
  const metaLength = metaLengthOf(bytes, where);
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.length < FIXED_HEADER_BYTES + metaLength) throw corrupt(where, 'truncated header');
  if (view.readUInt32LE(32) !== headerCrc(view, metaLength))
    throw corrupt(where, 'header checksum mismatch');
  const generation = Number(view.readBigUInt64LE(8));
  const dataLength = Number(view.readBigUInt64LE(16));
  const dataOffset = FIXED_HEADER_BYTES + metaLength;
  if (!Number.isSafeInteger(generation) || generation <= 0) throw corrupt(where, 'bad generation');
  if (dataOffset + dataLength !== fileSize) {
    throw corrupt(where, `file is ${fileSize} bytes, header says ${dataOffset + dataLength}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(view.subarray(FIXED_HEADER_BYTES, dataOffset).toString('utf8'));
  } catch (error) {
    throw corrupt(where, 'metadata is not JSON', error);
  }
  const { contentType, metadata } = (parsed ?? {}) as { contentType?: unknown; metadata?: unknown };
  if (typeof contentType !== 'string' || metadata === null || typeof metadata !== 'object') {
    throw corrupt(where, 'metadata has the wrong shape');
  }
  return {
    generation,
    dataLength,
    dataCrc: view.readUInt32LE(24),
    contentType,
    metadata: metadata as Record<string, string>,
    dataOffset,
  };
}

function headerCrc(header: Buffer, metaLength: number): number {
  const fixed = crc32(header.subarray(0, 32));
  return crc32(header.subarray(FIXED_HEADER_BYTES, FIXED_HEADER_BYTES + metaLength), fixed);
}

export function corrupt(where: string, reason: string, cause?: unknown): CascadeError {
  return new CascadeError('CORRUPT_DATA', `${where}: ${reason}`, { cause, retryable: false });
}
