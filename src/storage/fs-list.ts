import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isMissing } from './fs-io.ts';
import {
  compareEntries,
  decodeEntry,
  EntryKind,
  encodeEntry,
  prefixDirectoryPieces,
} from './fs-layout.ts';

export interface ListBounds {
  prefix: Buffer;
  start?: Buffer;
  end?: Buffer;
}

export interface FoundObject {
  name: string;
  path: string;
}

/**
 * Walks the object tree depth-first in byte order of names (see fs-layout.ts
 * for why that order falls out of sorting each directory by key), holding one
 * directory listing per level. Subtrees that cannot hold a name within the
 * bounds are never opened, and the walk stops at the first name past them.
 */
export async function* walkObjects(
  objectsDir: string,
  bounds: ListBounds,
): AsyncGenerator<FoundObject> {
  // Every name with the prefix shares the prefix's complete directory
  // pieces: start there instead of at the root.
  let dir = objectsDir;
  let base = Buffer.alloc(0);
  for (const piece of prefixDirectoryPieces(bounds.prefix.toString('utf8'))) {
    dir = join(dir, encodeEntry(piece));
    base = Buffer.concat([base, piece.key]);
  }
  const state = { done: false };
  yield* walkDir(dir, base, bounds, state);
}

async function* walkDir(
  dir: string,
  base: Buffer,
  bounds: ListBounds,
  state: { done: boolean },
): AsyncGenerator<FoundObject> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if (isMissing(error)) return;
    throw error;
  }
  const entries = names
    .map((entry) => ({ entry, piece: decodeEntry(entry) }))
    .filter(
      (e): e is { entry: string; piece: NonNullable<typeof e.piece> } => e.piece !== undefined,
    )
    .sort((a, b) => compareEntries(a.piece, b.piece));
  for (const { entry, piece } of entries) {
    if (state.done) return;
    const full = Buffer.concat([base, piece.key]);
    if (pastEnd(full, bounds)) {
      state.done = true;
      return;
    }
    if (piece.kind === EntryKind.object) {
      if (
        full.subarray(0, bounds.prefix.length).equals(bounds.prefix) &&
        !(bounds.start && Buffer.compare(full, bounds.start) < 0)
      ) {
        yield { name: full.toString('utf8'), path: join(dir, entry) };
      }
    } else if (subtreeMayMatch(full, bounds)) {
      yield* walkDir(join(dir, entry), full, bounds, state);
    }
  }
}

/**
 * True when `key` and everything after it in order are past the bounds: at
 * or after endOffset, or after every name with the prefix.
 */
function pastEnd(key: Buffer, bounds: ListBounds): boolean {
  if (bounds.end && Buffer.compare(key, bounds.end) >= 0) return true;
  const { prefix } = bounds;
  const shared = Math.min(key.length, prefix.length);
  return Buffer.compare(key.subarray(0, shared), prefix.subarray(0, shared)) > 0;
}

/** Whether some name that starts with `key` (a directory's) can be in bounds. */
function subtreeMayMatch(key: Buffer, bounds: ListBounds): boolean {
  const { prefix, start } = bounds;
  const shared = Math.min(key.length, prefix.length);
  if (!key.subarray(0, shared).equals(prefix.subarray(0, shared))) return false;
  if (start && Buffer.compare(key, start) < 0) {
    // Every name below starts with key; all are before start unless key is a
    // prefix of start.
    return key.equals(start.subarray(0, key.length));
  }
  return true;
}
