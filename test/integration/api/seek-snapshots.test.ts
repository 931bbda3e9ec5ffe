import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createApi, type Router } from '../../../src/api/index.ts';
import {
  JobStore,
  pubsubAdmin,
  ReplayService,
  StreamCatalog,
  type SubscriptionAdmin,
} from '../../../src/replay/index.ts';
import { rotateSnapshots } from '../../../src/scheduler/index.ts';
import { MemoryStore } from '../../../src/storage/index.ts';
import { call } from '../../unit/api/fake-http.ts';
import { testStream } from '../../unit/replay/fixture.ts';
import { PROJECT, type PubSubHarness, pullAll, startPubSub } from '../replay/pubsub-harness.ts';

const SUB = `projects/${PROJECT}/subscriptions/orders-push`;

describe('seek and snapshots through the API, against the emulator', () => {
  let h: PubSubHarness;
  let router: Router;
  let admin: SubscriptionAdmin;

  before(async () => {
    h = await startPubSub();
    const [topic] = await h.pubsub.createTopic('orders');
    await topic.createSubscription('orders-push', { retainAckedMessages: true });
    admin = pubsubAdmin(h.pubsub);
    const store = new MemoryStore();
    const stream = { ...testStream('orders', 1), subscription: SUB };
    const catalog = new StreamCatalog({ store, streams: [stream] });
    router = createApi({
      catalog,
      replays: new ReplayService({ catalog, jobs: new JobStore({ store, prefix: stream.prefix }) }),
      admin,
      subscriptions: [SUB],
      clock: () => h.emulator.clock.now(),
    });
  });
  after(async () => {
    await h.close();
  });

  const publish = async (...texts: string[]) => {
    const topic = h.pubsub.topic(`projects/${PROJECT}/topics/orders`);
    for (const text of texts) await topic.publishMessage({ data: Buffer.from(text) });
  };
  const drain = async (want: number) =>
    (await pullAll(h, 'orders-push', { want, quietMs: 300, timeoutMs: 20_000 }))
      .map((m) => m.data.toString())
      .sort();

  it('redelivers from a snapshot and from a time, and refuses a time beyond retention', async () => {
    // Prepare: m1 and m2 delivered and acked, then a snapshot, then m3 acked too.
    const start = h.emulator.clock.now();
    await publish('m1', 'm2');
    assert.deepEqual(await drain(2), ['m1', 'm2']);
    const created = await call(router, 'POST', '/v1/snapshots', {
      json: { subscription: 'orders-push', snapshot: 'before-m3' },
    });
    assert.equal(created.statusCode, 201, created.text);
    assert.equal(created.json().name, `projects/${PROJECT}/snapshots/before-m3`);
    await publish('m3');
    assert.deepEqual(await drain(1), ['m3']);

    // Act / Assess: the snapshot rolls the subscription back to "m3 unacked".
    const toSnapshot = await call(router, 'POST', '/v1/subscriptions/orders-push:seek', {
      json: { snapshot: 'before-m3' },
    });
    assert.equal(toSnapshot.statusCode, 200, toSnapshot.text);
    assert.deepEqual(await drain(1), ['m3']);

    // A time before m1: everything published since is redelivered (acked messages are retained).
    const toTime = await call(router, 'POST', '/v1/subscriptions/orders-push:seek', {
      json: { time: new Date(start - 1000).toISOString() },
    });
    assert.equal(toTime.statusCode, 200, toTime.text);
    assert.equal(toTime.json().retainAckedMessages, true);
    assert.deepEqual(await drain(3), ['m1', 'm2', 'm3']);

    // Older than the subscription's retention (7 days by default): refused, nothing redelivered.
    const old = new Date(h.emulator.clock.now() - 8 * 86_400_000).toISOString();
    const refused = await call(router, 'POST', '/v1/subscriptions/orders-push:seek', {
      json: { time: old },
    });
    assert.equal(refused.statusCode, 400);
    assert.match(refused.json().error!.message, /retains messages/);
    const replay = refused.json().error!.details.equivalentReplay as {
      stream: string;
      from: unknown;
      to: { time: string };
      topic: string;
    };
    assert.deepEqual(
      { stream: replay.stream, from: replay.from, topic: replay.topic },
      { stream: 'orders', from: { time: old }, topic: `projects/${PROJECT}/topics/orders` },
    );
    // `to` is "now" as the API saw it: between the request and this check.
    const to = Date.parse(replay.to.time);
    assert.ok(to >= Date.parse(old) && to <= h.emulator.clock.now(), replay.to.time);
    assert.deepEqual(await drain(0), []);
  });

  it('lists and deletes snapshots; seeking to a missing one is a 404', async () => {
    const listed = await call(router, 'GET', '/v1/snapshots');
    assert.equal(listed.statusCode, 200);
    const names = (listed.json().snapshots as { name: string }[]).map((s) => s.name);
    assert.ok(names.includes(`projects/${PROJECT}/snapshots/before-m3`), names.join());
    const deleted = await call(router, 'DELETE', '/v1/snapshots/before-m3');
    assert.equal(deleted.statusCode, 200, deleted.text);
    const again = await call(router, 'GET', '/v1/snapshots');
    assert.deepEqual(again.json().snapshots, []);
    const missing = await call(router, 'POST', '/v1/subscriptions/orders-push:seek', {
      json: { snapshot: 'before-m3' },
    });
    assert.equal(missing.statusCode, 404, missing.text);
  });

  it('snapshot rotation against the emulator: creates on the interval, deletes near expiry', async () => {
    const clock = () => h.emulator.clock.now();
    const policy = { subscriptions: [SUB], intervalMs: 3_600_000, deleteBeforeExpiryMs: 3_600_000 };
    const first = await rotateSnapshots({ admin, policy, clock });
    assert.equal(first.created.length, 1);
    const second = await rotateSnapshots({ admin, policy, clock });
    assert.deepEqual(second.created, []);
    // Treat every snapshot as about to expire: rotation deletes its own and makes a fresh one.
    h.emulator.clock.advance(2 * 3_600_000);
    const third = await rotateSnapshots({
      admin,
      policy: { ...policy, deleteBeforeExpiryMs: 8 * 86_400_000 },
      clock,
    });
    assert.deepEqual(third.deleted, first.created);
    assert.equal(third.created.length, 1);
  });
});
