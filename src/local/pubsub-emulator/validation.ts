import { emulatorError, GrpcCode } from './errors.ts';
import { parseResourceName } from './names.ts';
import { durationToMs, msToDuration } from './proto-values.ts';
import type { PubsubMessageInput, SubscriptionResource, TopicResource } from './types.ts';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** Limits the real service documents; breaking one is INVALID_ARGUMENT. */
export const Limits = {
  minAckDeadlineSeconds: 10,
  maxAckDeadlineSeconds: 600,
  defaultAckDeadlineSeconds: 10,
  minRetentionMs: 10 * MINUTE,
  maxRetentionMs: 31 * DAY,
  defaultSubscriptionRetentionMs: 7 * DAY,
  defaultExpirationTtlMs: 31 * DAY,
  minExpirationTtlMs: DAY,
  minDeliveryAttempts: 5,
  maxDeliveryAttempts: 100,
  defaultDeliveryAttempts: 5,
  maxBackoffMs: 600_000,
  defaultMinBackoffMs: 10_000,
  defaultMaxBackoffMs: 600_000,
  maxMessagesPerPublish: 1000,
  maxRequestBytes: 10 * 1024 * 1024,
  maxAttributes: 100,
  maxAttributeKeyBytes: 256,
  maxAttributeValueBytes: 1024,
  maxOrderingKeyBytes: 1024,
} as const;

function invalid(message: string): Error {
  return emulatorError(GrpcCode.INVALID_ARGUMENT, message);
}

function checkRetention(ms: number | undefined, what: string): void {
  if (ms !== undefined && (ms < Limits.minRetentionMs || ms > Limits.maxRetentionMs)) {
    throw invalid(`${what} must be between 10 minutes and 31 days`);
  }
}

/** Validates a topic as CreateTopic/UpdateTopic receive it and fills output-only fields. */
export function normalizeTopic(topic: TopicResource): TopicResource {
  parseResourceName(topic.name, 'topics');
  checkRetention(durationToMs(topic.messageRetentionDuration), 'message_retention_duration');
  return { ...topic, state: 'ACTIVE' };
}

/**
 * Validates a subscription and fills the defaults the real service reports
 * back (ack deadline, retention, expiration policy, state).
 */
export function normalizeSubscription(sub: SubscriptionResource): SubscriptionResource {
  parseResourceName(sub.name, 'subscriptions');
  // A pull subscription reports an empty push config, as the real service does.
  const out: SubscriptionResource = { ...sub, pushConfig: sub.pushConfig ?? {}, state: 'ACTIVE' };
  const ack = sub.ackDeadlineSeconds ?? 0;
  if (ack === 0) out.ackDeadlineSeconds = Limits.defaultAckDeadlineSeconds;
  else if (ack < Limits.minAckDeadlineSeconds || ack > Limits.maxAckDeadlineSeconds) {
    throw invalid(`Invalid ack deadline: ${ack}. It must be between 10 and 600 seconds.`);
  }
  const retention = durationToMs(sub.messageRetentionDuration);
  checkRetention(retention, 'message_retention_duration');
  if (retention === undefined) {
    out.messageRetentionDuration = msToDuration(Limits.defaultSubscriptionRetentionMs);
  }
  const ttl = durationToMs(sub.expirationPolicy?.ttl ?? undefined);
  if (sub.expirationPolicy === undefined || sub.expirationPolicy === null) {
    out.expirationPolicy = { ttl: msToDuration(Limits.defaultExpirationTtlMs) };
  } else if (ttl !== undefined && ttl < Limits.minExpirationTtlMs) {
    throw invalid('expiration_policy.ttl must be at least 1 day');
  }
  const dlp = sub.deadLetterPolicy;
  if (dlp?.deadLetterTopic) {
    parseResourceName(dlp.deadLetterTopic, 'topics');
    const attempts = dlp.maxDeliveryAttempts || Limits.defaultDeliveryAttempts;
    if (attempts < Limits.minDeliveryAttempts || attempts > Limits.maxDeliveryAttempts) {
      throw invalid('dead_letter_policy.max_delivery_attempts must be between 5 and 100');
    }
    out.deadLetterPolicy = { ...dlp, maxDeliveryAttempts: attempts };
  }
  if (sub.retryPolicy) {
    const min = durationToMs(sub.retryPolicy.minimumBackoff) ?? Limits.defaultMinBackoffMs;
    const max = durationToMs(sub.retryPolicy.maximumBackoff) ?? Limits.defaultMaxBackoffMs;
    if (min > Limits.maxBackoffMs || max > Limits.maxBackoffMs || min > max) {
      throw invalid('retry_policy backoffs must be at most 600s with minimum <= maximum');
    }
    out.retryPolicy = { minimumBackoff: msToDuration(min), maximumBackoff: msToDuration(max) };
  }
  const endpoint = sub.pushConfig?.pushEndpoint;
  if (endpoint) checkPushEndpoint(endpoint);
  return out;
}

/** A push endpoint must be an absolute http(s) URL. */
export function checkPushEndpoint(endpoint: string): void {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch (error) {
    throw emulatorError(GrpcCode.INVALID_ARGUMENT, `Invalid push endpoint: ${endpoint}`, error);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw invalid(`Invalid push endpoint: ${endpoint}`);
  }
}

/** Checks a Publish request's messages against the service's limits. */
export function checkPublish(messages: PubsubMessageInput[] | undefined): PubsubMessageInput[] {
  if (!messages || messages.length === 0) {
    throw invalid('The request must contain at least one message.');
  }
  if (messages.length > Limits.maxMessagesPerPublish) {
    throw invalid(
      `The value for ${messages.length} is too large. You passed message_count in the request, but the maximum value is 1000.`,
    );
  }
  let total = 0;
  for (const message of messages) {
    const attributes = Object.entries(message.attributes ?? {});
    const dataBytes = message.data?.length ?? 0;
    if (dataBytes === 0 && attributes.length === 0) {
      throw invalid(
        'Some messages are empty; a message must contain data or at least one attribute.',
      );
    }
    if (attributes.length > Limits.maxAttributes) {
      throw invalid('Some messages have too many attributes; the maximum is 100.');
    }
    for (const [key, value] of attributes) {
      if (key.length === 0 || Buffer.byteLength(key) > Limits.maxAttributeKeyBytes) {
        throw invalid(
          `Invalid attribute key: the key must be 1 to 256 bytes (key=${key.slice(0, 64)}).`,
        );
      }
      if (key.startsWith('goog'))
        throw invalid(`Attribute keys may not start with "goog" (key=${key}).`);
      if (Buffer.byteLength(value) > Limits.maxAttributeValueBytes) {
        throw invalid(`The value of attribute ${key} is longer than 1024 bytes.`);
      }
      total += Buffer.byteLength(key) + Buffer.byteLength(value);
    }
    if (Buffer.byteLength(message.orderingKey ?? '') > Limits.maxOrderingKeyBytes) {
      throw invalid('An ordering key is longer than 1024 bytes.');
    }
    total += dataBytes;
  }
  if (total > Limits.maxRequestBytes) {
    throw invalid(`Request payload size exceeds the limit: ${Limits.maxRequestBytes} bytes.`);
  }
  return messages;
}
