import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CascadeError } from '../../../src/errors.ts';
import {
  decodeBase64Strict,
  type IngestMessage,
  parsePublishTime,
  parsePubsubCloudEvent,
  parsePushRequest,
} from '../../../src/ingest/index.ts';

const SUB = 'projects/myproject/subscriptions/mysubscription';
const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const bytes = (text: string) => new TextEncoder().encode(text);

// The wrapped example of Google's push documentation (data is base64 of
// "Hello Cloud Pub/Sub! Here is my message!").
const googleWrapped = {
  message: {
    attributes: { key: 'value' },
    data: 'SGVsbG8gQ2xvdWQgUHViL1N1YiEgSGVyZSBpcyBteSBtZXNzYWdlIQ==',
    messageId: '2070443601311540',
    message_id: '2070443601311540',
    publishTime: '2021-02-26T19:13:55.749Z',
    publish_time: '2021-02-26T19:13:55.749Z',
  },
  subscription: SUB,
};

interface Row {
  name: string;
  headers?: Record<string, string>;
  body: Uint8Array;
  query?: Record<string, unknown>;
  expect: (Partial<Omit<IngestMessage, 'data'>> & { data?: string }) | 'BAD_REQUEST';
}

const rows: Row[] = [
  {
    name: "Google's wrapped example",
    headers: { 'content-type': 'application/json' },
    body: json(googleWrapped),
    expect: {
      messageId: '2070443601311540',
      publishTimeMicros: 1614366835749000,
      orderingKey: '',
      attributes: { key: 'value' },
      subscription: SUB,
      deliveryAttempt: null,
      data: 'Hello Cloud Pub/Sub! Here is my message!',
    },
  },
  {
    name: 'wrapped with deliveryAttempt (dead-letter policy on)',
    body: json({ ...googleWrapped, deliveryAttempt: 5 }),
    expect: { deliveryAttempt: 5, messageId: '2070443601311540' },
  },
  {
    name: 'wrapped with snake_case only and an ordering key',
    body: json({
      message: {
        data: 'eyJzdGF0dXMiOiAiSGVsbG8gdGhlcmUifQ==',
        message_id: '7',
        publish_time: '2024-01-02T03:04:05.123456789Z',
        orderingKey: 'some-key',
      },
      subscription: SUB,
    }),
    expect: {
      messageId: '7',
      publishTimeMicros: Date.UTC(2024, 0, 2, 3, 4, 5) * 1000 + 123456,
      orderingKey: 'some-key',
      data: '{"status": "Hello there"}',
      attributes: {},
    },
  },
  {
    name: 'wrapped with attributes only (no data field)',
    body: json({
      message: { attributes: { a: 'b' }, messageId: '8', publishTime: '2024-01-01T00:00:00Z' },
      subscription: SUB,
    }),
    expect: { data: '', attributes: { a: 'b' } },
  },
  {
    // The unwrapped example of Google's payload-unwrapping documentation, write_metadata on.
    name: "Google's unwrapped example with write_metadata headers",
    headers: {
      'x-goog-pubsub-subscription-name': SUB,
      'x-goog-pubsub-message-id': '2070443601311540',
      'x-goog-pubsub-publish-time': '2021-02-26T19:13:55.749Z',
      'x-goog-pubsub-ordering-key': 'some-key',
      'content-type': 'application/json',
      'content-length': '25',
      'user-agent': 'APIs-Google',
      authorization: 'Bearer x',
    },
    body: bytes('{"status": "Hello there"}'),
    expect: {
      messageId: '2070443601311540',
      publishTimeMicros: 1614366835749000,
      orderingKey: 'some-key',
      subscription: SUB,
      attributes: { 'content-type': 'application/json' },
      data: '{"status": "Hello there"}',
    },
  },
  {
    name: 'unwrapped without metadata, subscription on the endpoint URL',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': '1.2.3.4', color: 'red' },
    body: bytes('{"status": "Hello there"}'),
    query: { subscription: SUB },
    expect: {
      subscription: SUB,
      attributes: { 'content-type': 'application/json', color: 'red' },
      data: '{"status": "Hello there"}',
      publishTimeMicros: 1_700_000_000_000_000,
    },
  },
  {
    name: 'not JSON',
    headers: { 'content-type': 'text/plain' },
    body: bytes('hello'),
    expect: 'BAD_REQUEST',
  },
  {
    name: 'broken JSON',
    headers: { 'content-type': 'application/json' },
    body: bytes('{"message": '),
    expect: 'BAD_REQUEST',
  },
  { name: 'JSON of the wrong shape', body: json({ hello: 'world' }), expect: 'BAD_REQUEST' },
  { name: 'a JSON array', body: json([googleWrapped]), expect: 'BAD_REQUEST' },
  {
    name: 'message without subscription',
    body: json({ message: googleWrapped.message }),
    expect: 'BAD_REQUEST',
  },
  {
    name: 'message without id',
    body: json({
      message: { data: '', publishTime: '2021-02-26T19:13:55.749Z' },
      subscription: SUB,
    }),
    expect: 'BAD_REQUEST',
  },
  {
    name: 'bad base64',
    body: json({ ...googleWrapped, message: { ...googleWrapped.message, data: 'not base64!!' } }),
    expect: 'BAD_REQUEST',
  },
  {
    name: 'attributes that are not strings',
    body: json({ ...googleWrapped, message: { ...googleWrapped.message, attributes: { n: 1 } } }),
    expect: 'BAD_REQUEST',
  },
  {
    name: 'a publish time that is not RFC 3339',
    body: json({
      ...googleWrapped,
      message: { ...googleWrapped.message, publishTime: 'yesterday', publish_time: undefined },
    }),
    expect: 'BAD_REQUEST',
  },
  { name: 'an empty body', body: new Uint8Array(), expect: 'BAD_REQUEST' },
];

describe('parsePushRequest', () => {
  for (const row of rows) {
    it(row.name, () => {
      const request = { headers: row.headers ?? {}, body: row.body, query: row.query ?? {} };
      if (row.expect === 'BAD_REQUEST') {
        assert.throws(
          () => parsePushRequest(request, () => 1_700_000_000_000),
          (error: unknown) =>
            error instanceof CascadeError && error.code === 'BAD_REQUEST' && !error.retryable,
        );
        return;
      }
      const message = parsePushRequest(request, () => 1_700_000_000_000);
      const { data, ...rest } = row.expect;
      for (const [key, value] of Object.entries(rest)) {
        assert.deepEqual(message[key as keyof IngestMessage], value, key);
      }
      if (data !== undefined) assert.equal(new TextDecoder().decode(message.data), data);
    });
  }

  it('gives each unwrapped push without metadata its own message id', () => {
    const request = { headers: {}, body: bytes('x'), query: { subscription: SUB } };
    assert.notEqual(parsePushRequest(request).messageId, parsePushRequest(request).messageId);
  });
});

describe('parsePubsubCloudEvent', () => {
  // A CloudEvent as Eventarc delivers a Pub/Sub message (structured content).
  const event = {
    specversion: '1.0',
    id: '2070443601311540',
    source: '//pubsub.googleapis.com/projects/myproject/topics/mytopic',
    type: 'google.cloud.pubsub.topic.v1.messagePublished',
    datacontenttype: 'application/json',
    time: '2021-02-26T19:13:55.749Z',
    data: {
      message: {
        attributes: { key: 'value' },
        data: 'SGVsbG8gQ2xvdWQgUHViL1N1YiEgSGVyZSBpcyBteSBtZXNzYWdlIQ==',
        messageId: '2070443601311540',
        publishTime: '2021-02-26T19:13:55.749Z',
      },
      subscription: 'projects/myproject/subscriptions/eventarc-us-central1-trigger-sub-000',
    },
  };

  it('reads the message, its subscription and its topic', () => {
    const { message, topic } = parsePubsubCloudEvent(event);
    assert.equal(topic, 'projects/myproject/topics/mytopic');
    assert.equal(message.messageId, '2070443601311540');
    assert.equal(
      message.subscription,
      'projects/myproject/subscriptions/eventarc-us-central1-trigger-sub-000',
    );
    assert.equal(
      new TextDecoder().decode(message.data),
      'Hello Cloud Pub/Sub! Here is my message!',
    );
    assert.equal(message.publishTimeMicros, 1614366835749000);
  });

  it('refuses other event types and malformed data', () => {
    for (const bad of [
      { ...event, type: 'google.cloud.storage.object.v1.finalized' },
      { ...event, data: { hello: 1 } },
      { ...event, data: { ...event.data, message: { ...event.data.message, data: '%%%' } } },
    ]) {
      assert.throws(() => parsePubsubCloudEvent(bad), { code: 'BAD_REQUEST' });
    }
  });
});

describe('parsePublishTime and decodeBase64Strict', () => {
  it('keeps microseconds and honours offsets', () => {
    assert.equal(parsePublishTime('1970-01-01T00:00:01.000001Z'), 1_000_001);
    assert.equal(parsePublishTime('1970-01-01T01:00:00+01:00'), 0);
    assert.equal(parsePublishTime('1970-01-01T00:00:00.9999999Z'), 999_999);
    for (const bad of [
      '',
      '2021-02-26',
      '2021-02-26T19:13:55',
      '2021-13-40T00:00:00Z',
      '1614366835',
    ]) {
      assert.throws(() => parsePublishTime(bad), { code: 'BAD_REQUEST' });
    }
  });

  it('decodes standard and URL-safe base64 and refuses junk', () => {
    assert.deepEqual([...decodeBase64Strict('AP8=', 'd')], [0, 255]);
    assert.deepEqual([...decodeBase64Strict('AP8', 'd')], [0, 255]);
    assert.deepEqual([...decodeBase64Strict('_-8=', 'd')], [255, 239]);
    assert.equal(decodeBase64Strict('', 'd').byteLength, 0);
    for (const bad of ['A', 'AP8=AP8=', 'a b c d', 'AP+_', '====', 'AP8==']) {
      assert.throws(() => decodeBase64Strict(bad, 'd'), { code: 'BAD_REQUEST' }, bad);
    }
  });
});
