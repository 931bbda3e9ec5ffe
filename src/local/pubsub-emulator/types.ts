// Shapes of the Pub/Sub protobuf messages as @grpc/proto-loader hands them to
// the emulator (camelCase fields, int64 as string, oneofs named) and as the
// emulator answers them. Only the fields the emulator reads or writes are
// listed; everything else in a request is kept as given and echoed back.

/** google.protobuf.Duration / Timestamp on the wire. */
export interface ProtoDuration {
  seconds?: string | number;
  nanos?: number;
}
export type ProtoTimestamp = ProtoDuration;

/** google.protobuf.FieldMask. */
export interface FieldMask {
  paths?: string[];
}

/** google.pubsub.v1.Topic. */
export interface TopicResource {
  name?: string;
  labels?: Record<string, string>;
  messageRetentionDuration?: ProtoDuration | null;
  state?: string;
  [field: string]: unknown;
}

/** google.pubsub.v1.PushConfig. */
export interface PushConfigResource {
  pushEndpoint?: string;
  attributes?: Record<string, string>;
  oidcToken?: { serviceAccountEmail?: string; audience?: string } | null;
  pubsubWrapper?: Record<string, never> | null;
  noWrapper?: { writeMetadata?: boolean } | null;
  authenticationMethod?: string;
  wrapper?: string;
}

/** google.pubsub.v1.Subscription. */
export interface SubscriptionResource {
  name?: string;
  topic?: string;
  pushConfig?: PushConfigResource | null;
  ackDeadlineSeconds?: number;
  retainAckedMessages?: boolean;
  messageRetentionDuration?: ProtoDuration | null;
  labels?: Record<string, string>;
  enableMessageOrdering?: boolean;
  expirationPolicy?: { ttl?: ProtoDuration | null } | null;
  filter?: string;
  deadLetterPolicy?: { deadLetterTopic?: string; maxDeliveryAttempts?: number } | null;
  retryPolicy?: {
    minimumBackoff?: ProtoDuration | null;
    maximumBackoff?: ProtoDuration | null;
  } | null;
  detached?: boolean;
  enableExactlyOnceDelivery?: boolean;
  topicMessageRetentionDuration?: ProtoDuration | null;
  state?: string;
  [field: string]: unknown;
}

/** google.pubsub.v1.Snapshot. */
export interface SnapshotResource {
  name?: string;
  topic?: string;
  expireTime?: ProtoTimestamp;
  labels?: Record<string, string>;
}

/** google.pubsub.v1.PubsubMessage as published. */
export interface PubsubMessageInput {
  data?: Buffer | Uint8Array;
  attributes?: Record<string, string>;
  orderingKey?: string;
}

/** A message once the emulator has accepted it; shared by every subscription. */
export interface StoredMessage {
  readonly data: Buffer;
  readonly attributes: Readonly<Record<string, string>>;
  readonly messageId: string;
  /** Publish time in emulator-clock milliseconds. */
  readonly publishTime: number;
  readonly orderingKey: string;
  /** Position in the topic's publish order; later messages have larger values. */
  readonly seq: number;
  /** Bytes counted against flow control: data plus attribute keys and values. */
  readonly size: number;
}

/** google.pubsub.v1.ReceivedMessage as sent to a subscriber. */
export interface ReceivedMessage {
  ackId: string;
  message: {
    data: Buffer;
    attributes: Record<string, string>;
    messageId: string;
    publishTime: ProtoTimestamp;
    orderingKey: string;
  };
  deliveryAttempt: number;
}

/** Whoever holds leases: a StreamingPull stream or a push sender, for flow control. */
export interface LeaseHolder {
  outstandingMessages: number;
  outstandingBytes: number;
}

/** One delivery of a message: valid until acked, nacked, expired or superseded. */
export interface Lease {
  readonly ackId: string;
  readonly message: StoredMessage;
  /** Which delivery of the message this is (1 for the first). */
  readonly attempt: number;
  deadline: number;
  readonly holder: LeaseHolder | undefined;
}

/** How a subscription redelivers, retains and dead-letters; changes with UpdateSubscription. */
export interface DeliveryPolicy {
  ordered: boolean;
  retainAcked: boolean;
  retentionMs: number;
  /** Delay before redelivering after the given number of failed attempts. */
  backoffMs(attempts: number): number;
  /** Deliveries after which a nacked message goes to the dead-letter topic. */
  maxDeliveryAttempts: number | undefined;
}

/** What {@link DeliveryQueue.take} may hand out in one go. */
export interface TakeOptions {
  maxMessages: number;
  maxBytes: number;
  ackDeadlineMs: number;
  holder: LeaseHolder | undefined;
  /** Messages of one ordering key in one take (1 for push, as the real service does). */
  perKeyLimit: number;
  now: number;
}
