import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  JobStore,
  type JobView,
  PROVENANCE,
  pubsubPublisher,
  ReplayRunner,
  ReplayService,
  StreamCatalog,
} from '../../../src/replay/index.ts';
import { FsStore, GcsStore, type ObjectStore } from '../../../src/storage/index.ts';
import { type FakeGcs, startFakeGcs } from '../../support/fake-gcs.ts';
import { fillPartition, recordAt, testStream } from '../../unit/replay/fixture.ts';
import { PROJECT, type PubSubHarness, pullAll, startPubSub } from './pubsub-harness.ts';

interface Backend {
  name: string;
  open(): Promise<ObjectStore>;
  /** Records per partition (two partitions). */
  perPartition: number;
}

let h: PubSubHarness;
let gcs: FakeGcs;
let dir: string;
let topicCount = 0;

before(async () => {
  h = await startPubSub();
  gcs = await startFakeGcs();
  dir = await mkdtemp(join(tmpdir(), 'cascade-replay-'));
});
after(async () => {
  await h.close();
  await gcs.stop();
  await rm(dir, { recursive: true, force: true });
});

/** A fresh topic with an ordered subscription. */
async function newTarget(): Promise<{ topic: string; subscription: string }> {
  const id = `replayed-${++topicCount}`;
  const [topic] = await h.pubsub.createTopic(id);
  await topic.createSubscription(`${id}-sub`, { enableMessageOrdering: true });
  return { topic: `projects/${PROJECT}/topics/${id}`, subscription: `${id}-sub` };
}

const backends: Backend[] = [
  { name: 'fs', open: async () => new FsStore({ root: join(dir, 'fs') }), perPartition: 50_000 },
  {
    name: 'gcs',
    open: async () =>
      new GcsStore({ bucket: await gcs.newBucket('replay'), apiEndpoint: gcs.endpoint }),
    perPartition: 50_000,
  },
];

for (const backend of backends) {
  describe(`replay into the emulator (${backend.name})`, () => {
    it(`replays ${2 * backend.perPartition} records: every record arrives with its provenance, and ordering keys keep order`, async () => {
      // Prepare
      const store = await backend.open();
      const stream = testStream('orders', 2);
      await fillPartition(store, stream, 0, backend.perPartition, { perObject: 5000 });
      await fillPartition(store, stream, 1, backend.perPartition, { perObject: 5000 });
      const catalog = new StreamCatalog({ store, streams: [stream] });
      const jobs = new JobStore({ store, prefix: stream.prefix });
      const service = new ReplayService({ catalog, jobs });
      const target = await newTarget();
      const publisher = pubsubPublisher(h.pubsub);
      const job = (await service.create({
        stream: 'orders',
        topic: target.topic,
        dryRun: false,
      })) as JobView;
      const runner = new ReplayRunner({ catalog, jobs, publisher, tuning: { batchRecords: 2000 } });
      // Act
      const slice = await runner.runSlice(job.id, { deadline: Date.now() + 300_000 });
      const total = 2 * backend.perPartition;
      const pulled = await pullAll(h, target.subscription, { want: total, quietMs: 300 });
      // Assess
      assert.equal(slice.state, 'done');
      assert.equal(pulled.length, total);
      const seen = new Set<string>();
      const lastByKey = new Map<string, number>();
      for (const m of pulled) {
        const partition = Number(m.attributes[PROVENANCE.partition]);
        const offset = Number(m.attributes[PROVENANCE.offset]);
        const original = recordAt(partition, offset);
        assert.equal(m.data.toString(), Buffer.from(original.data).toString());
        assert.equal(m.orderingKey, original.orderingKey);
        assert.deepEqual(
          Object.fromEntries(
            Object.entries(m.attributes).filter(([k]) => !k.startsWith('cascade.')),
          ),
          original.attributes,
        );
        assert.equal(m.attributes[PROVENANCE.messageId], original.messageId);
        assert.equal(m.attributes[PROVENANCE.replayId], job.id);
        assert.equal(m.attributes[PROVENANCE.stream], 'orders');
        seen.add(`${partition}/${offset}`);
        if (m.orderingKey !== '') {
          const last = lastByKey.get(m.orderingKey) ?? -1;
          assert.ok(offset > last, `key ${m.orderingKey}: ${offset} after ${last}`);
          lastByKey.set(m.orderingKey, offset);
        }
      }
      assert.equal(seen.size, total);
      assert.ok(lastByKey.size >= 10);
      const view = await service.get(job.id);
      assert.equal(view.published, total);
      await publisher.close();
      await store.close();
    });
  });
}

describe('replay rate limit', () => {
  it('holds the achieved rate within 10% of the limit over the run', async () => {
    // Prepare: 2,500 records at 500 msgs/s is five seconds of publishing, a
    // rate the code sets (well below what the emulator takes on a loaded machine).
    const store = new FsStore({ root: join(dir, 'rate') });
    const stream = testStream('orders', 1);
    await fillPartition(store, stream, 0, 2500, { perObject: 500 });
    const catalog = new StreamCatalog({ store, streams: [stream] });
    const jobs = new JobStore({ store, prefix: stream.prefix });
    const service = new ReplayService({ catalog, jobs });
    const target = await newTarget();
    const publisher = pubsubPublisher(h.pubsub);
    const rate = 500;
    const job = (await service.create({
      stream: 'orders',
      topic: target.topic,
      ratePerSecond: rate,
      dryRun: false,
    })) as JobView;
    // The run is measured from the first publish call to the last confirmation.
    let first: number | undefined;
    let last = 0;
    const timed = {
      publishBatch: async (
        topic: string,
        messages: Parameters<typeof publisher.publishBatch>[1],
      ) => {
        first ??= performance.now();
        await publisher.publishBatch(topic, messages);
        last = performance.now();
      },
      close: () => publisher.close(),
    };
    const runner = new ReplayRunner({
      catalog,
      jobs,
      publisher: timed,
      tuning: { batchRecords: 100 },
    });
    // Act
    const slice = await runner.runSlice(job.id, { deadline: Date.now() + 60_000 });
    const seconds = (last - (first ?? 0)) / 1000;
    // Assess
    assert.equal(slice.state, 'done');
    const achieved = 2500 / seconds;
    assert.ok(
      Math.abs(achieved - rate) / rate <= 0.1,
      `achieved ${achieved.toFixed(0)} msgs/s against a limit of ${rate}`,
    );
    const view = await service.get(job.id);
    assert.ok(
      Math.abs(view.partitions[0]!.rate - rate) / rate <= 0.1,
      `reported ${view.partitions[0]!.rate}`,
    );
    const pulled = await pullAll(h, target.subscription, { want: 2500, quietMs: 200 });
    assert.equal(pulled.length, 2500);
    await publisher.close();
    await store.close();
  });
});
