import type { PubSub, Topic } from '@google-cloud/pubsub';
import { CascadeError } from '../errors.ts';

/** One message to republish. */
export interface OutgoingMessage {
  data: Uint8Array;
  attributes: Record<string, string>;
  /** '' = none. */
  orderingKey: string;
}

/**
 * Publishes batches to a topic. `publishBatch` resolves only once Pub/Sub
 * confirmed every message of the batch (that is when a job checkpoints), and
 * rejects if any failed. Injected so unit tests run without Pub/Sub.
 */
export interface ReplayPublisher {
  publishBatch(topic: string, messages: OutgoingMessage[]): Promise<void>;
  close(): Promise<void>;
}

/** Client-side batching: messages per RPC and how long a batch waits to fill. */
export interface PublisherBatching {
  maxMessages: number;
  maxMilliseconds: number;
  maxBytes: number;
}

const DEFAULT_BATCHING: PublisherBatching = {
  maxMessages: 500,
  maxMilliseconds: 10,
  maxBytes: 9 * 1024 * 1024,
};

/**
 * A {@link ReplayPublisher} on the official client. Topics are opened with
 * `messageOrdering: true`, so messages sharing an ordering key reach Pub/Sub
 * in log order; after a failure the client pauses that key until
 * `resumePublishing`, which is called before the error is rethrown so the
 * next attempt (from the checkpoint) can publish again.
 *
 * @example
 * const publisher = pubsubPublisher(new PubSub({ projectId }));
 * await publisher.publishBatch('projects/p/topics/t', [{ data, attributes: {}, orderingKey: '' }]);
 */
export function pubsubPublisher(
  pubsub: PubSub,
  batching: Partial<PublisherBatching> = {},
): ReplayPublisher {
  const topics = new Map<string, Topic>();
  const settings = { ...DEFAULT_BATCHING, ...batching };
  const topicFor = (name: string): Topic => {
    let topic = topics.get(name);
    if (!topic) {
      topic = pubsub.topic(name, { messageOrdering: true, batching: settings });
      topics.set(name, topic);
    }
    return topic;
  };
  return {
    async publishBatch(topicName, messages) {
      const topic = topicFor(topicName);
      const results = await Promise.allSettled(
        messages.map((m) =>
          topic.publishMessage({
            data: Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength),
            attributes: m.attributes,
            ...(m.orderingKey === '' ? {} : { orderingKey: m.orderingKey }),
          }),
        ),
      );
      const failed = results.findIndex((r) => r.status === 'rejected');
      if (failed < 0) return;
      for (const key of new Set(messages.map((m) => m.orderingKey))) {
        if (key !== '') topic.resumePublishing(key);
      }
      const reason = (results[failed] as PromiseRejectedResult).reason as {
        code?: number;
        message?: string;
      };
      // NOT_FOUND (5), PERMISSION_DENIED (7) and INVALID_ARGUMENT (3) will not heal by retrying.
      const permanent = reason.code === 3 || reason.code === 5 || reason.code === 7;
      throw new CascadeError(
        permanent ? 'BAD_REQUEST' : 'UNAVAILABLE',
        `publishing to ${topicName} failed: ${reason.message ?? String(reason)}`,
        {
          retryable: !permanent,
          cause: reason,
          details: { topic: topicName, grpcCode: reason.code },
        },
      );
    },
    async close() {
      await Promise.allSettled([...topics.values()].map((t) => t.flush()));
      topics.clear();
    },
  };
}
