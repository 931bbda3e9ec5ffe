import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Message } from '@google-cloud/pubsub';
import { type Harness, startHarness, subscriptionPath } from './harness.ts';

describe('StreamingPull through subscription.on("message")', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.close();
  });

  it('delivers 100,000 messages, redelivers the nacked ones, and ends with nothing left', async () => {
    // Prepare
    const total = 100_000;
    const [topic] = await h.pubsub.createTopic('bulk-topic');
    const [subscription] = await topic.createSubscription('bulk-sub');
    const batching = topic.setPublishOptions({
      batching: { maxMessages: 1000, maxMilliseconds: 20, maxBytes: 4 * 1024 * 1024 },
    });
    void batching;
    const publishes: Promise<string>[] = [];
    for (let i = 0; i < total; i++) {
      publishes.push(
        topic.publishMessage({ data: Buffer.from(String(i)), attributes: { i: String(i) } }),
      );
    }
    const ids = await Promise.all(publishes);
    assert.equal(new Set(ids).size, total, 'message ids are unique');

    // Act: nack every 50th message the first time it arrives, ack everything else.
    const acked = new Set<number>();
    const nacked = new Set<number>();
    let duplicateAcks = 0;
    let redeliveredNacks = 0;
    await new Promise<void>((resolve, reject) => {
      subscription.on('error', reject);
      subscription.on('message', (message: Message) => {
        const i = Number(message.data.toString());
        assert.equal(message.attributes.i, String(i));
        if (i % 50 === 0 && !nacked.has(i)) {
          nacked.add(i);
          message.nack();
          return;
        }
        if (nacked.has(i)) redeliveredNacks++;
        if (acked.has(i)) duplicateAcks++;
        acked.add(i);
        message.ack();
        if (acked.size === total) resolve();
      });
    });
    await subscription.close();

    // Assess
    assert.equal(acked.size, total);
    assert.equal(nacked.size, total / 50);
    assert.equal(redeliveredNacks, total / 50, 'every nacked message came back');
    assert.equal(duplicateAcks, 0, 'no message was delivered again after its ack');
    const [left] = await h.subscriber.pull({
      subscription: subscriptionPath('bulk-sub'),
      maxMessages: 10,
      returnImmediately: true,
    });
    assert.equal(left.receivedMessages?.length ?? 0, 0, 'the backlog is empty');
  });

  it('delivers each ordering key in order and redelivers from a nacked message onwards', async () => {
    // Prepare
    const keys = ['key-a', 'key-b', 'key-c', 'key-d'];
    const perKey = 50;
    const nackAt = 10;
    const [topic] = await h.pubsub.createTopic('ordered-topic');
    const [subscription] = await topic.createSubscription('ordered-sub', {
      enableMessageOrdering: true,
    });
    topic.setPublishOptions({ messageOrdering: true });
    const publishes: Promise<string>[] = [];
    for (let i = 0; i < perKey; i++) {
      for (const key of keys) {
        publishes.push(topic.publishMessage({ data: Buffer.from(String(i)), orderingKey: key }));
      }
    }
    await Promise.all(publishes);

    // Act: nack message 10 of every key once; record every delivery per key.
    const seen = new Map<string, number[]>(keys.map((k) => [k, []]));
    const done = new Set<string>();
    await new Promise<void>((resolve, reject) => {
      subscription.on('error', reject);
      subscription.on('message', (message: Message) => {
        const i = Number(message.data.toString());
        const deliveries = seen.get(message.orderingKey ?? '')!;
        const firstTime = !deliveries.includes(i);
        deliveries.push(i);
        if (i === nackAt && firstTime) message.nack();
        else message.ack();
        const redelivered = deliveries.filter((d) => d === nackAt).length > 1;
        if (i === perKey - 1 && redelivered) {
          done.add(message.orderingKey ?? '');
        }
        if (done.size === keys.length) resolve();
      });
    });
    await subscription.close();

    // Assess: deliveries are 0..s in order, then 10..49 in order again.
    for (const key of keys) {
      const deliveries = seen.get(key)!;
      const restart = deliveries.indexOf(nackAt, nackAt + 1);
      const before = deliveries.slice(0, restart);
      const afterNack = deliveries.slice(restart);
      assert.deepEqual(
        before,
        Array.from({ length: before.length }, (_, i) => i),
        key,
      );
      assert.ok(before.length > nackAt, key);
      assert.deepEqual(
        afterNack,
        Array.from({ length: perKey - nackAt }, (_, i) => i + nackAt),
        key,
      );
    }
  });
});
