/**
 * How the filesystem backend maps object names to paths (layout version 1).
 *
 * A name's UTF-8 bytes are cut into pieces, left to right:
 *   - if a '/' occurs within the next {@link PIECE_BYTES} bytes, the piece runs
 *     up to and including it            → a directory entry `d<segment>`
 *   - else, if more than PIECE_BYTES bytes remain, the piece is exactly
 *     PIECE_BYTES bytes (a long segment) → a directory entry `c<bytes>`
 *   - else the rest is the last piece    → an object file `o<bytes>`
 * Each piece is percent-encoded (bytes outside printable ASCII, '%', '/',
 * '\\' and characters other systems forbid), so every entry is at most
 * 1 + 3 × 80 = 241 bytes (under NAME_MAX = 255) and valid UTF-8. Entries that
 * start with '.' are the store's own (temp files). "streams/a/00001.avro" is
 * `objects/dstreams/da/o00001.avro`.
 *
 * Why this shape: listing must come out in byte order of names while holding
 * one directory level in memory at a time. Within one directory every entry
 * has a key (its piece) such that all names below it start with that key,
 * and no directory's key is a proper prefix of another entry's key (slash
 * keys end in their only '/', continuation keys are all exactly 80 bytes
 * and hold no '/'). So sorting a directory's entries by key — an object
 * before a directory with the same key — and walking depth-first yields
 * names in byte order.
 */

/** Longest piece in bytes; 3 × 80 + 1 stays under the 255-byte file name limit. */
export const PIECE_BYTES = 80;

export const EntryKind = {
  object: 'o',
  slashDir: 'd',
  longDir: 'c',
} as const;
export type EntryKind = (typeof EntryKind)[keyof typeof EntryKind];

export interface Piece {
  kind: EntryKind;
  /** The piece's bytes in the object name (a slash directory's include its '/'). */
  key: Buffer;
}

const SLASH = 0x2f;

/** Cuts a name into pieces; the last one is always the object file. */
export function namePieces(name: string): Piece[] {
  return cutPieces(Buffer.from(name, 'utf8'), true);
}

/**
 * The directory pieces that every name starting with `prefix` shares, so a
 * listing can descend straight to them.
 */
export function prefixDirectoryPieces(prefix: string): Piece[] {
  return cutPieces(Buffer.from(prefix, 'utf8'), false);
}

function cutPieces(bytes: Buffer, complete: boolean): Piece[] {
  const pieces: Piece[] = [];
  let at = 0;
  while (at < bytes.length) {
    const window = bytes.subarray(at, at + PIECE_BYTES);
    const slash = window.indexOf(SLASH);
    if (slash >= 0) {
      pieces.push({ kind: EntryKind.slashDir, key: bytes.subarray(at, at + slash + 1) });
      at += slash + 1;
    } else if (bytes.length - at > PIECE_BYTES) {
      pieces.push({ kind: EntryKind.longDir, key: bytes.subarray(at, at + PIECE_BYTES) });
      at += PIECE_BYTES;
    } else {
      if (complete) pieces.push({ kind: EntryKind.object, key: bytes.subarray(at) });
      break;
    }
  }
  return pieces;
}

/** The file or directory name that holds a piece. */
export function encodeEntry(piece: Piece): string {
  const bytes = piece.kind === EntryKind.slashDir ? piece.key.subarray(0, -1) : piece.key;
  let out = piece.kind as string;
  for (const byte of bytes) {
    out += SAFE[byte] ? String.fromCharCode(byte) : `%${HEX[byte >> 4]}${HEX[byte & 15]}`;
  }
  return out;
}

/** Reverses {@link encodeEntry}; undefined for entries that are not ours (temp files, strays). */
export function decodeEntry(entry: string): Piece | undefined {
  const kind = entry[0];
  if (kind !== EntryKind.object && kind !== EntryKind.slashDir && kind !== EntryKind.longDir) {
    return undefined;
  }
  const bytes: number[] = [];
  for (let i = 1; i < entry.length; i++) {
    const code = entry.charCodeAt(i);
    if (code === 0x25) {
      const value = Number.parseInt(entry.slice(i + 1, i + 3), 16);
      if (!/^[0-9A-F]{2}$/.test(entry.slice(i + 1, i + 3)) || SAFE[value]) return undefined;
      bytes.push(value);
      i += 2;
    } else if (code < 0x80 && SAFE[code]) {
      bytes.push(code);
    } else {
      return undefined;
    }
  }
  if (kind === EntryKind.slashDir) bytes.push(SLASH);
  else if (bytes.length === 0) return undefined;
  if (kind === EntryKind.longDir && bytes.length !== PIECE_BYTES) return undefined;
  return { kind, key: Buffer.from(bytes) };
}

/**
 * Order of entries within one directory: by key bytes, and an object before a
 * directory with the same key (the object's name is a prefix of every name
 * below the directory).
 */
export function compareEntries(a: Piece, b: Piece): number {
  const byKey = Buffer.compare(a.key, b.key);
  if (byKey !== 0) return byKey;
  if (a.kind === b.kind) return 0;
  return a.kind === EntryKind.object ? -1 : b.kind === EntryKind.object ? 1 : 0;
}

const HEX = '0123456789ABCDEF';
/** Bytes kept as themselves in entry names. */
const SAFE: boolean[] = Array.from({ length: 256 }, (_, byte) => {
  if (byte < 0x20 || byte >= 0x7f) return false;
  return !'%/\\:*?"<>|'.includes(String.fromCharCode(byte));
});
