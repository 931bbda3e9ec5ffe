import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { OidcSigner } from '../../../src/local/pubsub-emulator/oidc-signer.ts';
import { buildPushRequest } from '../../../src/local/pubsub-emulator/push-request.ts';
import type { StoredMessage } from '../../../src/local/pubsub-emulator/types.ts';

const issued: { audience: string; serviceAccountEmail: string }[] = [];
const signer: OidcSigner = {
  kid: 'k',
  token(request) {
    issued.push(request);
    return 'signed-token';
  },
  pemCerts: () => ({}),
  jwks: () => ({ keys: [] }),
};

const message: StoredMessage = {
  data: Buffer.from('payload'),
  attributes: { kind: 'order', Host: 'evil', 'bad header': 'x', 'content-type': 'text/plain' },
  messageId: '42',
  publishTime: Date.UTC(2026, 0, 2, 3, 4, 5, 678),
  orderingKey: 'key-1',
  seq: 1,
  size: 7,
};
const push = { message, subscription: 'projects/p/subscriptions/s', deliveryAttempt: undefined };

describe('push request', () => {
  it('wraps the message in the JSON envelope with both field spellings', () => {
    // Act
    const request = buildPushRequest(
      { pushEndpoint: 'http://h/push' },
      { ...push, deliveryAttempt: 3 },
      signer,
    );

    // Assess
    assert.equal(request.headers['content-type'], 'application/json');
    assert.equal(request.headers.authorization, undefined);
    assert.equal(request.headers['content-length'], String(request.body.length));
    assert.deepEqual(JSON.parse(request.body.toString()), {
      message: {
        attributes: message.attributes,
        data: Buffer.from('payload').toString('base64'),
        messageId: '42',
        message_id: '42',
        orderingKey: 'key-1',
        publishTime: '2026-01-02T03:04:05.678Z',
        publish_time: '2026-01-02T03:04:05.678Z',
      },
      subscription: 'projects/p/subscriptions/s',
      deliveryAttempt: 3,
    });
  });

  it('sends the raw body and, with write_metadata, safe attribute headers and x-goog-pubsub-*', () => {
    // Act
    const request = buildPushRequest(
      { pushEndpoint: 'http://h/push', noWrapper: { writeMetadata: true } },
      push,
      signer,
    );

    // Assess
    assert.equal(request.body.toString(), 'payload');
    assert.equal(request.headers.kind, 'order');
    assert.equal(request.headers['content-type'], 'text/plain');
    assert.equal(request.headers.host, undefined, 'framing headers cannot be set by attributes');
    assert.equal(request.headers['bad header'], undefined);
    assert.equal(request.headers['x-goog-pubsub-message-id'], '42');
    assert.equal(request.headers['x-goog-pubsub-subscription-name'], 'projects/p/subscriptions/s');
    assert.equal(request.headers['x-goog-pubsub-publish-time'], '2026-01-02T03:04:05.678Z');
    assert.equal(request.headers['x-goog-pubsub-ordering-key'], 'key-1');
  });

  it('sends no metadata headers without write_metadata', () => {
    const request = buildPushRequest(
      { pushEndpoint: 'http://h/push', noWrapper: {} },
      push,
      signer,
    );
    assert.equal(request.headers.kind, undefined);
    assert.equal(request.headers['x-goog-pubsub-message-id'], undefined);
  });

  it('adds a bearer token for the configured audience, defaulting to the endpoint', () => {
    // Act
    issued.length = 0;
    const withAudience = buildPushRequest(
      {
        pushEndpoint: 'http://h/push',
        oidcToken: { serviceAccountEmail: 'sa@x', audience: 'aud' },
      },
      push,
      signer,
    );
    buildPushRequest(
      { pushEndpoint: 'http://h/push', oidcToken: { serviceAccountEmail: 'sa@x' } },
      push,
      signer,
    );

    // Assess
    assert.equal(withAudience.headers.authorization, 'Bearer signed-token');
    assert.deepEqual(issued, [
      { audience: 'aud', serviceAccountEmail: 'sa@x' },
      { audience: 'http://h/push', serviceAccountEmail: 'sa@x' },
    ]);
  });
});
