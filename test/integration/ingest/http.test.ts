// The ingest functions over real HTTP: functions-framework processes on
// loopback ports, configured only by environment variables, storing on
// both backends. Each row of the envelope table says what status a request
// must get and what must (or must not) end up in the bucket.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig, type StreamConfig } from '../../../src/config/index.ts';
import { type QuarantineRecord, quarantinePrefix } from '../../../src/ingest/index.ts';
import { type LogRecord, TailReader } from '../../../src/log/index.ts';
import { FsStore, GcsStore, type ObjectStore } from '../../../src/storage/index.ts';
import { type FakeGcs, startFakeGcs } from '../../support/fake-gcs.ts';
import { type OidcIssuer, startOidcIssuer } from '../../support/oidc-issuer.ts';
import { type FunctionProcess, runUntilExit, startFunction } from './function-process.ts';

const SUB = 'projects/myproject/subscriptions/mysubscription';
const TOPIC = 'projects/myproject/topics/mytopic';
const AUDIENCE = 'https://ingest.example/push';
const EMAIL = 'push@myproject.iam.gserviceaccount.com';

const streamsDocument = {
  prefix: 'cascade/',
  pushAuth: { audience: AUDIENCE, email: EMAIL },
  streams: [
    {
      name: 'orders',
      subscription: SUB,
      topic: TOPIC,
      partitions: 2,
      lingerMs: 5,
      rules: { maxMessageBytes: 1_000_000 },
    },
  ],
};
const stream = loadConfig({ CASCADE_STREAMS: JSON.stringify(streamsDocument) })
  .streams[0] as StreamConfig;

// Google's documented wrapped push body ("Hello Cloud Pub/Sub! Here is my message!").
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
const wrapped = (
  messageId: string,
  message: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
) =>
  JSON.stringify({
    ...googleWrapped,
    message: { ...googleWrapped.message, messageId, message_id: messageId, ...message },
    ...extra,
  });

interface Row {
  name: string;
  headers?: Record<string, string>;
  path?: string;
  body: string | Uint8Array;
  auth?: 'good' | 'none' | 'wrong-audience';
  status: number;
  /** 'stored' rows name the message id that must be in the log; 'quarantined' the one in quarantine. */
  outcome: 'stored' | 'duplicate' | 'quarantined' | 'nothing';
  messageId?: string;
  jsonError?: string;
}

const rows: Row[] = [
  {
    name: "Google's wrapped example",
    body: JSON.stringify(googleWrapped),
    status: 200,
    outcome: 'stored',
    messageId: '2070443601311540',
  },
  {
    name: 'wrapped with deliveryAttempt',
    body: wrapped('m-attempt', {}, { deliveryAttempt: 5 }),
    status: 200,
    outcome: 'stored',
    messageId: 'm-attempt',
  },
  {
    name: "Google's unwrapped example with write_metadata headers",
    headers: {
      'content-type': 'application/json',
      'x-goog-pubsub-subscription-name': SUB,
      'x-goog-pubsub-message-id': 'm-unwrapped',
      'x-goog-pubsub-publish-time': '2021-02-26T19:13:55.749Z',
      'x-goog-pubsub-ordering-key': 'some-key',
    },
    body: '{"status": "Hello there"}',
    status: 200,
    outcome: 'stored',
    messageId: 'm-unwrapped',
  },
  {
    name: 'unwrapped without metadata headers (subscription on the endpoint)',
    headers: { 'content-type': 'application/octet-stream' },
    path: `/?subscription=${encodeURIComponent(SUB)}`,
    body: new Uint8Array([0, 1, 2, 255]),
    status: 200,
    outcome: 'stored',
  },
  {
    name: 'not JSON',
    headers: { 'content-type': 'text/plain' },
    body: 'hello there',
    status: 400,
    outcome: 'nothing',
    jsonError: 'BAD_REQUEST',
  },
  { name: 'broken JSON declared as JSON', body: '{"message": {', status: 400, outcome: 'nothing' },
  {
    name: 'JSON of the wrong shape',
    body: JSON.stringify({ hello: 'world' }),
    status: 400,
    outcome: 'nothing',
    jsonError: 'BAD_REQUEST',
  },
  {
    name: 'bad base64',
    body: wrapped('m-b64', { data: 'not*base64' }),
    status: 400,
    outcome: 'nothing',
    jsonError: 'BAD_REQUEST',
  },
  {
    name: '11 MB body (data over the stream limit)',
    body: wrapped('m-large', { data: Buffer.alloc(8 * 1024 * 1024 + 100, 7).toString('base64') }),
    status: 200,
    outcome: 'quarantined',
    messageId: 'm-large',
  },
  {
    name: '101 attributes',
    body: wrapped('m-attrs', {
      attributes: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`a${i}`, 'v'])),
    }),
    status: 200,
    outcome: 'quarantined',
    messageId: 'm-attrs',
  },
  {
    name: '2 KB ordering key',
    body: wrapped('m-okey', { orderingKey: 'k'.repeat(2048) }),
    status: 200,
    outcome: 'quarantined',
    messageId: 'm-okey',
  },
  {
    name: 'unknown subscription',
    body: wrapped('m-unknown', {}, { subscription: 'projects/myproject/subscriptions/other' }),
    status: 404,
    outcome: 'nothing',
    jsonError: 'NOT_FOUND',
  },
  {
    name: 'duplicate message id',
    body: JSON.stringify(googleWrapped),
    status: 200,
    outcome: 'duplicate',
    messageId: '2070443601311540',
  },
  {
    name: 'missing Authorization header',
    body: wrapped('m-noauth'),
    auth: 'none',
    status: 401,
    outcome: 'nothing',
    jsonError: 'UNAUTHENTICATED',
  },
  {
    name: 'token for another audience',
    body: wrapped('m-aud'),
    auth: 'wrong-audience',
    status: 401,
    outcome: 'nothing',
    jsonError: 'UNAUTHENTICATED',
  },
];

async function readAll(store: ObjectStore): Promise<{
  records: LogRecord[];
  byPartition: LogRecord[][];
  quarantined: QuarantineRecord[];
  objects: string[];
}> {
  const reader = new TailReader({ store, stream });
  const byPartition: LogRecord[][] = [];
  for (let p = 0; p < stream.partitions; p++) {
    const records: LogRecord[] = [];
    for await (const chunk of reader.read(p, 0)) records.push(...chunk.records);
    byPartition.push(records);
  }
  const records = byPartition.flat();
  const quarantined: QuarantineRecord[] = [];
  for await (const info of store.list({ prefix: quarantinePrefix(stream) })) {
    quarantined.push(JSON.parse(new TextDecoder().decode((await store.get(info.name)).bytes)));
  }
  const objects: string[] = [];
  for await (const info of store.list()) objects.push(info.name);
  return { records, byPartition, quarantined, objects };
}

const backends: {
  name: string;
  setup: () => Promise<{
    env: Record<string, string>;
    store: ObjectStore;
    cleanup: () => Promise<void>;
  }>;
}[] = [
  {
    name: 'filesystem',
    async setup() {
      const dir = await mkdtemp(join(tmpdir(), 'cascade-ingest-'));
      return {
        env: { CASCADE_STORAGE: 'fs', CASCADE_DATA_DIR: dir },
        store: new FsStore({ root: dir }),
        cleanup: () => rm(dir, { recursive: true, force: true }),
      };
    },
  },
  {
    name: 'fake-gcs-server',
    async setup() {
      const gcs: FakeGcs = await startFakeGcs();
      const bucket = await gcs.newBucket('ingest');
      return {
        env: {
          CASCADE_STORAGE: 'gcs',
          CASCADE_BUCKET: bucket,
          STORAGE_EMULATOR_HOST: gcs.endpoint,
        },
        store: new GcsStore({ bucket, apiEndpoint: gcs.endpoint }),
        cleanup: () => gcs.stop(),
      };
    },
  },
];

for (const backend of backends) {
  describe(`ingest over HTTP on ${backend.name}`, () => {
    let issuer: OidcIssuer;
    let ingest: FunctionProcess;
    let ingestEvent: FunctionProcess;
    let store: ObjectStore;
    let cleanup: () => Promise<void>;

    before(async () => {
      issuer = await startOidcIssuer();
      const setup = await backend.setup();
      store = setup.store;
      cleanup = setup.cleanup;
      const env = {
        ...setup.env,
        CASCADE_STREAMS: JSON.stringify(streamsDocument),
        CASCADE_OIDC_CERTS_URL: issuer.certsUrl,
        CASCADE_LOG_LEVEL: 'warn',
      };
      [ingest, ingestEvent] = await Promise.all([
        startFunction({ target: 'ingest', env }),
        startFunction({ target: 'ingestEvent', signatureType: 'cloudevent', env }),
      ]);
    });

    after(async () => {
      await Promise.all([ingest?.stop(), ingestEvent?.stop()]);
      await store?.close();
      await cleanup?.();
      await issuer?.stop();
    });

    const token = (aud: string) =>
      issuer.token({ aud, email: EMAIL, email_verified: true, sub: '1' });

    for (const row of rows) {
      it(`${row.name} → ${row.status}`, async () => {
        const headers: Record<string, string> = {
          'content-type': 'application/json',
          ...row.headers,
        };
        if (row.auth !== 'none') {
          headers.authorization = `Bearer ${token(row.auth === 'wrong-audience' ? 'https://other.example' : AUDIENCE)}`;
        }
        const response = await fetch(`${ingest.url}${row.path ?? '/'}`, {
          method: 'POST',
          headers,
          body: row.body as string,
        });
        const text = await response.text();
        assert.equal(
          response.status,
          row.status,
          `${text.slice(0, 300)}\n${ingest.output().slice(-2000)}`,
        );
        if (row.status === 200) {
          const body = JSON.parse(text);
          assert.equal(body.kind, row.outcome === 'quarantined' ? 'quarantined' : 'stored');
          if (row.outcome === 'duplicate') assert.equal(body.duplicate, true);
          if (row.outcome === 'stored') assert.equal(body.duplicate, false);
        }
        if (row.jsonError) {
          const body = JSON.parse(text);
          assert.equal(body.error.code, row.status);
          assert.equal(body.error.status, row.jsonError);
          assert.equal(typeof body.error.message, 'string');
        }
      });
    }

    it('ingestEvent stores a CloudEvent as Eventarc delivers it (binary mode)', async () => {
      const response = await fetch(ingestEvent.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'ce-id': 'm-event',
          'ce-specversion': '1.0',
          'ce-source': `//pubsub.googleapis.com/${TOPIC}`,
          'ce-type': 'google.cloud.pubsub.topic.v1.messagePublished',
          'ce-time': '2021-02-26T19:13:55.749Z',
        },
        body: JSON.stringify({
          message: {
            data: 'aGVsbG8gZXZlbnQ=',
            messageId: 'm-event',
            publishTime: '2021-02-26T19:13:55.749Z',
            attributes: { via: 'eventarc' },
          },
          subscription: 'projects/myproject/subscriptions/eventarc-us-central1-trigger-sub-123',
        }),
      });
      await response.text();
      assert.ok(
        response.status >= 200 && response.status < 300,
        `status ${response.status}\n${ingestEvent.output()}`,
      );
    });

    it('the bucket holds exactly what the table says, in dense offsets', async () => {
      const { records, byPartition, quarantined, objects } = await readAll(store);
      const stored = rows
        .filter((r) => r.outcome === 'stored' && r.messageId)
        .map((r) => r.messageId);
      const ids = records.map((r) => r.messageId);
      for (const id of [...stored, 'm-event'])
        assert.equal(ids.filter((x) => x === id).length, 1, `${id} stored once`);
      // Four stored rows (one without an id of its own) plus the event; the duplicate added nothing.
      assert.equal(records.length, 5);
      for (const [p, partition] of byPartition.entries()) {
        const offsets = partition.map((r) => r.offset);
        assert.deepEqual(
          offsets,
          offsets.map((_, i) => i),
          `partition ${p} offsets are dense`,
        );
      }
      const google = records.find((r) => r.messageId === '2070443601311540');
      assert.equal(
        new TextDecoder().decode(google?.data),
        'Hello Cloud Pub/Sub! Here is my message!',
      );
      assert.deepEqual(google?.attributes, { key: 'value' });
      assert.equal(google?.publishTimeMicros, 1614366835749000);
      assert.equal(records.find((r) => r.messageId === 'm-attempt')?.deliveryAttempt, 5);
      const unwrapped = records.find((r) => r.messageId === 'm-unwrapped');
      assert.equal(unwrapped?.orderingKey, 'some-key');
      assert.equal(new TextDecoder().decode(unwrapped?.data), '{"status": "Hello there"}');
      assert.ok(
        records.some((r) => r.data.length === 4 && r.data[3] === 255),
        'raw unwrapped bytes kept',
      );
      assert.deepEqual(quarantined.map((q) => q.messageId).sort(), [
        'm-attrs',
        'm-large',
        'm-okey',
      ]);
      assert.equal(
        quarantined.find((q) => q.messageId === 'm-large')?.dataBytes,
        8 * 1024 * 1024 + 100,
      );
      for (const id of ['m-b64', 'm-unknown', 'm-noauth', 'm-aud']) {
        assert.ok(
          !ids.includes(id) && !quarantined.some((q) => q.messageId === id),
          `${id} was not written`,
        );
      }
      assert.ok(
        objects.every((name) => name.startsWith('cascade/orders/')),
        objects.join(', '),
      );
    });
  });
}

describe('cold start with an invalid configuration', () => {
  it('refuses to serve and lists every problem', async () => {
    const { code, output } = await runUntilExit({
      target: 'ingest',
      env: {
        CASCADE_STORAGE: 'ftp',
        CASCADE_STREAMS: JSON.stringify({ streams: [{ name: 'UPPER', subscription: 'nope' }] }),
        CASCADE_CREDENTIALS_JSON: 'super-secret-value',
      },
    });
    assert.notEqual(code, 0);
    assert.match(output, /INVALID_CONFIG|invalid configuration/);
    for (const name of ['CASCADE_STORAGE', 'streams[0].name', 'streams[0].subscription']) {
      assert.ok(output.includes(name), `${name} listed`);
    }
    assert.ok(!output.includes('super-secret-value'));
  });
});
