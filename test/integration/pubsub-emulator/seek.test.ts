import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import {
  codeOf,
  type Harness,
  snapshotPath,
  startHarness,
  subscriptionPath,
  topicPath,
} from './harness.ts';

describe('retained acks, Seek to a time or a snapshot, and retention', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.close();
  });

  const pullData = async (sub: string): Promise<{ data: string; ackId: string }[]> => {
    const [response] = await h.subscriber.pull({
      subscription: subscriptionPath(sub),
      maxMessages: 100,
      returnImmediately: true,
    });
    return (response.receivedMessages ?? []).map((r) => ({
      data: Buffer.from(r.message?.data ?? '').toString(),
      ackId: r.ackId ?? '',
    }));
  };
  const ack = async (sub: string, ackIds: string[]) => {
    if (ackIds.length > 0) {
      await h.subscriber.acknowledge({ subscription: subscriptionPath(sub), ackIds });
    }
  };
  const publish = async (topic: string, ...data: string[]) => {
    await h.publisher.publish({
      topic: topicPath(topic),
      messages: data.map((d) => ({ data: Buffer.from(d) })),
    });
  };
  // Through the handwritten client's Subscription#seek, which takes a Date or a snapshot name.
  const seekTime = async (sub: string, ms: number) => {
    await h.pubsub.subscription(sub).seek(new Date(ms));
  };

  it('redelivers by time and by snapshot with Pub/Sub semantics', async () => {
    // Prepare: m1..m3, then a snapshot while only m3 is unacked, then m4 and m5.
    const [topic] = await h.pubsub.createTopic('seek-topic');
    await topic.createSubscription('seek-sub', { retainAckedMessages: true });
    await topic.createSubscription('plain-sub');
    const start = h.emulator.clock.now();
    await publish('seek-topic', 'm1', 'm2', 'm3');
    const first = await pullData('seek-sub');
    await ack(
      'seek-sub',
      first.filter((m) => m.data !== 'm3').map((m) => m.ackId),
    );
    await ack(
      'plain-sub',
      (await pullData('plain-sub')).map((m) => m.ackId),
    );
    await h.pubsub.subscription('seek-sub').createSnapshot('seek-snap');
    await ack(
      'seek-sub',
      first.filter((m) => m.data === 'm3').map((m) => m.ackId),
    );
    h.emulator.clock.advance(10_000);
    const middle = h.emulator.clock.now();
    await publish('seek-topic', 'm4', 'm5');
    await ack(
      'seek-sub',
      (await pullData('seek-sub')).map((m) => m.ackId),
    );
    await ack(
      'plain-sub',
      (await pullData('plain-sub')).map((m) => m.ackId),
    );

    // Act
    await seekTime('seek-sub', start);
    const fromStart = await pullData('seek-sub');
    await ack(
      'seek-sub',
      fromStart.map((m) => m.ackId),
    );
    await seekTime('seek-sub', middle);
    const fromMiddle = await pullData('seek-sub');
    await ack(
      'seek-sub',
      fromMiddle.map((m) => m.ackId),
    );
    await h.pubsub.subscription('seek-sub').seek('seek-snap');
    const fromSnapshot = await pullData('seek-sub');
    await seekTime('plain-sub', start);
    const plainFromStart = await pullData('plain-sub');

    // Assess
    const data = (list: { data: string }[]) => list.map((m) => m.data).sort();
    assert.deepEqual(data(fromStart), ['m1', 'm2', 'm3', 'm4', 'm5']);
    assert.deepEqual(data(fromMiddle), ['m4', 'm5']);
    assert.deepEqual(data(fromSnapshot), ['m3', 'm4', 'm5'], 'unacked at snapshot time, or later');
    assert.deepEqual(plainFromStart, [], 'without retain_acked_messages acked messages stay gone');
  });

  it('drops messages past the retention window and seeks back before a subscription existed with topic retention', async () => {
    // Prepare
    const [short] = await h.pubsub.createTopic('short-topic');
    await short.createSubscription('short-sub', {
      retainAckedMessages: true,
      messageRetentionDuration: { seconds: 600 },
    });
    const [kept] = await h.pubsub.createTopic({
      name: topicPath('kept-topic'),
      messageRetentionDuration: { seconds: 3600 },
    });
    const before = h.emulator.clock.now();
    await publish('short-topic', 'old');
    await publish('kept-topic', 'early');

    // Act
    h.emulator.clock.advance(11 * 60_000);
    const expired = await pullData('short-sub');
    await seekTime('short-sub', before);
    const afterSeek = await pullData('short-sub');
    await kept.createSubscription('late-sub');
    const lateBefore = await pullData('late-sub');
    await seekTime('late-sub', before);
    const lateAfter = await pullData('late-sub');

    // Assess
    assert.deepEqual(expired, [], 'an unacked message older than retention is dropped');
    assert.deepEqual(afterSeek, [], 'seek cannot bring back what retention dropped');
    assert.deepEqual(lateBefore, [], 'a new subscription starts empty');
    assert.deepEqual(
      lateAfter.map((m) => m.data),
      ['early'],
    );
  });

  it('reports snapshot expiry from the oldest unacked message and expires it', async () => {
    // Prepare
    const [topic] = await h.pubsub.createTopic('expiry-topic');
    await topic.createSubscription('expiry-sub');
    await h.pubsub.createTopic('other-topic');
    await h.pubsub.topic('other-topic').createSubscription('other-sub');
    const published = h.emulator.clock.now();
    await publish('expiry-topic', 'waiting');
    h.emulator.clock.advance(2 * 86_400_000);

    // Act
    const [snapshot] = await h.subscriber.createSnapshot({
      name: snapshotPath('expiry-snap'),
      subscription: subscriptionPath('expiry-sub'),
    });
    const wrongTopic = await codeOf(
      h.subscriber.seek({
        subscription: subscriptionPath('other-sub'),
        snapshot: snapshotPath('expiry-snap'),
      }),
    );
    h.emulator.clock.advance(5 * 86_400_000);
    const gone = await codeOf(h.subscriber.getSnapshot({ snapshot: snapshotPath('expiry-snap') }));

    // Assess
    const expireSeconds = Number(snapshot.expireTime?.seconds);
    assert.equal(expireSeconds, Math.floor((published + 7 * 86_400_000) / 1000));
    assert.equal(wrongTopic, status.FAILED_PRECONDITION);
    assert.equal(gone, status.NOT_FOUND);
  });
});
