import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { codeOf, type Harness, startHarness, subscriptionPath, topicPath } from './harness.ts';

describe('Pull, acks, deadlines, dead letters and filters', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.close();
  });

  const pull = async (sub: string, maxMessages = 100) => {
    const [response] = await h.subscriber.pull({
      subscription: subscriptionPath(sub),
      maxMessages,
      returnImmediately: true,
    });
    return response.receivedMessages ?? [];
  };

  it('publishes with server-assigned ids and publish times and pulls them back', async () => {
    // Prepare
    const [topic] = await h.pubsub.createTopic('pull-topic');
    await topic.createSubscription('pull-sub');
    const before = Date.now();

    // Act
    const [response] = await h.publisher.publish({
      topic: topicPath('pull-topic'),
      messages: [
        { data: Buffer.from('one'), attributes: { k: 'v' } },
        { data: Buffer.from('two'), orderingKey: 'key-a' },
        { attributes: { payload: 'none' } },
      ],
    });
    const received = await pull('pull-sub');

    // Assess
    const ids = response.messageIds ?? [];
    assert.equal(new Set(ids).size, 3);
    assert.deepEqual(
      received.map((r) => r.message?.messageId),
      ids,
    );
    assert.deepEqual(
      received.map((r) => Buffer.from(r.message?.data ?? '').toString()),
      ['one', 'two', ''],
    );
    assert.deepEqual(received[0]?.message?.attributes, { k: 'v' });
    assert.equal(received[1]?.message?.orderingKey, 'key-a');
    const publishMs = Number(received[0]?.message?.publishTime?.seconds) * 1000;
    assert.ok(publishMs >= before - 1000 && publishMs <= Date.now() + 1000);
    assert.equal(
      received[0]?.deliveryAttempt,
      0,
      'no delivery attempt without a dead-letter policy',
    );
  });

  it('redelivers after the ack deadline passes, honours modAck, and forgets acked messages', async () => {
    // Prepare: the previous test left three leased, unacked messages.
    const leased = await pull('pull-sub');
    assert.equal(leased.length, 0, 'leased messages are not redelivered before their deadline');

    // Act
    h.emulator.clock.advance(11_000);
    const again = await pull('pull-sub');
    const [first, second, third] = again;
    await h.subscriber.acknowledge({
      subscription: subscriptionPath('pull-sub'),
      ackIds: [first!.ackId!],
    });
    await h.subscriber.modifyAckDeadline({
      subscription: subscriptionPath('pull-sub'),
      ackIds: [second!.ackId!],
      ackDeadlineSeconds: 120,
    });
    await h.subscriber.modifyAckDeadline({
      subscription: subscriptionPath('pull-sub'),
      ackIds: [third!.ackId!],
      ackDeadlineSeconds: 0,
    });
    const nacked = await pull('pull-sub');
    h.emulator.clock.advance(60_000);
    const afterMinute = await pull('pull-sub');
    h.emulator.clock.advance(61_000);
    const afterExtension = await pull('pull-sub');
    const badDeadline = await codeOf(
      h.subscriber.modifyAckDeadline({
        subscription: subscriptionPath('pull-sub'),
        ackIds: [second!.ackId!],
        ackDeadlineSeconds: 601,
      }),
    );

    // Assess
    assert.equal(again.length, 3);
    assert.deepEqual(
      nacked.map((r) => r.message?.messageId),
      [third!.message!.messageId],
      'a nack (modAck 0) redelivers at once',
    );
    assert.deepEqual(
      afterMinute.map((r) => r.message?.messageId),
      [third!.message!.messageId],
      'the extended message stays leased, the nacked one expired again',
    );
    assert.deepEqual(
      afterExtension.map((r) => r.message?.messageId).sort(),
      [second!.message!.messageId, third!.message!.messageId].sort(),
      'the acked message never returns',
    );
    assert.equal(badDeadline, status.INVALID_ARGUMENT);
  });

  it('dead-letters a message after max delivery attempts, counting attempts', async () => {
    // Prepare
    const [topic] = await h.pubsub.createTopic('dl-source');
    const [deadLetters] = await h.pubsub.createTopic('dl-target');
    await deadLetters.createSubscription('dl-target-sub');
    await topic.createSubscription('dl-sub', {
      deadLetterPolicy: { deadLetterTopic: topicPath('dl-target'), maxDeliveryAttempts: 5 },
    });
    await topic.publishMessage({ data: Buffer.from('poison'), attributes: { kind: 'bad' } });

    // Act: nack it five times.
    const attempts: number[] = [];
    for (let i = 0; i < 5; i++) {
      const [message] = await pull('dl-sub');
      attempts.push(message?.deliveryAttempt ?? -1);
      await h.subscriber.modifyAckDeadline({
        subscription: subscriptionPath('dl-sub'),
        ackIds: [message!.ackId!],
        ackDeadlineSeconds: 0,
      });
    }
    const left = await pull('dl-sub');
    const dead = await pull('dl-target-sub');

    // Assess
    assert.deepEqual(attempts, [1, 2, 3, 4, 5]);
    assert.equal(left.length, 0);
    assert.equal(dead.length, 1);
    assert.equal(Buffer.from(dead[0]!.message!.data!).toString(), 'poison');
    assert.equal(dead[0]!.message!.attributes!.kind, 'bad');
    assert.equal(dead[0]!.message!.attributes!.CloudPubSubDeadLetterSourceDeliveryCount, '5');
    assert.equal(dead[0]!.message!.attributes!.CloudPubSubDeadLetterSourceSubscription, 'dl-sub');
  });

  it('backs off redelivery by the retry policy', async () => {
    // Prepare
    const [topic] = await h.pubsub.createTopic('retry-topic');
    await topic.createSubscription('retry-sub', {
      retryPolicy: { minimumBackoff: { seconds: 20 }, maximumBackoff: { seconds: 30 } },
    });
    await topic.publishMessage({ data: Buffer.from('again') });
    const nack = async (ackId: string) =>
      h.subscriber.modifyAckDeadline({
        subscription: subscriptionPath('retry-sub'),
        ackIds: [ackId],
        ackDeadlineSeconds: 0,
      });

    // Act
    const [first] = await pull('retry-sub');
    await nack(first!.ackId!);
    const tooSoon = await pull('retry-sub');
    h.emulator.clock.advance(20_000);
    const [second] = await pull('retry-sub');
    await nack(second!.ackId!);
    h.emulator.clock.advance(20_000);
    const stillBackingOff = await pull('retry-sub');
    h.emulator.clock.advance(10_000);
    const third = await pull('retry-sub');

    // Assess
    assert.equal(tooSoon.length, 0, 'minimum backoff holds the message back');
    assert.ok(second);
    assert.equal(stillBackingOff.length, 0, 'the second backoff doubles, capped at the maximum');
    assert.equal(third.length, 1);
  });

  it('delivers only messages matching the subscription filter', async () => {
    // Prepare
    const [topic] = await h.pubsub.createTopic('filter-topic');
    await topic.createSubscription('filter-sub', {
      filter: 'attributes.kind = "order" AND NOT hasPrefix(attributes.region, "test")',
    });
    const badFilter = await codeOf(topic.createSubscription('bad-filter', { filter: 'kind = 1' }));

    // Act
    await h.publisher.publish({
      topic: topicPath('filter-topic'),
      messages: [
        { data: Buffer.from('a'), attributes: { kind: 'order', region: 'eu' } },
        { data: Buffer.from('b'), attributes: { kind: 'refund', region: 'eu' } },
        { data: Buffer.from('c'), attributes: { kind: 'order', region: 'test-1' } },
        { data: Buffer.from('d'), attributes: { kind: 'order' } },
      ],
    });
    const received = await pull('filter-sub');

    // Assess
    assert.equal(badFilter, status.INVALID_ARGUMENT);
    assert.deepEqual(
      received.map((r) => Buffer.from(r.message?.data ?? '').toString()),
      ['a', 'd'],
    );
  });
});
