import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CascadeError } from '../../../src/errors.ts';
import {
  type LogMessage,
  listTail,
  type StreamSettings,
  StreamWriter,
  streamSettings,
  TailReader,
} from '../../../src/log/index.ts';
import { MemoryStore, type ObjectStore, type PutOptions } from '../../../src/storage/index.ts';

const SUB = 'projects/p/subscriptions/s';

function message(id: string, overrides: Partial<LogMessage> = {}): LogMessage {
  return {
    messageId: id,
    publishTimeMicros: 1_700_000_000_000_000,
    orderingKey: '',
    attributes: {},
    data: Buffer.from(`data of ${id}`),
    subscription: SUB,
    deliveryAttempt: null,
    ...overrides,
  };
}

function settings(overrides: Partial<StreamSettings> = {}): StreamSettings {
  return streamSettings({ name: 's', prefix: 't/', partitions: 1, lingerMs: 2, ...overrides });
}

/** MemoryStore whose puts can be delayed or made to fail after (or instead of) writing. */
class HookedStore extends MemoryStore {
  beforePut: ((name: string) => Promise<void>) | undefined;
  afterPut: ((name: string) => void) | undefined;
  override async put(name: string, data: Uint8Array, options?: PutOptions) {
    await this.beforePut?.(name);
    const result = await super.put(name, data, options);
    this.afterPut?.(name);
    return result;
  }
}

async function objectsOf(store: ObjectStore, stream: StreamSettings, partition = 0) {
  const out: { base: number; count: number }[] = [];
  for await (const o of listTail(store, stream, partition)) {
    out.push({ base: o.meta.baseOffset, count: o.meta.recordCount });
  }
  return out;
}

async function readAll(store: ObjectStore, stream: StreamSettings, partition = 0) {
  const ids: string[] = [];
  for await (const chunk of new TailReader({ store, stream }).read(partition, 0)) {
    for (const r of chunk.records) {
      assert.equal(r.offset, ids.length);
      ids.push(r.messageId);
    }
  }
  return ids;
}

describe('appender', () => {
  it('groups concurrent appends into objects bounded by maxBatchRecords', async () => {
    // Prepare
    const store = new MemoryStore();
    const stream = settings({ maxBatchRecords: 10 });
    const writer = new StreamWriter({ store, stream });
    // Act
    const results = await Promise.all(
      Array.from({ length: 25 }, (_, i) => writer.append(message(`m${i}`))),
    );
    await writer.close();
    // Assess
    assert.deepEqual(
      results.map((r) => r.offset),
      Array.from({ length: 25 }, (_, i) => i),
    );
    assert.deepEqual(await objectsOf(store, stream), [
      { base: 0, count: 10 },
      { base: 10, count: 10 },
      { base: 20, count: 5 },
    ]);
  });

  it('bounds objects by maxBatchBytes', async () => {
    const store = new MemoryStore();
    const stream = settings({ maxBatchBytes: 4096, maxPendingBytes: 1 << 20 });
    const writer = new StreamWriter({ store, stream });
    const big = (i: number) => message(`m${i}`, { data: Buffer.alloc(1500, i) });
    await Promise.all(Array.from({ length: 6 }, (_, i) => writer.append(big(i))));
    await writer.close();
    const objects = await objectsOf(store, stream);
    assert.deepEqual(
      objects.map((o) => o.count),
      [2, 2, 2],
    );
  });

  it('fails fast with BACKPRESSURE when the pending bound is reached, and recovers', async () => {
    // Prepare: a store that holds every put until released.
    const store = new HookedStore();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    store.beforePut = () => gate;
    const stream = settings({ maxBatchBytes: 2048, maxPendingBytes: 4096 });
    const writer = new StreamWriter({ store, stream });
    const payload = (i: number) => message(`m${i}`, { data: Buffer.alloc(900) });
    // Act
    const accepted = [0, 1, 2, 3].map((i) => writer.append(payload(i)));
    const refused = writer.append(payload(4));
    // Assess
    await assert.rejects(refused, (error: CascadeError) => {
      assert.equal(error.code, 'BACKPRESSURE');
      assert.equal(error.retryable, true);
      return true;
    });
    release();
    await Promise.all(accepted);
    assert.equal((await writer.append(payload(5))).offset, 4);
    await writer.close();
  });

  it('rejects messages the log cannot take with INVALID_ARGUMENT', async () => {
    const writer = new StreamWriter({
      store: new MemoryStore(),
      stream: settings({ maxBatchBytes: 1000, maxPendingBytes: 1000 }),
    });
    const bad: LogMessage[] = [
      message(''),
      message('a\nb'),
      message('x', { publishTimeMicros: -1 }),
      message('x', { deliveryAttempt: 1.5 }),
      message('x', { attributes: { n: 1 as unknown as string } }),
      message('x', { data: Buffer.alloc(2000) }),
    ];
    for (const m of bad) {
      await assert.rejects(writer.append(m), { code: 'INVALID_ARGUMENT', retryable: false });
    }
    await writer.close();
  });

  it('rejects appends after close with CLOSED, having flushed what was pending', async () => {
    const store = new MemoryStore();
    const stream = settings({ lingerMs: 10_000 });
    const writer = new StreamWriter({ store, stream });
    const pending = writer.append(message('early'));
    await writer.close();
    assert.equal((await pending).offset, 0);
    await assert.rejects(writer.append(message('late')), { code: 'CLOSED' });
  });

  it('keeps offsets dense when writers race, and dedups across writers', async () => {
    // Prepare: three writers (as three processes would) on one store.
    const store = new MemoryStore();
    const stream = settings({ lingerMs: 1 });
    const writers = [0, 1, 2].map(() => new StreamWriter({ store, stream }));
    // Act: every message goes to one writer, and every fifth again to another.
    const appends: Promise<{ id: string; offset: number; duplicate: boolean }>[] = [];
    for (let i = 0; i < 300; i++) {
      const send = (w: number) =>
        writers[w]!.append(message(`m${i}`)).then((r) => ({ id: `m${i}`, ...r }));
      appends.push(send(i % 3));
      if (i % 5 === 0) appends.push(send((i + 1) % 3));
      if (i % 50 === 0) await new Promise((resolve) => setTimeout(resolve, 3));
    }
    const results = await Promise.all(appends);
    await Promise.all(writers.map((w) => w.close()));
    // Assess
    const ids = await readAll(store, stream);
    assert.equal(ids.length, 300);
    assert.equal(new Set(ids).size, 300);
    for (const r of results) assert.equal(ids[r.offset], r.id);
    const stats = writers.map((w) => w.stats());
    assert.ok(
      stats.some((s) => s.lostRaces > 0),
      'the writers did race',
    );
  });

  it('counts a write that landed although the store reported a failure exactly once', async () => {
    // Prepare: the first create lands, then the caller is told UNAVAILABLE (a lost response).
    const store = new HookedStore();
    let failures = 1;
    store.afterPut = (name) => {
      if (name.endsWith('.avro') && failures-- > 0) {
        throw new CascadeError('UNAVAILABLE', 'connection reset after commit');
      }
    };
    const stream = settings();
    const writer = new StreamWriter({ store, stream, tuning: { retryBaseMs: 1 } });
    // Act
    const results = await Promise.all([writer.append(message('a')), writer.append(message('b'))]);
    const after = await writer.append(message('c'));
    await writer.close();
    // Assess
    assert.deepEqual(
      results.map((r) => [r.offset, r.duplicate]),
      [
        [0, false],
        [1, false],
      ],
    );
    assert.equal(after.offset, 2);
    assert.deepEqual(await readAll(store, stream), ['a', 'b', 'c']);
  });

  it('retries storage failures and gives up retryably when they persist', async () => {
    const store = new HookedStore();
    let failing = 2;
    store.beforePut = async (name) => {
      if (name.endsWith('.avro') && failing-- > 0) throw new CascadeError('RATE_LIMITED', '429');
    };
    const stream = settings();
    const writer = new StreamWriter({
      store,
      stream,
      tuning: { retryBaseMs: 1, maxStorageRetries: 3 },
    });
    assert.equal((await writer.append(message('a'))).offset, 0);
    failing = 100;
    await assert.rejects(writer.append(message('b')), { code: 'RATE_LIMITED', retryable: true });
    failing = 0;
    assert.equal((await writer.append(message('b'))).offset, 1);
    await writer.close();
  });

  it('fails with CONTENTION after too many lost races, writing nothing out of order', async () => {
    const store = new MemoryStore();
    const stream = settings();
    const a = new StreamWriter({ store, stream, tuning: { maxLostRaces: 0 } });
    const b = new StreamWriter({ store, stream });
    await a.append(message('a1'));
    await b.append(message('b1'));
    await assert.rejects(a.append(message('a2')), { code: 'CONTENTION', retryable: true });
    await Promise.all([a.close(), b.close()]);
    assert.deepEqual(await readAll(store, stream), ['a1', 'b1']);
  });

  it('finds the head and the recent ids at cold start from the hint', async () => {
    // Prepare: 30 single-message commits, hint written after each.
    const store = new MemoryStore();
    const stream = settings({ lingerMs: 0 });
    const first = new StreamWriter({ store, stream, tuning: { hintIntervalMs: 0 } });
    for (let i = 0; i < 30; i++) await first.append(message(`m${i}`));
    await first.close();
    // Act: a new process; only objects in the window are read, old ids are forgotten.
    let now = Date.now() + 60_000;
    const later = new StreamWriter({ store, stream, clock: () => now });
    const dup = await later.append(message('m29'));
    now += 700_000;
    const outside = await later.append(message('m0'));
    await later.close();
    // Assess
    assert.deepEqual(dup, { partition: 0, offset: 29, duplicate: true });
    assert.deepEqual(outside, { partition: 0, offset: 30, duplicate: false });
  });

  it('lets a hint-less partition be found by listing', async () => {
    const store = new MemoryStore();
    const stream = settings();
    const first = new StreamWriter({ store, stream, tuning: { hintIntervalMs: 1e9 } });
    await first.append(message('x'));
    await first.close();
    for await (const o of store.list({ prefix: 't/s/p0000/' })) {
      if (o.name.endsWith('.json')) await store.delete(o.name);
    }
    const second = new StreamWriter({ store, stream });
    assert.deepEqual(await second.append(message('x')), {
      partition: 0,
      offset: 0,
      duplicate: true,
    });
    assert.equal((await second.append(message('y'))).offset, 1);
    await second.close();
  });
});
