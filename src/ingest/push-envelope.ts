import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { CascadeError } from '../errors.ts';
import { decodeBase64Strict } from './base64.ts';
import { parsePublishTime } from './publish-time.ts';
import type { IngestMessage, PushRequest } from './types.ts';

/**
 * The wrapped push envelope (Pub/Sub's default):
 * `{ "message": { "data", "attributes", "messageId", "publishTime", "orderingKey" },
 *    "subscription", "deliveryAttempt" }` — Pub/Sub also sends snake_case
 * duplicates (`message_id`, `publish_time`). Unknown fields are tolerated
 * because Pub/Sub may add some.
 */
const wrappedSchema = z.object({
  message: z.object({
    data: z.string().optional(),
    attributes: z.record(z.string(), z.string()).optional(),
    messageId: z.string().min(1).optional(),
    message_id: z.string().min(1).optional(),
    publishTime: z.string().optional(),
    publish_time: z.string().optional(),
    orderingKey: z.string().optional(),
    ordering_key: z.string().optional(),
  }),
  subscription: z.string().min(1),
  deliveryAttempt: z.int().positive().optional(),
});

/** Headers Pub/Sub writes for an unwrapped push with `write_metadata` on. */
const META = {
  subscription: 'x-goog-pubsub-subscription-name',
  messageId: 'x-goog-pubsub-message-id',
  publishTime: 'x-goog-pubsub-publish-time',
  orderingKey: 'x-goog-pubsub-ordering-key',
  deliveryAttempt: 'x-goog-pubsub-delivery-attempt',
} as const;

/**
 * Headers that belong to the HTTP hop, not to the message: everything else
 * on an unwrapped push is one of the message's attributes.
 */
const TRANSPORT_HEADERS = new Set([
  'accept',
  'accept-encoding',
  'authorization',
  'connection',
  'content-length',
  'expect',
  'forwarded',
  'from',
  'host',
  'keep-alive',
  'te',
  'traceparent',
  'tracestate',
  'transfer-encoding',
  'upgrade',
  'user-agent',
  'via',
]);

function isTransportHeader(name: string): boolean {
  return (
    TRANSPORT_HEADERS.has(name) ||
    name.startsWith('x-goog-') ||
    name.startsWith('x-forwarded-') ||
    name.startsWith('x-cloud-') ||
    name.startsWith('x-envoy-') ||
    name.startsWith('x-appengine-')
  );
}

function header(request: PushRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function badRequest(message: string, details: Record<string, unknown> = {}): CascadeError {
  return new CascadeError('BAD_REQUEST', message, { retryable: false, details });
}

function looksLikeWrapped(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseWrapped(json: unknown): IngestMessage {
  const parsed = wrappedSchema.safeParse(json);
  if (!parsed.success) {
    throw badRequest('not a Pub/Sub push envelope', {
      problems: parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`),
    });
  }
  const { message, subscription, deliveryAttempt } = parsed.data;
  const messageId = message.messageId ?? message.message_id;
  if (messageId === undefined) throw badRequest('message.messageId is missing');
  const publishTime = message.publishTime ?? message.publish_time;
  if (publishTime === undefined) throw badRequest('message.publishTime is missing');
  return {
    messageId,
    publishTimeMicros: parsePublishTime(publishTime, 'message.publishTime'),
    orderingKey: message.orderingKey ?? message.ordering_key ?? '',
    attributes: message.attributes ?? {},
    data: decodeBase64Strict(message.data ?? '', 'message.data'),
    subscription,
    deliveryAttempt: deliveryAttempt ?? null,
  };
}

function parseUnwrapped(request: PushRequest, now: () => number): IngestMessage {
  const querySubscription =
    typeof request.query.subscription === 'string' ? request.query.subscription : undefined;
  const subscription = header(request, META.subscription) ?? querySubscription;
  if (subscription === undefined) {
    throw badRequest(
      'not a Pub/Sub push request: no envelope, no x-goog-pubsub-subscription-name header and no ?subscription= parameter',
    );
  }
  const attributes: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined || isTransportHeader(name)) continue;
    attributes[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  const publishTime = header(request, META.publishTime);
  const attempt = header(request, META.deliveryAttempt);
  const deliveryAttempt = attempt === undefined ? null : Number(attempt);
  if (deliveryAttempt !== null && !(Number.isInteger(deliveryAttempt) && deliveryAttempt > 0)) {
    throw badRequest(`${META.deliveryAttempt} is not a positive integer`);
  }
  return {
    // Without write_metadata there is no message id: each delivery gets a
    // fresh one, so redeliveries of such pushes cannot be deduplicated.
    messageId: header(request, META.messageId) ?? `cascade-${randomUUID()}`,
    publishTimeMicros:
      publishTime === undefined ? now() * 1000 : parsePublishTime(publishTime, META.publishTime),
    orderingKey: header(request, META.orderingKey) ?? '',
    attributes,
    data: request.body,
    subscription,
    deliveryAttempt,
  };
}

/**
 * Reads one Pub/Sub push request, wrapped (JSON envelope) or unwrapped (raw
 * body, attributes as headers, metadata in `x-goog-pubsub-*` headers when
 * `write_metadata` is on; the subscription may instead be given as a
 * `?subscription=` parameter on the push endpoint).
 *
 * @throws CascadeError BAD_REQUEST when the request is not a Pub/Sub push
 * @example
 * const message = parsePushRequest({ headers, body, query: {} });
 */
export function parsePushRequest(
  request: PushRequest,
  now: () => number = Date.now,
): IngestMessage {
  if (
    header(request, META.messageId) !== undefined ||
    header(request, META.subscription) !== undefined
  ) {
    return parseUnwrapped(request, now);
  }
  const contentType = header(request, 'content-type') ?? '';
  const text = Buffer.from(
    request.body.buffer,
    request.body.byteOffset,
    request.body.byteLength,
  ).toString('utf8');
  let json: unknown;
  let isJson = false;
  if (text.trimStart().startsWith('{')) {
    try {
      json = JSON.parse(text);
      isJson = true;
    } catch {
      isJson = false;
    }
  }
  if (isJson && looksLikeWrapped(json) && 'message' in json) return parseWrapped(json);
  if (typeof request.query.subscription === 'string') return parseUnwrapped(request, now);
  if (contentType.includes('json') && !isJson) throw badRequest('body is not valid JSON');
  throw badRequest(
    'not a Pub/Sub push envelope: expected {"message": {...}, "subscription": "..."}',
  );
}
