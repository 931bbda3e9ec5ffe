import { type FileHandle, mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CascadeError } from '../errors.ts';

/** Makes a directory's entries (a rename, link, unlink or mkdir in it) durable. */
export async function fsyncDir(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Creates `path` and any missing parents up to (not including) `stopAt`,
 * fsyncing the parent of every directory it creates so the new entries
 * survive a crash.
 */
export async function ensureDir(path: string, stopAt: string): Promise<void> {
  const first = await mkdir(path, { recursive: true });
  if (first === undefined) return;
  const created: string[] = [];
  for (let dir = path; dir.length >= first.length && dir !== stopAt; dir = dirname(dir)) {
    created.push(dir);
  }
  for (const dir of created) await fsyncDir(dirname(dir));
}

/** Reads exactly `length` bytes at `position` (fewer only at end of file). */
export async function readAt(
  handle: FileHandle,
  length: number,
  position: number,
): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled === length ? buffer : buffer.subarray(0, filled);
}

/** Writes all of `data` at `position`. */
export async function writeAt(
  handle: FileHandle,
  data: Uint8Array,
  position: number,
): Promise<void> {
  let written = 0;
  while (written < data.byteLength) {
    const { bytesWritten } = await handle.write(
      data,
      written,
      data.byteLength - written,
      position + written,
    );
    written += bytesWritten;
  }
}

export function errnoOf(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/** True for the errors that mean "no such object" on a lookup path. */
export function isMissing(error: unknown): boolean {
  const code = errnoOf(error);
  return code === 'ENOENT' || code === 'ENOTDIR';
}

const UNAVAILABLE = new Set([
  'ENOSPC',
  'EDQUOT',
  'EIO',
  'EMFILE',
  'ENFILE',
  'EAGAIN',
  'EBUSY',
  'EINTR',
]);
const DENIED = new Set(['EACCES', 'EPERM', 'EROFS']);

/** Wraps a filesystem error in a CascadeError (CascadeErrors pass through). */
export function mapFsError(error: unknown, what: string): CascadeError {
  if (error instanceof CascadeError) return error;
  const code = errnoOf(error);
  if (code === 'ENAMETOOLONG') {
    return new CascadeError('INVALID_NAME', `${what}: the path is too long for this filesystem`, {
      cause: error,
    });
  }
  if (code && UNAVAILABLE.has(code)) {
    return new CascadeError('UNAVAILABLE', `${what}: ${code}`, { cause: error, retryable: true });
  }
  if (code && DENIED.has(code)) {
    return new CascadeError('PERMISSION_DENIED', `${what}: ${code}`, { cause: error });
  }
  return new CascadeError('INTERNAL', `${what}: ${(error as Error)?.message ?? String(error)}`, {
    cause: error,
  });
}
