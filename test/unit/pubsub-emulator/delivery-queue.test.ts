import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DeliveryQueue } from '../../../src/local/pubsub-emulator/delivery-queue.ts';
import type {
  DeliveryPolicy,
  LeaseHolder,
  StoredMessage,
  TakeOptions,
} from '../../../src/local/pubsub-emulator/types.ts';

let seq = 0;
function message(data: string, orderingKey = '', publishTime = 0): StoredMessage {
  seq++;
  return {
    data: Buffer.from(data),
    attributes: {},
    messageId: String(seq),
    publishTime,
    orderingKey,
    seq,
    size: data.length,
  };
}

function policy(overrides: Partial<DeliveryPolicy> = {}): DeliveryPolicy {
  return {
    ordered: false,
    retainAcked: false,
    retentionMs: 7 * 86_400_000,
    backoffMs: () => 0,
    maxDeliveryAttempts: undefined,
    ...overrides,
  };
}

function take(queue: DeliveryQueue, now: number, overrides: Partial<TakeOptions> = {}) {
  return queue.take({
    maxMessages: 100,
    maxBytes: Number.POSITIVE_INFINITY,
    ackDeadlineMs: 10_000,
    holder: undefined,
    perKeyLimit: Number.POSITIVE_INFINITY,
    now,
    ...overrides,
  });
}

const data = (leases: { message: StoredMessage }[]) => leases.map((l) => l.message.data.toString());

describe('DeliveryQueue', () => {
  it('leases in publish order, respects max messages and bytes, and tracks the holder', () => {
    // Prepare
    const queue = new DeliveryQueue('aaaaaaaaaaaa', policy(), () => {});
    for (const d of ['a1', 'b22', 'c333', 'd4444']) queue.add(message(d), 0);
    const holder: LeaseHolder = { outstandingMessages: 0, outstandingBytes: 0 };

    // Act
    const first = take(queue, 0, { maxMessages: 2, holder });
    const second = take(queue, 0, { maxBytes: 5, holder });
    queue.ack(first[0]!.ackId);

    // Assess
    assert.deepEqual(data(first), ['a1', 'b22']);
    assert.deepEqual(
      data(second),
      ['c333'],
      'a byte limit stops the batch (the first always fits)',
    );
    assert.equal(holder.outstandingMessages, 2);
    assert.equal(holder.outstandingBytes, 3 + 4);
    assert.equal(queue.backlog, 3);
  });

  it('expires leases at their deadline and ignores stale ack ids', () => {
    // Prepare
    const queue = new DeliveryQueue('aaaaaaaaaaaa', policy(), () => {});
    queue.add(message('x'), 0);
    const [lease] = take(queue, 0);

    // Act
    const early = queue.expire(9_999);
    const due = queue.expire(10_000);
    const [again] = take(queue, 10_000);
    const staleAck = queue.ack(lease!.ackId);

    // Assess
    assert.equal(early, 0);
    assert.equal(due, 1);
    assert.equal(again?.attempt, 2);
    assert.notEqual(again?.ackId, lease?.ackId);
    assert.equal(staleAck, false);
    assert.equal(queue.backlog, 1);
  });

  it('backs off a nacked message and dead-letters it after the maximum attempts', () => {
    // Prepare
    const dead: [string, number][] = [];
    const queue = new DeliveryQueue(
      'aaaaaaaaaaaa',
      policy({ backoffMs: (n) => n * 1000, maxDeliveryAttempts: 3 }),
      (m, attempts) => dead.push([m.data.toString(), attempts]),
    );
    queue.add(message('poison'), 0);

    // Act / Assess
    let now = 0;
    for (let attempt = 1; attempt <= 3; attempt++) {
      const [lease] = take(queue, now);
      assert.equal(lease?.attempt, attempt);
      queue.modifyDeadline(lease!.ackId, 0, now);
      assert.equal(take(queue, now + attempt * 1000 - 1).length, 0, 'held back by the backoff');
      now += attempt * 1000;
    }
    assert.deepEqual(dead, [['poison', 3]]);
    assert.equal(queue.backlog, 0);
  });

  it('keeps one ordering key behind its outstanding message and replays from a nack', () => {
    // Prepare
    const queue = new DeliveryQueue('aaaaaaaaaaaa', policy({ ordered: true }), () => {});
    for (let i = 0; i < 4; i++) queue.add(message(`k${i}`, 'k'), 0);
    queue.add(message('free'), 0);

    // Act
    const pushed = take(queue, 0, { perKeyLimit: 1 });
    const blocked = take(queue, 0, { perKeyLimit: 1 });
    queue.ack(pushed.find((l) => l.message.orderingKey === 'k')!.ackId);
    const batch = take(queue, 0);
    queue.modifyDeadline(batch[0]!.ackId, 0, 0);
    const staleAck = queue.ack(batch[1]!.ackId);
    const replay = take(queue, 0);

    // Assess
    assert.deepEqual(data(pushed).sort(), ['free', 'k0']);
    assert.deepEqual(data(blocked), []);
    assert.deepEqual(data(batch), ['k1', 'k2', 'k3']);
    assert.equal(staleAck, false, 'a nack supersedes the later leases of its key');
    assert.deepEqual(data(replay), ['k1', 'k2', 'k3']);
  });

  it('seeks: rewrites acked state, brings back retained and extra messages, drops expired ones', () => {
    // Prepare
    const queue = new DeliveryQueue(
      'aaaaaaaaaaaa',
      policy({ retainAcked: true, retentionMs: 1000 }),
      () => {},
    );
    const m1 = message('m1', '', 0);
    const m2 = message('m2', '', 500);
    const extra = message('extra', '', 600);
    queue.add(m1, 500);
    queue.add(m2, 500);
    for (const lease of take(queue, 500)) queue.ack(lease.ackId);

    // Act
    queue.seek((m) => m.publishTime < 400, [extra], 700);
    const afterSeek = take(queue, 700);
    queue.seek(() => false, [], 1200);
    const afterRetention = take(queue, 1200);

    // Assess
    assert.deepEqual(data(afterSeek), ['m2', 'extra']);
    assert.deepEqual(data(afterRetention), ['m2', 'extra'], 'm1 is past retention');
    assert.deepEqual(
      queue.retainedMessages().map((m) => m.data.toString()),
      ['m2', 'extra'],
    );
  });

  it('without retain_acked_messages forgets acked messages for good', () => {
    // Prepare
    const queue = new DeliveryQueue('aaaaaaaaaaaa', policy(), () => {});
    queue.add(message('gone'), 0);
    queue.add(message('kept'), 0);
    const [gone] = take(queue, 0, { maxMessages: 1 });
    queue.ack(gone!.ackId);

    // Act
    queue.seek(() => false, [], 0);

    // Assess
    assert.deepEqual(data(take(queue, 0)), ['kept']);
    assert.deepEqual(
      queue.unackedMessages().map((m) => m.data.toString()),
      ['kept'],
    );
  });
});
