import { z } from 'zod';
import { CascadeError } from '../errors.ts';
import { decodeBase64Strict } from './base64.ts';
import { parsePublishTime } from './publish-time.ts';
import type { CloudEventLike, IngestMessage } from './types.ts';

/** The CloudEvent type Eventarc uses for Pub/Sub messages. */
export const PUBSUB_EVENT_TYPE = 'google.cloud.pubsub.topic.v1.messagePublished';

/** `data` of a messagePublished event: the push envelope without deliveryAttempt. */
const dataSchema = z.object({
  message: z.object({
    data: z.string().optional(),
    attributes: z.record(z.string(), z.string()).optional(),
    messageId: z.string().min(1).optional(),
    message_id: z.string().min(1).optional(),
    publishTime: z.string().optional(),
    publish_time: z.string().optional(),
    orderingKey: z.string().optional(),
  }),
  subscription: z.string().min(1),
});

/** A parsed Eventarc event: the message and the topic it was published to. */
export interface ParsedEvent {
  message: IngestMessage;
  /** projects/p/topics/t from the event source, when present. */
  topic: string | undefined;
}

function bad(message: string): CascadeError {
  return new CascadeError('BAD_REQUEST', message, { retryable: false });
}

/**
 * Reads a `google.cloud.pubsub.topic.v1.messagePublished` CloudEvent.
 *
 * @throws CascadeError BAD_REQUEST for any other event or a malformed one
 * @example
 * const { message, topic } = parsePubsubCloudEvent(event);
 */
export function parsePubsubCloudEvent(event: CloudEventLike): ParsedEvent {
  if (event.type !== PUBSUB_EVENT_TYPE) {
    throw bad(`unsupported CloudEvent type ${JSON.stringify(String(event.type).slice(0, 100))}`);
  }
  const data = typeof event.data === 'string' ? safeJson(event.data) : event.data;
  const parsed = dataSchema.safeParse(data);
  if (!parsed.success) throw bad('CloudEvent data is not a Pub/Sub message envelope');
  const { message, subscription } = parsed.data;
  const messageId = message.messageId ?? message.message_id ?? event.id;
  if (messageId === undefined) throw bad('CloudEvent message has no id');
  const publishTime = message.publishTime ?? message.publish_time ?? event.time;
  if (publishTime === undefined) throw bad('CloudEvent message has no publish time');
  const source = /^\/\/pubsub\.googleapis\.com\/(projects\/[^/]+\/topics\/[^/]+)$/.exec(
    event.source ?? '',
  );
  return {
    message: {
      messageId,
      publishTimeMicros: parsePublishTime(publishTime, 'message.publishTime'),
      orderingKey: message.orderingKey ?? '',
      attributes: message.attributes ?? {},
      data: decodeBase64Strict(message.data ?? '', 'message.data'),
      subscription,
      deliveryAttempt: null,
    },
    topic: source?.[1],
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
