import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { crc32 } from 'node:zlib';
import { hasCode } from '../../../src/errors.ts';
import {
  decodeOffsetIndex,
  decodeOffsetIndexEntry,
  decodeOffsetIndexTrailer,
  encodeOffsetIndex,
  OFFSET_INDEX_ENTRY_WIDTH,
  offsetIndexEntryRange,
} from '../../../src/log/offset-index.ts';
import {
  decodeTimeIndexEntry,
  decodeTimeIndexTrailer,
  encodeTimeIndex,
  TIME_INDEX_ENTRY_WIDTH,
  timeIndexScanStart,
} from '../../../src/log/time-index.ts';

describe('offset index', () => {
  const base = 1_000_000_007;
  const entries = Array.from({ length: 50 }, (_, i) => ({
    position: 4096 + i * 137,
    length: 100 + (i % 7),
    ordinal: i % 10,
  }));

  it('round-trips every entry through single ranged reads', () => {
    // Prepare
    const bytes = encodeOffsetIndex(base, entries, { blockAddressed: true });
    // Act + Assess
    assert.equal(bytes.byteLength, entries.length * OFFSET_INDEX_ENTRY_WIDTH + 32);
    entries.forEach((expected, i) => {
      const { start, end } = offsetIndexEntryRange(i);
      assert.deepEqual(decodeOffsetIndexEntry(bytes.subarray(start, end + 1), base + i), expected);
    });
    const whole = decodeOffsetIndex(bytes);
    assert.deepEqual(whole.entries, entries);
    assert.deepEqual(whole.trailer, {
      version: 1,
      width: 24,
      base,
      count: 50,
      blockAddressed: true,
    });
  });

  it('detects an entry read for the wrong offset', () => {
    const bytes = encodeOffsetIndex(base, entries, { blockAddressed: false });
    const { start, end } = offsetIndexEntryRange(3);
    assert.throws(
      () => decodeOffsetIndexEntry(bytes.subarray(start, end + 1), base + 4),
      (e) => hasCode(e, 'CORRUPT_DATA'),
    );
  });

  const corruptions: [string, (b: Buffer) => Uint8Array][] = [
    ['flipped position bit', (b) => flipBit(b, 1)],
    ['flipped checksum bit', (b) => flipBit(b, 17)],
    ['truncated entry', (b) => b.subarray(0, 23)],
  ];
  for (const [name, mutate] of corruptions) {
    it(`rejects a corrupt entry: ${name}`, () => {
      const bytes = Buffer.from(encodeOffsetIndex(base, entries, { blockAddressed: false }));
      const entry = Buffer.from(bytes.subarray(0, OFFSET_INDEX_ENTRY_WIDTH));
      assert.throws(
        () => decodeOffsetIndexEntry(mutate(entry), base),
        (e) => hasCode(e, 'CORRUPT_DATA') && !e.retryable,
      );
    });
  }

  it('rejects a trailer with an unknown version', () => {
    const bytes = Buffer.from(encodeOffsetIndex(base, entries, { blockAddressed: false }));
    const trailer = bytes.subarray(bytes.byteLength - 32);
    trailer.writeUInt16LE(2, 4);
    trailer.writeUInt32LE(crc32(trailer.subarray(0, 28)), 28);
    assert.throws(
      () => decodeOffsetIndexTrailer(trailer),
      (e) => hasCode(e, 'UNSUPPORTED_VERSION'),
    );
  });

  it('rejects a truncated index object', () => {
    const bytes = encodeOffsetIndex(base, entries, { blockAddressed: false });
    assert.throws(
      () => decodeOffsetIndex(bytes.subarray(0, bytes.byteLength - 24)),
      (e) => hasCode(e, 'CORRUPT_DATA'),
    );
  });

  it('refuses entries it cannot represent', () => {
    assert.throws(
      () =>
        encodeOffsetIndex(0, [{ position: -1, length: 1, ordinal: 0 }], { blockAddressed: false }),
      (e) => hasCode(e, 'INVALID_ARGUMENT'),
    );
  });
});

describe('time index', () => {
  // Publish times that are not perfectly ordered, as in a real partition.
  const times = [10, 12, 11, 15, 15, 14, 20, 30, 25, 31, 40, 39];
  const base = 500;
  const interval = 3;
  const entries = (() => {
    const out: { maxTime: number; offset: number }[] = [];
    let max = Number.NEGATIVE_INFINITY;
    times.forEach((t, i) => {
      max = Math.max(max, t);
      if (i % interval === interval - 1 || i === times.length - 1) {
        out.push({ maxTime: max, offset: base + i });
      }
    });
    return out;
  })();

  it('round-trips entries and trailer', () => {
    const bytes = encodeTimeIndex(base, entries);
    assert.deepEqual(decodeTimeIndexTrailer(bytes.subarray(bytes.byteLength - 32)), {
      base,
      count: entries.length,
    });
    entries.forEach((expected, j) => {
      const at = j * TIME_INDEX_ENTRY_WIDTH;
      assert.deepEqual(decodeTimeIndexEntry(bytes.subarray(at, at + 24), j), expected);
    });
  });

  it('finds the first offset with publish_time >= T for every T (scan from the start offset)', async () => {
    const bytes = encodeTimeIndex(base, entries);
    let reads = 0;
    const readEntry = async (j: number) => {
      reads++;
      return decodeTimeIndexEntry(bytes.subarray(j * 24, j * 24 + 24), j);
    };
    for (let t = 0; t <= 45; t++) {
      reads = 0;
      const start = await timeIndexScanStart(t, { base, count: entries.length }, readEntry);
      assert.ok(reads <= Math.ceil(Math.log2(entries.length + 1)), `reads for ${t}: ${reads}`);
      // Brute force: first offset whose time >= t.
      const expectedIndex = times.findIndex((x) => x >= t);
      const scanned = times.slice(start - base).findIndex((x) => x >= t);
      const found = scanned === -1 ? -1 : start - base + scanned;
      assert.equal(found, expectedIndex, `time ${t}`);
      if (expectedIndex !== -1) {
        assert.ok(found - (start - base) < interval, 'scan stays within one interval');
      }
    }
  });

  it('refuses non-monotonic entries', () => {
    assert.throws(
      () =>
        encodeTimeIndex(0, [
          { maxTime: 5, offset: 1 },
          { maxTime: 4, offset: 2 },
        ]),
      (e) => hasCode(e, 'INVALID_ARGUMENT'),
    );
  });

  it('rejects a corrupt entry', () => {
    const bytes = Buffer.from(encodeTimeIndex(base, entries));
    assert.throws(
      () => decodeTimeIndexEntry(flipBit(bytes.subarray(0, 24), 9), 0),
      (e) => hasCode(e, 'CORRUPT_DATA'),
    );
  });
});

function flipBit(bytes: Uint8Array, at: number): Buffer {
  const copy = Buffer.from(bytes);
  copy.writeUInt8(copy.readUInt8(at) ^ 1, at);
  return copy;
}
