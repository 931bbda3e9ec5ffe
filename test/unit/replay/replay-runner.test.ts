import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  JobStore,
  type JobView,
  PROVENANCE,
  ReplayRunner,
  ReplayService,
  StreamCatalog,
} from '../../../src/replay/index.ts';
import { MemoryStore } from '../../../src/storage/index.ts';
import { FakePublisher, fillPartition, recordAt, testStream } from './fixture.ts';

const TOPIC = 'projects/test/topics/replayed';

async function setup(counts: number[]) {
  const store = new MemoryStore();
  const stream = testStream('orders', counts.length);
  for (const [p, n] of counts.entries())
    await fillPartition(store, stream, p, n, { perObject: 700 });
  const catalog = new StreamCatalog({ store, streams: [stream] });
  const jobs = new JobStore({ store, prefix: stream.prefix });
  const service = new ReplayService({ catalog, jobs });
  return { store, stream, catalog, jobs, service };
}

const keyOf = (attrs: Record<string, string>) =>
  `${attrs[PROVENANCE.partition]}/${attrs[PROVENANCE.offset]}`;

describe('ReplayRunner', () => {
  it('publishes every record of the range once, with its attributes and provenance', async () => {
    // Prepare
    const { catalog, jobs, service } = await setup([2500, 1800]);
    const publisher = new FakePublisher();
    const job = (await service.create({
      stream: 'orders',
      topic: TOPIC,
      dryRun: false,
    })) as JobView;
    const runner = new ReplayRunner({ catalog, jobs, publisher, tuning: { batchRecords: 400 } });
    // Act
    const slice = await runner.runSlice(job.id, { deadline: Date.now() + 60_000 });
    // Assess
    assert.equal(slice.state, 'done');
    assert.equal(publisher.published.length, 4300);
    const seen = new Set<string>();
    for (const { topic, message } of publisher.published) {
      assert.equal(topic, TOPIC);
      const partition = Number(message.attributes[PROVENANCE.partition]);
      const offset = Number(message.attributes[PROVENANCE.offset]);
      const original = recordAt(partition, offset);
      assert.deepEqual(Buffer.from(message.data), Buffer.from(original.data));
      assert.equal(message.orderingKey, original.orderingKey);
      assert.equal(message.attributes[PROVENANCE.messageId], original.messageId);
      assert.equal(message.attributes[PROVENANCE.replayId], job.id);
      assert.equal(message.attributes[PROVENANCE.stream], 'orders');
      assert.equal(message.attributes.n, original.attributes.n);
      seen.add(keyOf(message.attributes));
    }
    assert.equal(seen.size, 4300);
    const view = await service.get(job.id);
    assert.equal(view.published, 4300);
    assert.deepEqual(
      view.partitions.map((p) => [p.state, p.next, p.etaSeconds]),
      [
        ['done', 2500, 0],
        ['done', 1800, 0],
      ],
    );
  });

  it('after a failed batch, the next slice resumes at the checkpoint without gaps or extra copies', async () => {
    const { catalog, jobs, service } = await setup([3000]);
    const publisher = new FakePublisher();
    publisher.failAtBatch = 4;
    const job = (await service.create({
      stream: 'orders',
      topic: TOPIC,
      dryRun: false,
    })) as JobView;
    const runner = new ReplayRunner({ catalog, jobs, publisher, tuning: { batchRecords: 500 } });
    const first = await runner.runSlice(job.id, { deadline: Date.now() + 60_000 });
    assert.equal(first.state, 'running');
    assert.equal((await service.get(job.id)).partitions[0]!.next, 1500);
    assert.match((await service.get(job.id)).error ?? '', /injected/);
    const second = await runner.runSlice(job.id, { deadline: Date.now() + 60_000 });
    assert.equal(second.state, 'done');
    const offsets = publisher.published.map((p) => Number(p.message.attributes[PROVENANCE.offset]));
    assert.deepEqual(
      offsets,
      Array.from({ length: 3000 }, (_, i) => i),
    );
  });

  it('a non-retryable publish failure fails the job', async () => {
    const { catalog, jobs, service } = await setup([100]);
    const publisher = new FakePublisher();
    publisher.failAtBatch = 1;
    publisher.failRetryable = false;
    const job = (await service.create({
      stream: 'orders',
      topic: TOPIC,
      dryRun: false,
    })) as JobView;
    const runner = new ReplayRunner({ catalog, jobs, publisher });
    const slice = await runner.runSlice(job.id, { deadline: Date.now() + 60_000 });
    assert.equal(slice.state, 'failed');
    assert.equal((await service.get(job.id)).state, 'failed');
  });

  it('stops at the deadline, releases the lease, and a later slice finishes', async () => {
    const { catalog, jobs, service } = await setup([2000]);
    const publisher = new FakePublisher();
    let now = 1_000_000;
    const job = (await service.create({
      stream: 'orders',
      topic: TOPIC,
      dryRun: false,
    })) as JobView;
    // Every publish takes "100 ms" of the fake clock.
    const slow = {
      ...publisher,
      publishBatch: async (t: string, m: Parameters<FakePublisher['publishBatch']>[1]) => {
        now += 100;
        await publisher.publishBatch(t, m);
      },
      close: async () => {},
    };
    const runner = new ReplayRunner({
      catalog,
      jobs,
      publisher: slow,
      clock: () => now,
      tuning: { batchRecords: 200 },
    });
    const first = await runner.runSlice(job.id, { deadline: now + 450 });
    assert.equal(first.outOfTime, true);
    assert.equal(first.published, 1000);
    assert.equal((await jobs.get(job.id)).job.lease, null);
    const second = await runner.runSlice(job.id, { deadline: now + 10_000 });
    assert.equal(second.state, 'done');
    assert.equal(publisher.published.length, 2000);
  });

  it('two runners at once: the lease lets only one run the job', async () => {
    const { catalog, jobs, service } = await setup([3000]);
    const job = (await service.create({
      stream: 'orders',
      topic: TOPIC,
      dryRun: false,
    })) as JobView;
    const publishers = [new FakePublisher(), new FakePublisher()];
    const runners = publishers.map(
      (publisher) => new ReplayRunner({ catalog, jobs, publisher, tuning: { batchRecords: 300 } }),
    );
    const results = await Promise.all(
      runners.map((r) => r.runSlice(job.id, { deadline: Date.now() + 60_000 })),
    );
    assert.equal(results.filter((r) => r.ran).length, 1);
    assert.equal(publishers[0]!.published.length + publishers[1]!.published.length, 3000);
    assert.ok(publishers.some((p) => p.published.length === 0));
  });

  it('a lease left by a dead holder is taken over only after it expires', async () => {
    const { catalog, jobs, service } = await setup([500]);
    let now = 5_000_000;
    const job = (await service.create({
      stream: 'orders',
      topic: TOPIC,
      dryRun: false,
    })) as JobView;
    await jobs.update(job.id, (j) => ({
      ...j,
      state: 'running',
      lease: { holder: 'dead', expiresAtMs: now + 30_000 },
    }));
    const publisher = new FakePublisher();
    const runner = new ReplayRunner({ catalog, jobs, publisher, clock: () => now });
    const early = await runner.runSlice(job.id, { deadline: now + 10_000 });
    assert.equal(early.ran, false);
    now += 30_001;
    const late = await runner.runSlice(job.id, { deadline: now + 10_000 });
    assert.equal(late.ran, true);
    assert.equal(late.state, 'done');
    assert.equal(publisher.published.length, 500);
  });

  it('a job cancelled mid-run stops at the next checkpoint', async () => {
    const { catalog, jobs, service } = await setup([3000]);
    const job = (await service.create({
      stream: 'orders',
      topic: TOPIC,
      dryRun: false,
    })) as JobView;
    const publisher = new FakePublisher();
    const cancelling = {
      publishBatch: async (t: string, m: Parameters<FakePublisher['publishBatch']>[1]) => {
        await publisher.publishBatch(t, m);
        if (publisher.batches === 2) await service.cancel(job.id);
      },
      close: async () => {},
    };
    const runner = new ReplayRunner({
      catalog,
      jobs,
      publisher: cancelling,
      tuning: { batchRecords: 250 },
    });
    const slice = await runner.runSlice(job.id, { deadline: Date.now() + 60_000 });
    assert.equal(slice.state, 'cancelled');
    assert.equal(publisher.published.length, 500);
    assert.equal((await service.get(job.id)).state, 'cancelled');
  });

  it('applies the attribute filter and dry runs count the same messages', async () => {
    const { catalog, jobs, service } = await setup([1000]);
    const filter = { equals: { kind: 'third' }, exists: ['n'] };
    const dry = await service.create({ stream: 'orders', topic: TOPIC, filter, dryRun: true });
    assert.ok('dryRun' in dry);
    assert.equal(dry.count, 334);
    const expectedBytes = Array.from({ length: 1000 }, (_, i) => i)
      .filter((i) => i % 3 === 0)
      .reduce((n, i) => n + recordAt(0, i).data.byteLength, 0);
    assert.equal(dry.bytes, expectedBytes);
    const job = (await service.create({
      stream: 'orders',
      topic: TOPIC,
      filter,
      dryRun: false,
    })) as JobView;
    const publisher = new FakePublisher();
    await new ReplayRunner({ catalog, jobs, publisher }).runSlice(job.id, {
      deadline: Date.now() + 60_000,
    });
    assert.equal(publisher.published.length, 334);
    const view = await service.get(job.id);
    assert.equal(view.partitions[0]!.skipped, 666);
  });

  it('resolves time ranges and refuses ranges below the start', async () => {
    const { service } = await setup([1000, 10]);
    const dry = await service.create({
      stream: 'orders',
      topic: TOPIC,
      partitions: [0],
      from: { time: new Date(1_780_000_000_000 + 100).toISOString() },
      to: { time: new Date(1_780_000_000_000 + 250).toISOString() },
      dryRun: true,
    });
    assert.ok('dryRun' in dry);
    assert.deepEqual(dry.partitions, [
      { partition: 0, from: 100, to: 250, count: 150, bytes: dry.bytes },
    ]);
    await assert.rejects(
      service.create({ stream: 'orders', topic: TOPIC, partitions: [7], dryRun: true }),
      { code: 'NOT_FOUND' },
    );
    await assert.rejects(service.create({ stream: 'nope', topic: TOPIC, dryRun: true }), {
      code: 'NOT_FOUND',
    });
  });
});
