import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Message } from '@google-cloud/pubsub';
import { status } from '@grpc/grpc-js';
import { eventually, type Harness, startHarness, subscriptionPath, topicPath } from './harness.ts';

type StreamingPullResponse = {
  receivedMessages?:
    | { ackId?: string | null; message?: { data?: Uint8Array | string | null } | null }[]
    | null;
};

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
    // Publish in requests of 1000 (the service's maximum), a few at a time.
    const ids: string[] = [];
    const batch = 1000;
    for (let start = 0; start < total; start += 4 * batch) {
      const requests = [0, 1, 2, 3].map(async (k) => {
        const first = start + k * batch;
        const [response] = await h.publisher.publish({
          topic: topicPath('bulk-topic'),
          messages: Array.from({ length: batch }, (_, j) => ({
            data: Buffer.from(String(first + j)),
            attributes: { i: String(first + j) },
          })),
        });
        return response.messageIds ?? [];
      });
      for (const published of await Promise.all(requests)) ids.push(...published);
    }
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

  it('takes acks and nacks over the stream, answers keepalives and refuses bad first requests', async () => {
    // Prepare
    const [topic] = await h.pubsub.createTopic('raw-stream-topic');
    await topic.createSubscription('raw-stream-sub');
    await h.publisher.publish({
      topic: topicPath('raw-stream-topic'),
      messages: [{ data: Buffer.from('keep') }, { data: Buffer.from('again') }],
    });
    const stream = h.subscriber.streamingPull();
    const responses: StreamingPullResponse[] = [];
    stream.on('data', (response: StreamingPullResponse) => responses.push(response));
    stream.on('error', () => {});
    const received = () => responses.flatMap((r) => r.receivedMessages ?? []);
    const text = (m: { message?: { data?: Uint8Array | string | null } | null }) =>
      Buffer.from(m.message?.data ?? '').toString();

    // Act
    stream.write({
      subscription: subscriptionPath('raw-stream-sub'),
      streamAckDeadlineSeconds: 10,
      maxOutstandingMessages: 1,
      protocolVersion: 1,
    });
    await eventually(() => received().length === 1);
    const first = received()[0]!;
    stream.write({ modifyDeadlineAckIds: [first.ackId!], modifyDeadlineSeconds: [0] });
    await eventually(() => received().length === 2);
    const redelivered = received()[1]!;
    stream.write({ ackIds: [redelivered.ackId!] });
    await eventually(() => received().length === 3);
    const second = received()[2]!;
    const before = responses.length;
    stream.write({});
    await eventually(() => responses.length > before);
    const heartbeat = responses.at(-1);
    stream.write({ ackIds: [second.ackId!] });
    stream.end();
    const noDeadline = await streamStatus(h.subscriber.streamingPull(), {
      subscription: subscriptionPath('raw-stream-sub'),
    });
    const noSub = await streamStatus(h.subscriber.streamingPull(), {
      subscription: subscriptionPath('missing-sub'),
      streamAckDeadlineSeconds: 10,
    });

    // Assess
    assert.equal(text(first), text(redelivered), 'a nack over the stream redelivers');
    assert.notEqual(
      text(second),
      text(first),
      'flow control held the second message back until the ack',
    );
    assert.deepEqual(heartbeat?.receivedMessages ?? [], [], 'a keepalive gets an empty response');
    assert.equal(noDeadline, status.INVALID_ARGUMENT);
    assert.equal(noSub, status.NOT_FOUND);
  });
});

/** Writes one request to a fresh stream and resolves to the status code it ends with. */
function streamStatus(
  stream: ReturnType<Harness['subscriber']['streamingPull']>,
  request: Record<string, unknown>,
): Promise<number | undefined> {
  return new Promise((resolve) => {
    stream.on('data', () => {});
    stream.on('error', (error: { code?: number }) => resolve(error.code));
    stream.on('end', () => resolve(undefined));
    stream.write(request);
  });
}
