import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StreamWriter, streamSettings, TailReader } from '../../../src/log/index.ts';
import { MemoryStore } from '../../../src/storage/index.ts';

const stream = streamSettings({ name: 's', prefix: '', partitions: 1, lingerMs: 0 });

/** 50 records in objects of 1..10 records. */
async function prepare() {
  const store = new MemoryStore();
  const writer = new StreamWriter({ store, stream });
  let id = 0;
  for (let size = 1; id < 50; size = (size % 10) + 1) {
    const batch = Array.from({ length: Math.min(size, 50 - id) }, () => id++);
    await Promise.all(
      batch.map((n) =>
        writer.append({
          messageId: `m${n}`,
          publishTimeMicros: n,
          orderingKey: '',
          attributes: {},
          data: Buffer.alloc(100, n),
          subscription: 'projects/p/subscriptions/s',
          deliveryAttempt: null,
        }),
      ),
    );
  }
  await writer.close();
  return store;
}

async function collect(reader: TailReader, from: number, options = {}) {
  const offsets: number[] = [];
  let next = from;
  for await (const chunk of reader.read(0, from, options)) {
    offsets.push(...chunk.records.map((r) => r.offset));
    next = chunk.nextOffset;
  }
  return { offsets, next };
}

describe('tail reader', () => {
  it('reads from any offset to the end, one chunk per object', async () => {
    const reader = new TailReader({ store: await prepare(), stream });
    for (const from of [0, 1, 17, 49]) {
      const { offsets, next } = await collect(reader, from);
      assert.deepEqual(
        offsets,
        Array.from({ length: 50 - from }, (_, i) => from + i),
      );
      assert.equal(next, 50);
    }
    assert.deepEqual(await collect(reader, 50), { offsets: [], next: 50 });
    assert.equal(await reader.endOffset(0), 50);
  });

  it('stops at maxRecords and maxBytes and says where to continue', async () => {
    const reader = new TailReader({ store: await prepare(), stream });
    const byCount = await collect(reader, 5, { maxRecords: 12 });
    assert.deepEqual(
      byCount.offsets,
      Array.from({ length: 12 }, (_, i) => 5 + i),
    );
    assert.equal(byCount.next, 17);
    const byBytes = await collect(reader, 5, { maxBytes: 1 });
    assert.deepEqual(byBytes, { offsets: [5], next: 6 });
  });

  it('rejects offsets before the start of the partition', async () => {
    const store = await prepare();
    await store.delete('s/p0000/tail/00000000000000000000.avro');
    const reader = new TailReader({ store, stream });
    await assert.rejects(collect(reader, 0), { code: 'OFFSET_OUT_OF_RANGE' });
    assert.equal((await collect(reader, 1)).offsets.length, 49);
  });
});
