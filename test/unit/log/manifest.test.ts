import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hasCode } from '../../../src/errors.ts';
import {
  decodeManifest,
  emptyManifest,
  encodeManifest,
  findSegment,
  type Manifest,
  readManifest,
  type SegmentEntry,
  updateManifest,
  writeManifest,
} from '../../../src/log/manifest.ts';
import { MemoryStore } from '../../../src/storage/memory-store.ts';

function segment(base: number, end: number): SegmentEntry {
  const stem = `s/p0000/segments/${base}-${end}`;
  return {
    base,
    end,
    records: end - base,
    minPublishTimeMicros: base * 10,
    maxPublishTimeMicros: end * 10,
    codec: 'null',
    data: { name: `${stem}.avro`, size: 1000 },
    offsetIndex: { name: `${stem}.oidx`, size: (end - base) * 24 + 32 },
    timeIndex: { name: `${stem}.tidx`, size: 56, entries: 1 },
    createdAtMs: 1,
  };
}

const valid: Manifest = {
  ...emptyManifest(),
  startOffset: 100,
  tailStart: 300,
  segments: [segment(100, 200), segment(200, 300)],
  pendingDeletions: [{ name: 's/p0000/tail/x.avro', kind: 'tail', notBeforeMs: 5 }],
  updatedAtMs: 7,
};

describe('manifest', () => {
  it('round-trips and finds segments by offset', () => {
    // Act
    const decoded = decodeManifest(encodeManifest(valid));

    // Assess
    assert.deepEqual(decoded, valid);
    assert.equal(findSegment(decoded, 99), undefined);
    assert.equal(findSegment(decoded, 100)?.base, 100);
    assert.equal(findSegment(decoded, 199)?.base, 100);
    assert.equal(findSegment(decoded, 200)?.base, 200);
    assert.equal(findSegment(decoded, 299)?.base, 200);
    assert.equal(findSegment(decoded, 300), undefined);
  });

  const broken: [string, unknown, string][] = [
    ['not JSON', '{', 'CORRUPT_DATA'],
    ['unknown version', { ...valid, version: 2 }, 'UNSUPPORTED_VERSION'],
    ['missing version', { ...valid, version: undefined }, 'UNSUPPORTED_VERSION'],
    ['unknown field', { ...valid, extra: 1 }, 'CORRUPT_DATA'],
    ['negative offset', { ...valid, startOffset: -1 }, 'CORRUPT_DATA'],
    [
      'gap between segments',
      { ...valid, segments: [segment(100, 200), segment(201, 300)] },
      'CORRUPT_DATA',
    ],
    ['tail not after the last segment', { ...valid, tailStart: 301 }, 'CORRUPT_DATA'],
    ['start not at the first segment', { ...valid, startOffset: 0 }, 'CORRUPT_DATA'],
    [
      'no segments but start != tail',
      { ...valid, segments: [], startOffset: 1, tailStart: 2 },
      'CORRUPT_DATA',
    ],
    [
      'bad codec',
      { ...valid, segments: [{ ...segment(100, 200), codec: 'lz4' }, segment(200, 300)] },
      'CORRUPT_DATA',
    ],
    [
      'count mismatch',
      { ...valid, segments: [{ ...segment(100, 200), records: 3 }, segment(200, 300)] },
      'CORRUPT_DATA',
    ],
  ];
  for (const [name, value, code] of broken) {
    it(`rejects a manifest with ${name}`, () => {
      const bytes = Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));
      assert.throws(
        () => decodeManifest(bytes),
        (e: unknown) => hasCode(e, code as 'CORRUPT_DATA'),
      );
    });
  }

  it('is replaced only by compare-and-swap', async () => {
    // Prepare
    const store = new MemoryStore();
    const absent = await readManifest(store, 'm.json');
    const first = await writeManifest(store, 'm.json', valid, absent.generation);

    // Act
    const stale = await writeManifest(store, 'm.json', valid, absent.generation).catch(
      (e: unknown) => e,
    );
    let calls = 0;
    const updated = await updateManifest(store, 'm.json', (m) => {
      calls++;
      return { ...m, pendingDeletions: [] };
    });
    const unchanged = await updateManifest(store, 'm.json', () => undefined);

    // Assess
    assert.equal(absent.generation, 0);
    assert.deepEqual(absent.manifest, emptyManifest());
    assert.ok(hasCode(stale, 'PRECONDITION_FAILED'));
    assert.equal(calls, 1);
    assert.ok(updated.changed && updated.generation > first.generation);
    assert.equal(unchanged.changed, false);
    assert.deepEqual((await readManifest(store, 'm.json')).manifest.pendingDeletions, []);
  });

  it('re-applies a change after losing a race', async () => {
    // Prepare
    const store = new MemoryStore();
    await writeManifest(store, 'm.json', valid, 0);
    let calls = 0;

    // Act
    await updateManifest(store, 'm.json', (m) => {
      calls++;
      if (calls === 1) {
        // Someone else swaps the manifest between our read and our write.
        void store.put('m.json', encodeManifest({ ...valid, updatedAtMs: 99 }));
      }
      return { ...m, updatedAtMs: 1 };
    });

    // Assess
    assert.equal(calls, 2);
  });
});
