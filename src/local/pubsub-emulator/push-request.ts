import type { OidcSigner } from './oidc-signer.ts';
import type { PushConfigResource, StoredMessage } from './types.ts';

/** The HTTP request the real service would POST for one message. */
export interface PushRequest {
  headers: Record<string, string>;
  body: Buffer;
}

/** Google's documented user agent for push requests. */
export const PUSH_USER_AGENT =
  'APIs-Google; (+https://developers.google.com/webmasters/APIs-Google.html)';

// Header names must be HTTP tokens; these would corrupt the request framing
// or are set by the emulator itself, so attributes cannot override them.
const HEADER_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const RESERVED_HEADERS = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'authorization',
  'user-agent',
]);

/** What is being pushed, and to which subscription. */
export interface PushMessage {
  message: StoredMessage;
  subscription: string;
  /** Set only when the subscription has a dead-letter policy, as the real service does. */
  deliveryAttempt: number | undefined;
}

/**
 * Builds the push request: the wrapped JSON envelope by default, or the raw
 * data when the push config has `no_wrapper` (with attributes and
 * `x-goog-pubsub-*` metadata as headers only when `write_metadata` is set, as
 * the API reference describes), plus an OIDC bearer token when configured.
 */
export function buildPushRequest(
  config: PushConfigResource,
  push: PushMessage,
  signer: OidcSigner,
): PushRequest {
  const { message } = push;
  const publishTime = new Date(message.publishTime).toISOString();
  const headers: Record<string, string> = { 'user-agent': PUSH_USER_AGENT };
  let body: Buffer;
  if (config.noWrapper) {
    body = message.data;
    headers['content-type'] = 'application/octet-stream';
    if (config.noWrapper.writeMetadata) {
      for (const [key, value] of Object.entries(message.attributes)) {
        if (
          HEADER_TOKEN.test(key) &&
          !RESERVED_HEADERS.has(key.toLowerCase()) &&
          !/[\r\n]/.test(value)
        ) {
          headers[key.toLowerCase()] = value;
        }
      }
      headers['x-goog-pubsub-subscription-name'] = push.subscription;
      headers['x-goog-pubsub-message-id'] = message.messageId;
      headers['x-goog-pubsub-publish-time'] = publishTime;
      if (message.orderingKey) headers['x-goog-pubsub-ordering-key'] = message.orderingKey;
    }
  } else {
    const envelope: Record<string, unknown> = {
      message: {
        ...(Object.keys(message.attributes).length > 0 ? { attributes: message.attributes } : {}),
        ...(message.data.length > 0 ? { data: message.data.toString('base64') } : {}),
        messageId: message.messageId,
        message_id: message.messageId,
        ...(message.orderingKey ? { orderingKey: message.orderingKey } : {}),
        publishTime,
        publish_time: publishTime,
      },
      subscription: push.subscription,
      ...(push.deliveryAttempt !== undefined ? { deliveryAttempt: push.deliveryAttempt } : {}),
    };
    body = Buffer.from(JSON.stringify(envelope));
    headers['content-type'] = 'application/json';
  }
  const oidc = config.oidcToken;
  if (oidc?.serviceAccountEmail) {
    const audience = oidc.audience || config.pushEndpoint || '';
    const token = signer.token({ audience, serviceAccountEmail: oidc.serviceAccountEmail });
    headers.authorization = `Bearer ${token}`;
  }
  headers['content-length'] = String(body.length);
  return { headers, body };
}
