import { randomBytes } from 'node:crypto';
import type { EmulatorClock } from './clock.ts';
import { DeliveryQueue } from './delivery-queue.ts';
import { emulatorError, GrpcCode } from './errors.ts';
import { compileFilter, type MessageFilter } from './filter.ts';
import { alreadyExists, DELETED_TOPIC, notFound } from './names.ts';
import { durationToMs } from './proto-values.ts';
import { type Consumer, EmulatedSubscription } from './subscription.ts';
import type {
  DeliveryPolicy,
  PubsubMessageInput,
  SnapshotResource,
  StoredMessage,
  SubscriptionResource,
  TopicResource,
} from './types.ts';
import { Limits } from './validation.ts';

/** A topic and what it keeps: its subscriptions and, with topic retention, its recent messages. */
export interface TopicState {
  resource: TopicResource;
  readonly subscriptions: Set<string>;
  log: StoredMessage[];
}

/** A snapshot: the unacked messages of a subscription at one moment, until it expires. */
export interface SnapshotState {
  resource: SnapshotResource;
  readonly topic: string;
  /** Messages published up to and including this sequence number existed when it was taken. */
  readonly seq: number;
  readonly messages: StoredMessage[];
  readonly expireAt: number;
}

/** Attaches a push sender to a push subscription; returns the consumer to detach later. */
export type PushAttacher = (subscription: EmulatedSubscription) => Consumer;

const PUSH_MIN_BACKOFF_MS = 100;
const PUSH_MAX_BACKOFF_MS = 60_000;

/**
 * Everything the emulator holds: topics, subscriptions and snapshots, plus the
 * publish fan-out and the periodic housekeeping (lease expiry, retention,
 * snapshot expiry). The gRPC services are thin layers over it.
 */
export class EmulatorState {
  readonly topics = new Map<string, TopicState>();
  readonly subscriptions = new Map<string, EmulatedSubscription>();
  readonly snapshots = new Map<string, SnapshotState>();
  readonly clock: EmulatorClock;
  private seq = 0;
  private nextMessageId = 1;
  private readonly filters = new Map<string, MessageFilter>();
  private readonly pushConsumers = new Map<string, Consumer>();
  private pushAttacher: PushAttacher | undefined;

  constructor(clock: EmulatorClock) {
    this.clock = clock;
  }

  /** The sequence number of the latest published message. */
  get lastSeq(): number {
    return this.seq;
  }

  setPushAttacher(attacher: PushAttacher): void {
    this.pushAttacher = attacher;
  }

  topic(name: string): TopicState {
    const topic = this.topics.get(name);
    if (topic === undefined) throw notFound(name);
    return topic;
  }

  subscription(name: string): EmulatedSubscription {
    const sub = this.subscriptions.get(name);
    if (sub === undefined) throw notFound(name);
    return sub;
  }

  createTopic(resource: TopicResource): TopicState {
    const name = resource.name!;
    if (this.topics.has(name)) throw alreadyExists(name);
    const topic: TopicState = { resource, subscriptions: new Set(), log: [] };
    this.topics.set(name, topic);
    return topic;
  }

  deleteTopic(name: string): void {
    const topic = this.topic(name);
    this.topics.delete(name);
    for (const subName of topic.subscriptions) {
      const sub = this.subscriptions.get(subName);
      if (sub !== undefined) sub.resource = { ...sub.resource, topic: DELETED_TOPIC };
    }
  }

  /** Stores and fans out messages; returns their ids in request order. */
  publish(topicName: string, messages: PubsubMessageInput[]): string[] {
    const topic = this.topic(topicName);
    const now = this.clock.now();
    const ids: string[] = [];
    for (const input of messages) {
      const data = Buffer.from(input.data ?? Buffer.alloc(0));
      const attributes = { ...(input.attributes ?? {}) };
      let size = data.length;
      for (const [key, value] of Object.entries(attributes)) size += key.length + value.length;
      const message: StoredMessage = {
        data,
        attributes,
        messageId: String(this.nextMessageId++),
        publishTime: now,
        orderingKey: input.orderingKey ?? '',
        seq: ++this.seq,
        size,
      };
      ids.push(message.messageId);
      if (durationToMs(topic.resource.messageRetentionDuration) !== undefined) {
        topic.log.push(message);
      }
      for (const subName of topic.subscriptions) {
        const sub = this.subscriptions.get(subName);
        if (sub === undefined || sub.resource.detached) continue;
        const filter = this.filters.get(subName);
        if (filter === undefined || filter(message.attributes)) sub.add(message);
      }
      // A snapshot keeps what is published after it, so seeking to it redelivers that too.
      for (const snapshot of this.snapshots.values()) {
        if (snapshot.topic === topicName && snapshot.expireAt > now)
          snapshot.messages.push(message);
      }
    }
    return ids;
  }

  createSubscription(resource: SubscriptionResource): EmulatedSubscription {
    const name = resource.name!;
    if (this.subscriptions.has(name)) throw alreadyExists(name);
    const topic = this.topic(resource.topic ?? '');
    const dlt = resource.deadLetterPolicy?.deadLetterTopic;
    if (dlt && !this.topics.has(dlt)) throw notFound(dlt);
    const filter = resource.filter ? compileFilter(resource.filter) : undefined;
    const withTopicRetention = {
      ...resource,
      topicMessageRetentionDuration: topic.resource.messageRetentionDuration ?? null,
    };
    const prefix = randomBytes(6).toString('hex');
    const queue = new DeliveryQueue(prefix, policyFor(withTopicRetention), (message, attempts) =>
      this.deadLetter(name, message, attempts),
    );
    const sub = new EmulatedSubscription(withTopicRetention, queue, () => this.clock.now());
    this.subscriptions.set(name, sub);
    if (filter !== undefined) this.filters.set(name, filter);
    topic.subscriptions.add(name);
    this.syncPush(sub);
    return sub;
  }

  /** Replaces a subscription's resource after UpdateSubscription/ModifyPushConfig. */
  updateSubscription(sub: EmulatedSubscription, resource: SubscriptionResource): void {
    const dlt = resource.deadLetterPolicy?.deadLetterTopic;
    if (dlt && !this.topics.has(dlt)) throw notFound(dlt);
    sub.resource = resource;
    sub.queue.policy = policyFor(resource);
    this.syncPush(sub);
    sub.kick();
  }

  deleteSubscription(name: string): void {
    const sub = this.subscription(name);
    this.subscriptions.delete(name);
    this.filters.delete(name);
    this.pushConsumers.delete(name);
    this.topics.get(sub.resource.topic ?? '')?.subscriptions.delete(name);
    sub.close();
  }

  /** Detaches a subscription from its topic: it stops receiving and its backlog is dropped. */
  detachSubscription(name: string): void {
    const sub = this.subscription(name);
    sub.resource = { ...sub.resource, detached: true };
    sub.queue.seek(() => true, [], this.clock.now());
  }

  snapshot(name: string): SnapshotState {
    const snapshot = this.snapshots.get(name);
    if (snapshot === undefined || snapshot.expireAt <= this.clock.now()) throw notFound(name);
    return snapshot;
  }

  /** Expires leases, applies retention and snapshot expiry, and restarts dispatch. */
  tick(): void {
    const now = this.clock.now();
    for (const sub of this.subscriptions.values()) {
      sub.queue.expire(now);
      sub.queue.prune(now);
      sub.kick();
    }
    for (const topic of this.topics.values()) {
      const retention = durationToMs(topic.resource.messageRetentionDuration);
      if (retention === undefined) topic.log = [];
      else {
        const first = topic.log.findIndex((m) => m.publishTime >= now - retention);
        topic.log = first < 0 ? [] : topic.log.slice(first);
      }
    }
    for (const [name, snapshot] of this.snapshots) {
      if (snapshot.expireAt <= now) this.snapshots.delete(name);
    }
  }

  /** Stops every push sender and subscription. */
  close(): void {
    for (const sub of this.subscriptions.values()) sub.close();
  }

  private syncPush(sub: EmulatedSubscription): void {
    const endpoint = sub.resource.pushConfig?.pushEndpoint;
    const current = this.pushConsumers.get(sub.name);
    if (endpoint && current === undefined && this.pushAttacher !== undefined) {
      const consumer = this.pushAttacher(sub);
      this.pushConsumers.set(sub.name, consumer);
      sub.consumers.add(consumer);
    } else if (!endpoint && current !== undefined) {
      current.close();
      sub.consumers.delete(current);
      this.pushConsumers.delete(sub.name);
    }
  }

  // The real service republishes a dead-lettered message to the dead-letter
  // topic with attributes naming where it came from.
  private deadLetter(subName: string, message: StoredMessage, attempts: number): void {
    const sub = this.subscriptions.get(subName);
    const dlt = sub?.resource.deadLetterPolicy?.deadLetterTopic;
    if (!dlt || !this.topics.has(dlt)) return;
    const project = subName.split('/')[1] ?? '';
    this.publish(dlt, [
      {
        data: message.data,
        orderingKey: message.orderingKey,
        attributes: {
          ...message.attributes,
          CloudPubSubDeadLetterSourceDeliveryCount: String(attempts),
          CloudPubSubDeadLetterSourceSubscription: subName.slice(subName.lastIndexOf('/') + 1),
          CloudPubSubDeadLetterSourceSubscriptionProject: project,
          CloudPubSubDeadLetterSourceTopicPublishTime: new Date(message.publishTime).toISOString(),
        },
      },
    ]);
  }
}

/** The delivery policy a subscription resource implies. */
export function policyFor(resource: SubscriptionResource): DeliveryPolicy {
  const push = Boolean(resource.pushConfig?.pushEndpoint);
  const retry = resource.retryPolicy;
  const min = durationToMs(retry?.minimumBackoff) ?? Limits.defaultMinBackoffMs;
  const max = durationToMs(retry?.maximumBackoff) ?? Limits.defaultMaxBackoffMs;
  const dlp = resource.deadLetterPolicy;
  return {
    ordered: resource.enableMessageOrdering === true,
    retainAcked: resource.retainAckedMessages === true,
    retentionMs:
      durationToMs(resource.messageRetentionDuration) ?? Limits.defaultSubscriptionRetentionMs,
    backoffMs(attempts) {
      const exponent = Math.min(Math.max(attempts - 1, 0), 30);
      if (retry) return Math.min(max, min * 2 ** exponent);
      // Without a retry policy pull redelivers at once; push still backs off
      // from a failing endpoint, as the real service's push flow control does.
      return push ? Math.min(PUSH_MAX_BACKOFF_MS, PUSH_MIN_BACKOFF_MS * 2 ** exponent) : 0;
    },
    maxDeliveryAttempts: dlp?.deadLetterTopic ? (dlp.maxDeliveryAttempts ?? 5) : undefined,
  };
}

/** Rejects an operation on a detached subscription as the real service does. */
export function assertAttached(sub: EmulatedSubscription): void {
  if (sub.resource.detached) {
    throw emulatorError(GrpcCode.FAILED_PRECONDITION, `Subscription ${sub.name} is detached.`);
  }
}
