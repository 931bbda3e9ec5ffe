import { type FileHandle, open } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { CascadeError } from '../errors.ts';
import { isMissing, mapFsError, readAt } from './fs-io.ts';
import { decodeHeader, FIXED_HEADER_BYTES, metaLengthOf, type RecordHeader } from './fs-record.ts';
import type { ObjectInfo } from './types.ts';

/** Reading one object file of the filesystem backend (format in fs-record.ts). */

/** Reads and checks the header of an open object file. */
export async function readHeader(handle: FileHandle, where: string): Promise<RecordHeader> {
  const { size } = await handle.stat();
  const first = await readAt(handle, Math.min(size, 4096), 0);
  const metaLength = metaLengthOf(first, where);
  const needed = FIXED_HEADER_BYTES + metaLength;
  const header = needed <= first.length ? first : await readAt(handle, needed, 0);
  return decodeHeader(header, size, where);
}

/** The live generation at `path`, or 0 when there is no object. */
export async function liveGeneration(path: string): Promise<number> {
  const found = await withHeader(path, (header) => header.generation);
  return found ?? 0;
}

/** The object's info, or undefined when it is gone (e.g. deleted since a listing read its folder). */
export async function headAt(name: string, path: string): Promise<ObjectInfo | undefined> {
  return withHeader(path, (header) => toInfo(name, header));
}

async function withHeader<T>(
  path: string,
  fn: (header: RecordHeader) => T,
): Promise<T | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
  try {
    return fn(await readHeader(handle, path));
  } finally {
    await handle.close();
  }
}

export function toInfo(name: string, header: RecordHeader): ObjectInfo {
  return {
    name,
    generation: header.generation,
    size: header.dataLength,
    metadata: { ...header.metadata },
    contentType: header.contentType,
    updated: new Date(Math.floor(header.generation / 1000)),
  };
}

/**
 * Reads bytes start..end (inclusive) of the data in chunks, then closes the
 * handle. The open handle pins the generation: a concurrent replace renames a
 * new file over the path, and the stream goes on reading the old one. With
 * `verify` (a whole-object read) the data checksum is checked at the end.
 */
export async function* streamData(
  handle: FileHandle,
  header: RecordHeader,
  range: { start: number; end: number },
  chunkBytes: number,
  verify: boolean,
  where: string,
): AsyncGenerator<Uint8Array> {
  try {
    let crc = 0;
    for (let at = range.start; at <= range.end; at += chunkBytes) {
      const length = Math.min(chunkBytes, range.end - at + 1);
      const chunk = await readAt(handle, length, header.dataOffset + at);
      if (chunk.byteLength !== length) throw mapFsError(new Error('short read'), where);
      if (verify) crc = crc32(chunk, crc);
      yield chunk;
    }
    if (verify && crc !== header.dataCrc) throw checksumMismatch(where);
  } finally {
    await handle.close();
  }
}

export function checksumMismatch(where: string): CascadeError {
  return new CascadeError('CORRUPT_DATA', `${where}: data checksum mismatch`, { retryable: false });
}

export function checkPrecondition(name: string, live: number, wanted: number | undefined): void {
  if (wanted !== undefined && wanted !== live) throw preconditionFailed(name, wanted, live);
}

export function preconditionFailed(name: string, wanted: number, live: number): CascadeError {
  return new CascadeError(
    'PRECONDITION_FAILED',
    `precondition failed for ${JSON.stringify(name)}: wanted generation ${wanted}, live is ${live}`,
    { details: { name, wanted, live } },
  );
}

export function notFound(name: string): CascadeError {
  return new CascadeError('NOT_FOUND', `no object named ${JSON.stringify(name)}`, {
    details: { name },
  });
}
