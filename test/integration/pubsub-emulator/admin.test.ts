import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import {
  codeOf,
  type Harness,
  PROJECT,
  snapshotPath,
  startHarness,
  subscriptionPath,
  topicPath,
} from './harness.ts';

describe('topic, subscription and snapshot administration', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.close();
  });

  it('creates, gets, lists, updates and deletes topics with the real status codes', async () => {
    // Prepare / Act
    const [topic] = await h.pubsub.createTopic('orders');
    const [exists] = await topic.exists();
    const [missing] = await h.pubsub.topic('nothing-here').exists();
    const duplicate = await codeOf(h.pubsub.createTopic('orders'));
    const badName = await codeOf(h.pubsub.createTopic('goog-reserved'));
    const tooShort = await codeOf(h.pubsub.createTopic('ab'));
    const [updated] = await h.publisher.updateTopic({
      topic: { name: topicPath('orders'), messageRetentionDuration: { seconds: 3600 } },
      updateMask: { paths: ['message_retention_duration'] },
    });
    const noMask = await codeOf(
      h.publisher.updateTopic({ topic: { name: topicPath('orders') }, updateMask: { paths: [] } }),
    );
    await h.pubsub.createTopic('payments');
    const [topics] = await h.pubsub.getTopics();
    await h.pubsub.topic('payments').delete();
    const deleteAgain = await codeOf(h.pubsub.topic('payments').delete());

    // Assess
    assert.equal(exists, true);
    assert.equal(missing, false);
    assert.equal(duplicate, status.ALREADY_EXISTS);
    assert.equal(badName, status.INVALID_ARGUMENT);
    assert.equal(tooShort, status.INVALID_ARGUMENT);
    assert.equal(Number(updated.messageRetentionDuration?.seconds), 3600);
    assert.equal(noMask, status.INVALID_ARGUMENT);
    assert.deepEqual(topics.map((t) => t.name).sort(), [
      topicPath('orders'),
      topicPath('payments'),
    ]);
    assert.equal(deleteAgain, status.NOT_FOUND);
  });

  it('creates, updates, lists and deletes subscriptions and fills the defaults', async () => {
    // Prepare
    const topic = h.pubsub.topic('orders');

    // Act
    const [sub] = await topic.createSubscription('orders-sub', { enableMessageOrdering: true });
    const [metadata] = await sub.getMetadata();
    const [updated] = await sub.setMetadata({ ackDeadlineSeconds: 30, retainAckedMessages: true });
    const duplicate = await codeOf(topic.createSubscription('orders-sub'));
    const noTopic = await codeOf(h.pubsub.topic('no-such-topic').createSubscription('orphan-sub'));
    const badDeadline = await codeOf(
      topic.createSubscription('bad-ack', { ackDeadlineSeconds: 700 }),
    );
    const immutable = await codeOf(
      h.subscriber.updateSubscription({
        subscription: { name: subscriptionPath('orders-sub'), filter: 'attributes:x' },
        updateMask: { paths: ['filter'] },
      }),
    );
    const [listed] = await h.pubsub.getSubscriptions();
    const [ofTopic] = await topic.getSubscriptions();
    const pull = await codeOf(
      h.subscriber.pull({ subscription: subscriptionPath('nope-sub'), maxMessages: 1 }),
    );
    const [temporary] = await topic.createSubscription('temporary-sub');
    await temporary.delete();
    const deleted = await codeOf(temporary.getMetadata());
    const badAck = await codeOf(
      h.subscriber.acknowledge({ subscription: subscriptionPath('orders-sub'), ackIds: ['bogus'] }),
    );

    // Assess
    assert.equal(metadata.ackDeadlineSeconds, 10);
    assert.equal(Number(metadata.messageRetentionDuration?.seconds), 7 * 86400);
    assert.equal(metadata.enableMessageOrdering, true);
    assert.equal(Number(metadata.topicMessageRetentionDuration?.seconds), 3600);
    assert.equal(updated.ackDeadlineSeconds, 30);
    assert.equal(updated.retainAckedMessages, true);
    assert.equal(duplicate, status.ALREADY_EXISTS);
    assert.equal(noTopic, status.NOT_FOUND);
    assert.equal(badDeadline, status.INVALID_ARGUMENT);
    assert.equal(immutable, status.INVALID_ARGUMENT);
    assert.deepEqual(
      listed.map((s) => s.name),
      [subscriptionPath('orders-sub')],
    );
    assert.deepEqual(
      ofTopic.map((s) => s.name),
      [subscriptionPath('orders-sub')],
    );
    assert.equal(pull, status.NOT_FOUND);
    assert.equal(deleted, status.NOT_FOUND);
    assert.equal(badAck, status.INVALID_ARGUMENT);
  });

  it('pages through long lists', async () => {
    // Prepare
    for (let i = 0; i < 7; i++) await h.pubsub.createTopic(`paged-${i}`);

    // Act
    const [first, , response] = await h.publisher.listTopics(
      { project: `projects/${PROJECT}`, pageSize: 4 },
      { autoPaginate: false },
    );
    const [second] = await h.publisher.listTopics(
      { project: `projects/${PROJECT}`, pageSize: 4, pageToken: response?.nextPageToken ?? '' },
      { autoPaginate: false },
    );

    // Assess
    assert.equal(first.length, 4);
    assert.ok(response?.nextPageToken);
    const all = [...first, ...second].map((t) => t.name);
    assert.equal(new Set(all).size, all.length, 'pages do not overlap');
    assert.ok(all.includes(topicPath('paged-6')));
  });

  it('creates, gets, lists, updates and deletes snapshots', async () => {
    // Prepare
    const sub = h.pubsub.subscription('orders-sub');

    // Act
    const [snapshot] = await sub.createSnapshot('orders-snap');
    const [fetched] = await h.subscriber.getSnapshot({ snapshot: snapshotPath('orders-snap') });
    const duplicate = await codeOf(sub.createSnapshot('orders-snap'));
    const [snapshots] = await h.pubsub.getSnapshots();
    const [topicSnapshots] = await h.publisher.listTopicSnapshots({ topic: topicPath('orders') });
    const [relabelled] = await h.subscriber.updateSnapshot({
      snapshot: { name: snapshotPath('orders-snap'), labels: { env: 'test' } },
      updateMask: { paths: ['labels'] },
    });
    await snapshot.delete();
    const gone = await codeOf(h.subscriber.getSnapshot({ snapshot: snapshotPath('orders-snap') }));
    const noSub = await codeOf(h.pubsub.subscription('nope-sub').createSnapshot('other-snap'));

    // Assess
    assert.equal(fetched.topic, topicPath('orders'));
    assert.ok(Number(fetched.expireTime?.seconds) > Date.now() / 1000 + 6 * 86400);
    assert.equal(duplicate, status.ALREADY_EXISTS);
    assert.deepEqual(
      snapshots.map((s) => s.name),
      [snapshotPath('orders-snap')],
    );
    assert.deepEqual(topicSnapshots, [snapshotPath('orders-snap')]);
    assert.deepEqual(relabelled.labels, { env: 'test' });
    assert.equal(gone, status.NOT_FOUND);
    assert.equal(noSub, status.NOT_FOUND);
  });

  it('marks subscriptions of a deleted topic and refuses to publish to it', async () => {
    // Prepare
    const [topic] = await h.pubsub.createTopic('doomed');
    const [sub] = await topic.createSubscription('doomed-sub');

    // Act
    await topic.delete();
    const [metadata] = await sub.getMetadata();
    const publish = await codeOf(topic.publishMessage({ data: Buffer.from('x') }));

    // Assess
    assert.equal(metadata.topic, '_deleted-topic_');
    assert.equal(publish, status.NOT_FOUND);
  });

  it('rejects empty and oversized publishes', async () => {
    // Act
    const empty = await codeOf(
      h.publisher.publish({ topic: topicPath('orders'), messages: [{ data: Buffer.alloc(0) }] }),
    );
    const tooMany = await codeOf(
      h.publisher.publish({
        topic: topicPath('orders'),
        messages: Array.from({ length: 1001 }, () => ({ data: Buffer.from('x') })),
      }),
    );

    // Assess
    assert.equal(empty, status.INVALID_ARGUMENT);
    assert.equal(tooMany, status.INVALID_ARGUMENT);
  });
});
