import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { crc32 } from 'node:zlib';
import { CascadeError } from '../../../src/errors.ts';
import {
  decodeHeader,
  encodeHeader,
  encodeMeta,
  FIXED_HEADER_BYTES,
  metaLengthOf,
  RECORD_VERSION,
} from '../../../src/storage/fs-record.ts';

function record(data: Buffer, generation = 1_795_000_000_000_001) {
  const meta = encodeMeta('text/plain', { k: 'v', ü: '✓' });
  const header = encodeHeader({ generation, dataLength: data.length, dataCrc: crc32(data) }, meta);
  return { header, file: Buffer.concat([header, data]), meta };
}

const fails = (code: string) => (e: unknown) =>
  e instanceof CascadeError && e.code === code && !e.retryable;

describe('fs object record (version 1)', () => {
  it('round-trips header fields', () => {
    const data = Buffer.from('hello');
    const { file, meta } = record(data);
    const header = decodeHeader(file, file.length, 'test');
    assert.deepEqual(header, {
      generation: 1_795_000_000_000_001,
      dataLength: 5,
      dataCrc: crc32(data),
      contentType: 'text/plain',
      metadata: { k: 'v', ü: '✓' },
      dataOffset: FIXED_HEADER_BYTES + meta.length,
    });
    assert.equal(file.subarray(header.dataOffset).toString(), 'hello');
    assert.equal(metaLengthOf(file, 'test'), meta.length);
    assert.equal(file.readUInt16LE(4), RECORD_VERSION);
  });

  it('round-trips an empty object and the largest generation', () => {
    const { file } = record(Buffer.alloc(0), Number.MAX_SAFE_INTEGER);
    assert.equal(decodeHeader(file, file.length, 't').generation, Number.MAX_SAFE_INTEGER);
  });

  const corrupt: [string, (file: Buffer) => [Buffer, number], string][] = [
    ['shorter than the fixed header', (f) => [f.subarray(0, 20), 20], 'CORRUPT_DATA'],
    [
      'bad magic',
      (f) => [Buffer.concat([Buffer.from('CSOX'), f.subarray(4)]), f.length],
      'CORRUPT_DATA',
    ],
    ['unknown version', (f) => [with16(f, 4, 9), f.length], 'UNSUPPORTED_VERSION'],
    ['flipped generation', (f) => [flip(f, 9), f.length], 'CORRUPT_DATA'],
    ['flipped metadata byte', (f) => [flip(f, FIXED_HEADER_BYTES + 2), f.length], 'CORRUPT_DATA'],
    ['huge metadata length', (f) => [with32(f, 28, 0xffffffff), f.length], 'CORRUPT_DATA'],
    ['file longer than the header says', (f) => [f, f.length + 1], 'CORRUPT_DATA'],
    ['file shorter than the header says', (f) => [f, f.length - 1], 'CORRUPT_DATA'],
  ];
  for (const [what, mangle, code] of corrupt) {
    it(`rejects a record with ${what}`, () => {
      const [bytes, size] = mangle(record(Buffer.from('payload')).file);
      assert.throws(() => decodeHeader(bytes, size, 'test'), fails(code));
    });
  }

  it('rejects metadata JSON of the wrong shape even with a valid checksum', () => {
    const meta = Buffer.from(JSON.stringify({ contentType: 7, metadata: {} }));
    const header = encodeHeader({ generation: 5, dataLength: 0, dataCrc: 0 }, meta);
    assert.throws(() => decodeHeader(header, header.length, 'test'), fails('CORRUPT_DATA'));
    const zero = encodeHeader({ generation: 0, dataLength: 0, dataCrc: 0 }, encodeMeta('a/b', {}));
    assert.throws(() => decodeHeader(zero, zero.length, 'test'), fails('CORRUPT_DATA'));
  });
});

function flip(bytes: Buffer, at: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[at] = (copy[at] ?? 0) ^ 0x01;
  return copy;
}
function with16(bytes: Buffer, at: number, value: number): Buffer {
  const copy = Buffer.from(bytes);
  copy.writeUInt16LE(value, at);
  return copy;
}
function with32(bytes: Buffer, at: number, value: number): Buffer {
  const copy = Buffer.from(bytes);
  copy.writeUInt32LE(value, at);
  return copy;
}
