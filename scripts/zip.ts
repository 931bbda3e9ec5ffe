// A minimal, deterministic ZIP writer (deflate, no ZIP64): enough for the
// function source archive, and byte-for-byte reproducible so the archive's
// MD5 only changes when the source does (Terraform names the uploaded object
// by it, so an unchanged source never redeploys the functions).
//
// Layout (APPNOTE 6.3.10, little-endian):
//   per entry: local header (30 bytes + name) then the deflated data
//     sig 0x04034b50 | version 20 | flags 0x0800 (UTF-8 names) | method 8
//     | time | date | crc32 | compressed size | size | name length | extra 0
//   central directory: one 46-byte header + name per entry
//   end of central directory: 22 bytes (sig 0x06054b50, counts, size, offset)
import { crc32, deflateRawSync } from 'node:zlib';

/** One file in the archive; `name` uses forward slashes. */
export interface ZipEntry {
  name: string;
  data: Buffer;
}

// 1980-01-01 00:00, the earliest DOS timestamp: a fixed time keeps builds reproducible.
const DOS_TIME = 0;
const DOS_DATE = (0 << 9) | (1 << 5) | 1;
const UTF8_NAMES = 0x0800;
const DEFLATE = 8;
const MAX_32 = 0xffffffff;

/**
 * Encodes entries (in the given order) as a ZIP archive.
 *
 * @example
 * const zip = encodeZip([{ name: 'a.txt', data: Buffer.from('hi') }]);
 */
export function encodeZip(entries: readonly ZipEntry[]): Buffer {
  if (entries.length > 0xffff) throw new RangeError('zip: more than 65535 entries needs ZIP64');
  const chunks: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    const compressed = deflateRawSync(entry.data, { level: 9 });
    const crc = crc32(entry.data);
    if (entry.data.length >= MAX_32 || offset >= MAX_32) {
      throw new RangeError(`zip: ${entry.name} needs ZIP64, which this writer does not do`);
    }
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(UTF8_NAMES, 6);
    local.writeUInt16LE(DEFLATE, 8);
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(compressed.length, 18);
    local.writeUInt32LE(entry.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    chunks.push(local, name, compressed);

    const header = Buffer.alloc(46);
    header.writeUInt32LE(0x02014b50, 0);
    header.writeUInt16LE((3 << 8) | 20, 4); // made by: Unix, 2.0
    header.writeUInt16LE(20, 6);
    header.writeUInt16LE(UTF8_NAMES, 8);
    header.writeUInt16LE(DEFLATE, 10);
    header.writeUInt16LE(DOS_TIME, 12);
    header.writeUInt16LE(DOS_DATE, 14);
    header.writeUInt32LE(crc, 16);
    header.writeUInt32LE(compressed.length, 20);
    header.writeUInt32LE(entry.data.length, 24);
    header.writeUInt16LE(name.length, 28);
    // extra, comment, disk, internal attributes: 0
    header.writeUInt32LE((0o100644 << 16) >>> 0, 38); // external: regular file, rw-r--r--
    header.writeUInt32LE(offset, 42);
    central.push(header, name);
    offset += local.length + name.length + compressed.length;
  }
  const centralSize = central.reduce((sum, b) => sum + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...chunks, ...central, end]);
}
