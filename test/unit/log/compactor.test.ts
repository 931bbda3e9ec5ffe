import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hasCode } from '../../../src/errors.ts';
import { type CompactionPolicy, Compactor } from '../../../src/log/compactor.ts';
import { LogReader } from '../../../src/log/log-reader.ts';
import { readManifest } from '../../../src/log/manifest.ts';
import { tailFolder } from '../../../src/log/names.ts';
import { applyRetention } from '../../../src/log/retention.ts';
import { manifestName } from '../../../src/log/segment-names.ts';
import type { LogRecord } from '../../../src/log/types.ts';
import type { ObjectStore } from '../../../src/storage/index.ts';
import { MemoryStore } from '../../../src/storage/memory-store.ts';
import { comparable, prng, testStream, writeTail } from '../../support/segment-fixtures.ts';
import { CountingStore, DyingStore } from '../../support/segment-stores.ts';

const stream = testStream();
const P = 1;

function policy(overrides: Partial<CompactionPolicy> = {}): Partial<CompactionPolicy> {
  return {
    targetSegmentBytes: 20_000,
    targetSegmentRecords: 10_000,
    minObjectAgeMs: 0,
    maxTailAgeMs: 0,
    graceMs: 60_000,
    ...overrides,
  };
}

async function names(store: ObjectStore, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const info of store.list({ prefix })) out.push(info.name);
  return out;
}

async function readAll(reader: LogReader, from: number): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  for await (const chunk of reader.readFrom(P, from)) out.push(...chunk.records);
  return out;
}

/** The first offset with publish time ≥ t, by brute force. */
function firstAtOrAfter(records: LogRecord[], t: number): number | undefined {
  return records.find((r) => r.publishTimeMicros >= t)?.offset;
}

for (const codec of ['null', 'deflate'] as const) {
  describe(`compaction with codec ${codec}`, () => {
    it('keeps every record: lookups, scans and time lookups agree with the tail', async () => {
      // Prepare
      const store = new MemoryStore();
      const counts = Array.from({ length: 40 }, (_, i) => 1 + ((i * 7) % 23));
      const records = await writeTail(store, stream, P, counts, { seed: 7 });
      const before = new LogReader({ store, stream });
      const random = prng(99);
      const sampleOffsets = Array.from({ length: 40 }, () => Math.floor(random() * records.length));
      const sampleTimes = Array.from(
        { length: 25 },
        () =>
          records[0]!.publishTimeMicros -
          1000 +
          Math.floor(
            random() * (records.at(-1)!.publishTimeMicros - records[0]!.publishTimeMicros + 5000),
          ),
      );
      const tailLookups = [];
      for (const o of sampleOffsets) tailLookups.push(comparable(await before.lookup(P, o)));
      const compactor = new Compactor({
        store,
        stream,
        policy: policy({ format: { codec, blockBytes: 2048, timeIndexInterval: 8 } }),
      });

      // Act
      const result = await compactor.compact(P);
      const after = new LogReader({
        store,
        stream,
        scan: { bytesPerRead: 4096, entriesPerRead: 16 },
      });

      // Assess
      assert.ok(result.created.length >= 3, `created ${result.created.length} segments`);
      assert.equal(result.created[0]!.codec, codec);
      const last = counts.at(-1)!;
      assert.equal(result.tailStart, records.length - last, 'the newest tail object stays');
      const all = await readAll(after, 0);
      assert.deepEqual(all.map(comparable), records.map(comparable));
      for (const [i, o] of sampleOffsets.entries()) {
        assert.deepEqual(comparable(await after.lookup(P, o)), tailLookups[i]);
        const tail = await readAll(after, o);
        assert.equal(tail.length, records.length - o);
        assert.equal(tail[0]!.offset, o);
      }
      for (const t of sampleTimes) {
        assert.equal(await after.offsetForTime(P, t), firstAtOrAfter(records, t), `time ${t}`);
        assert.equal(
          await before.offsetForTime(P, t),
          firstAtOrAfter(records, t),
          `tail time ${t}`,
        );
      }
    });

    it('costs two ranged reads per random lookup and at most three per time lookup, warm', async () => {
      // Prepare
      const memory = new MemoryStore();
      const records = await writeTail(memory, stream, P, [50, 50, 50, 50, 5], { seed: 3 });
      await new Compactor({
        store: memory,
        stream,
        policy: policy({
          targetSegmentBytes: 1 << 30,
          format: { codec, blockBytes: 1024, timeIndexInterval: 16 },
        }),
      }).compact(P);
      const store = new CountingStore(memory);
      const reader = new LogReader({ store, stream });
      await reader.lookup(P, 0); // warms the manifest
      const random = prng(5);

      // Act + Assess
      for (let i = 0; i < 30; i++) {
        const offset = Math.floor(random() * 200);
        store.reset();
        const record = await reader.lookup(P, offset);
        assert.equal(record.offset, offset);
        assert.deepEqual(comparable(record), comparable(records[offset]!));
        assert.equal(store.ops.get, 2, store.names.join(', '));
        assert.equal(store.reads, 2, store.names.join(', '));
      }
      for (let i = 0; i < 20; i++) {
        const t = records[Math.floor(random() * 200)]!.publishTimeMicros;
        store.reset();
        const found = await reader.offsetForTime(P, t);
        assert.equal(found, records.find((r) => r.publishTimeMicros >= t)?.offset);
        assert.ok(store.reads <= 3, `time lookup: ${store.names.join(', ')}`);
      }
    });
  });
}

describe('compactor safety', () => {
  it('deletes merged tail objects only after the grace period', async () => {
    // Prepare
    const store = new MemoryStore();
    const records = await writeTail(store, stream, P, [10, 10, 10, 10], { seed: 11 });
    let now = 1_800_000_000_000;
    const compactor = new Compactor({ store, stream, clock: () => now, policy: policy() });
    const reader = new LogReader({ store, stream });
    await reader.lookup(P, 35); // caches the pre-compaction manifest: everything in the tail

    // Act
    const first = await compactor.compact(P);
    const tailAfterFirst = await names(store, tailFolder(stream, P));
    now += 59_999;
    const second = await compactor.compact(P);
    now += 2;
    const third = await compactor.compact(P);

    // Assess
    assert.equal(first.created.length, 1);
    assert.deepEqual(first.deleted, []);
    assert.equal(tailAfterFirst.length, 4, 'nothing deleted at once');
    assert.deepEqual(second.deleted, []);
    assert.equal(third.deleted.length, 3);
    assert.equal((await names(store, tailFolder(stream, P))).length, 1);
    const { manifest } = await readManifest(store, manifestName(stream, P));
    assert.deepEqual(manifest.pendingDeletions, []);
    // The stale reader notices the deleted objects and refreshes its manifest.
    assert.deepEqual(comparable(await reader.lookup(P, 3)), comparable(records[3]!));
    assert.deepEqual((await readAll(reader, 0)).map(comparable), records.map(comparable));
  });

  it('two compactors at once leave one consistent manifest', async () => {
    // Prepare
    const store = new MemoryStore();
    const records = await writeTail(store, stream, P, Array(30).fill(9), { seed: 2 });
    const a = new Compactor({ store, stream, policy: policy({ graceMs: 0 }) });
    const b = new Compactor({ store, stream, policy: policy({ graceMs: 0 }) });

    // Act
    const results = await Promise.all([a.compact(P), b.compact(P), a.compact(P)]);
    await b.compact(P);

    // Assess
    const { manifest } = await readManifest(store, manifestName(stream, P));
    assert.equal(manifest.tailStart, records.length - 9);
    assert.ok(results.some((r) => r.created.length > 0));
    const reader = new LogReader({ store, stream });
    assert.deepEqual((await readAll(reader, 0)).map(comparable), records.map(comparable));
  });

  it('a compactor killed after any write leaves a readable log, and a rerun finishes', async () => {
    for (let budget = 0; budget < 14; budget++) {
      // Prepare
      const memory = new MemoryStore();
      const records = await writeTail(memory, stream, P, [12, 12, 12, 12, 12, 3], { seed: budget });
      const dying = new DyingStore(memory, budget);
      const options = {
        stream,
        clock: () => 1_800_000_000_000,
        policy: policy({ graceMs: 0, targetSegmentBytes: 5000 }),
      };

      // Act
      const outcome = await new Compactor({ store: dying, ...options }).compact(P).then(
        () => 'finished',
        (error: unknown) => {
          assert.ok(hasCode(error, 'UNAVAILABLE'), String(error));
          return 'killed';
        },
      );
      const middle = await readAll(new LogReader({ store: memory, stream }), 0);
      await new Compactor({ store: memory, ...options }).compact(P);
      await new Compactor({ store: memory, ...options }).compact(P);

      // Assess
      assert.deepEqual(
        middle.map(comparable),
        records.map(comparable),
        `budget ${budget} (${outcome})`,
      );
      const { manifest } = await readManifest(memory, manifestName(stream, P));
      assert.equal(manifest.tailStart, 60, `budget ${budget}`);
      assert.deepEqual(manifest.pendingDeletions, []);
      const after = await readAll(new LogReader({ store: memory, stream }), 0);
      assert.deepEqual(after.map(comparable), records.map(comparable), `budget ${budget} rerun`);
      assert.equal((await names(memory, tailFolder(stream, P))).length, 1);
    }
  });

  it('retention drops whole segments and reads below the start fail with the start offset', async () => {
    // Prepare
    const store = new MemoryStore();
    const records = await writeTail(store, stream, P, Array(12).fill(20), {
      seed: 4,
      dataBytes: 400,
    });
    await new Compactor({ store, stream, policy: policy() }).compact(P);
    const before = await readManifest(store, manifestName(stream, P));
    const reader = new LogReader({ store, stream });
    await reader.lookup(P, 0);

    // Act
    const { dropped, startOffset } = await applyRetention({
      store,
      stream,
      partition: P,
      policy: { maxBytes: before.manifest.segments.at(-1)!.data.size * 2 + 10_000 },
    });

    // Assess
    assert.ok(dropped.length >= 1);
    assert.equal(startOffset, dropped.at(-1)!.end);
    const stale = await reader.lookup(P, startOffset - 1); // cached manifest, within the grace period
    reader.invalidate(P);
    const error = await reader.lookup(P, startOffset - 1).catch((e: unknown) => e);
    assert.ok(hasCode(error, 'OFFSET_OUT_OF_RANGE'), `${String(error)} ${JSON.stringify(error)}`);
    assert.equal(error.details.startOffset, startOffset);
    assert.equal(error.details.endOffset, records.length);
    assert.equal(stale.offset, startOffset - 1);
    const readError = await readAll(reader, 0).catch((e: unknown) => e);
    assert.ok(hasCode(readError, 'OFFSET_OUT_OF_RANGE'));
    assert.deepEqual(
      (await readAll(reader, startOffset)).map(comparable),
      records.slice(startOffset).map(comparable),
    );
    const ageOnly = await applyRetention({
      store,
      stream,
      partition: P,
      policy: { maxAgeMs: 1000 },
    });
    assert.equal(ageOnly.startOffset, records.length - 20, 'only compacted segments go');
  });
});

describe('container walking', () => {
  it('finds the same records whatever the chunk sizes', async () => {
    // Prepare
    const { ContainerWalker } = await import('../../../src/log/segment-container.ts');
    const store = new MemoryStore();
    await writeTail(store, stream, P, [1], { seed: 1, dataBytes: 0 });
    const [name] = await names(store, tailFolder(stream, P));
    const bytes = (await store.get(name!)).bytes;

    const sizes = [1, 3, bytes.byteLength];
    for (let size = 50; size < bytes.byteLength; size += 31) sizes.push(size);
    for (const size of sizes) {
      // Act
      const offsets: number[] = [];
      const walker = new ContainerWalker('tail', (r) => offsets.push(r.value.offset));
      for (let at = 0; at < bytes.byteLength; at += size)
        walker.push(bytes.subarray(at, at + size));
      walker.end();

      // Assess
      assert.deepEqual(offsets, [0], `chunks of ${size}`);
    }
    const cut = new ContainerWalker('tail', () => {});
    cut.push(bytes.subarray(0, bytes.byteLength - 3));
    assert.throws(
      () => cut.end(),
      (e: unknown) => hasCode(e, 'CORRUPT_DATA'),
    );
  });
});

describe('compaction beside appenders', () => {
  it('an appender idle past the grace period finds the head again instead of reusing a deleted name', async () => {
    // Prepare
    const { PartitionAppender } = await import('../../../src/log/partition-appender.ts');
    const { noopLogger } = await import('../../../src/observability/index.ts');
    const store = new MemoryStore();
    let now = 1_800_000_000_000;
    const clock = () => now;
    const appender = () =>
      new PartitionAppender({ store, stream, partition: P, logger: noopLogger, clock, tuning: {} });
    const message = (id: string) => ({
      messageId: id,
      publishTimeMicros: now * 1000,
      orderingKey: '',
      attributes: {},
      data: Buffer.from(id),
      subscription: 'projects/p/subscriptions/s',
      deliveryAttempt: null,
    });
    const idle = appender();
    const busy = appender();
    assert.equal((await idle.append(message('first'))).offset, 0);
    for (let i = 0; i < 8; i++) await busy.append(message(`busy-${i}`));
    const compactor = new Compactor({ store, stream, clock, policy: policy({ graceMs: 60_000 }) });

    // Act
    now += 60_000;
    await compactor.compact(P);
    now += 61_000;
    const swept = await compactor.compact(P);
    now += 6 * 60_000;
    const late = await idle.append(message('late'));
    await Promise.all([idle.close(), busy.close()]);

    // Assess
    assert.ok(swept.deleted.length > 0, 'the merged objects are gone');
    assert.equal(late.offset, 9);
    const all = await readAll(new LogReader({ store, stream }), 0);
    assert.deepEqual(
      all.map((r) => r.messageId),
      ['first', ...Array.from({ length: 8 }, (_, i) => `busy-${i}`), 'late'],
    );
  });
});
