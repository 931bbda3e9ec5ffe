import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig, type StreamConfig } from '../../../src/config/index.ts';
import { CascadeError } from '../../../src/errors.ts';
import {
  type AppendTarget,
  Ingestor,
  type QuarantineRecord,
  quarantinePrefix,
} from '../../../src/ingest/index.ts';
import { StreamWriter, TailReader } from '../../../src/log/index.ts';
import { createCaptureLogger } from '../../../src/observability/index.ts';
import { MemoryStore } from '../../../src/storage/index.ts';

const SUB = 'projects/p/subscriptions/orders-push';
const NOW = Date.UTC(2026, 0, 1);

function streamsFor(rules: Record<string, unknown> = {}): StreamConfig[] {
  return loadConfig({
    CASCADE_PUSH_AUTH: 'off',
    CASCADE_STREAMS: JSON.stringify({
      prefix: 'c/',
      streams: [
        {
          name: 'orders',
          subscription: SUB,
          topic: 'projects/p/topics/orders',
          partitions: 2,
          lingerMs: 1,
          rules: { maxMessageBytes: 1000, ...rules },
        },
      ],
    }),
  }).streams;
}

function setup(
  options: {
    createWriter?: (s: StreamConfig) => AppendTarget;
    rules?: Record<string, unknown>;
  } = {},
) {
  const store = new MemoryStore();
  const logger = createCaptureLogger();
  const streams = streamsFor(options.rules);
  const ingestor = new Ingestor({
    streams,
    store,
    logger,
    clock: () => NOW,
    maxRequestBytes: 64 * 1024,
    createWriter:
      options.createWriter ?? ((stream) => new StreamWriter({ store, stream, clock: () => NOW })),
  });
  return { store, logger, ingestor, stream: streams[0] as StreamConfig };
}

function push(message: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const body = {
    message: { messageId: '1', publishTime: '2026-01-01T00:00:00Z', data: 'aGVsbG8=', ...message },
    subscription: SUB,
    ...extra,
  };
  return {
    headers: { 'content-type': 'application/json' },
    body: new TextEncoder().encode(JSON.stringify(body)),
    query: {},
  };
}

async function quarantined(store: MemoryStore, stream: StreamConfig): Promise<QuarantineRecord[]> {
  const out: QuarantineRecord[] = [];
  for await (const info of store.list({ prefix: quarantinePrefix(stream) })) {
    out.push(JSON.parse(new TextDecoder().decode((await store.get(info.name)).bytes)));
  }
  return out;
}

async function countObjects(store: MemoryStore): Promise<number> {
  let count = 0;
  for await (const _ of store.list()) count++;
  return count;
}

async function storedRecords(store: MemoryStore, stream: StreamConfig) {
  const reader = new TailReader({ store, stream });
  const records = [];
  for (let p = 0; p < stream.partitions; p++) {
    for await (const chunk of reader.read(p, 0)) records.push(...chunk.records);
  }
  return records;
}

describe('Ingestor.handlePush', () => {
  it('stores a message, answers 200 with its offset, and acknowledges a redelivery without a new record', async () => {
    const { ingestor, store, stream } = setup();
    const first = await ingestor.handlePush(push({ messageId: 'm1' }));
    const again = await ingestor.handlePush(push({ messageId: 'm1' }, { deliveryAttempt: 2 }));
    assert.equal(first.status, 200);
    assert.deepEqual(first.body, {
      kind: 'stored',
      stream: 'orders',
      partition: (first.body as { partition: number }).partition,
      offset: 0,
      duplicate: false,
    });
    assert.equal(again.status, 200);
    assert.equal((again.body as { duplicate: boolean }).duplicate, true);
    const records = await storedRecords(store, stream);
    assert.equal(records.length, 1);
    assert.equal(records[0]?.messageId, 'm1');
    assert.equal(new TextDecoder().decode(records[0]?.data), 'hello');
    assert.equal(records[0]?.subscription, SUB);
    await ingestor.close();
  });

  const rejections: { name: string; message: Record<string, unknown>; reason: RegExp }[] = [
    {
      name: 'data over the stream limit',
      message: { data: Buffer.alloc(1001).toString('base64') },
      reason: /1001 bytes/,
    },
    {
      name: '101 attributes',
      message: {
        attributes: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`k${i}`, 'v'])),
      },
      reason: /101 attributes/,
    },
    {
      name: 'a 2 KB ordering key',
      message: { orderingKey: 'k'.repeat(2048) },
      reason: /ordering key/,
    },
    {
      name: 'a 2 KB attribute value',
      message: { attributes: { big: 'v'.repeat(2048) } },
      reason: /attribute "big"/,
    },
  ];
  for (const row of rejections) {
    it(`quarantines ${row.name}, answers 200, and writes nothing to the log`, async () => {
      const { ingestor, store, stream, logger } = setup();
      const answer = await ingestor.handlePush(push({ messageId: 'q1', ...row.message }));
      assert.equal(answer.status, 200);
      assert.equal((answer.body as { kind: string }).kind, 'quarantined');
      const [record, ...more] = await quarantined(store, stream);
      assert.equal(more.length, 0);
      assert.equal(record?.messageId, 'q1');
      assert.equal(record?.version, 1);
      assert.match(record?.reason ?? '', row.reason);
      assert.equal((await storedRecords(store, stream)).length, 0);
      const line = logger.entries.find((e) => e.message === 'message quarantined');
      assert.match(String(line?.fields.reason), row.reason);
      assert.ok(!logger.text().includes('aGVsbG8'), 'payload must not be logged');
    });
  }

  it('quarantines a message once however often it is redelivered, named by publish time', async () => {
    const { ingestor, store, stream } = setup({ rules: { requiredAttributes: ['tenant'] } });
    for (let i = 0; i < 3; i++) {
      assert.equal((await ingestor.handlePush(push({ messageId: 'dup' }))).status, 200);
    }
    await ingestor.handlePush(push({ messageId: 'early', publishTime: '2025-01-01T00:00:00Z' }));
    const records = await quarantined(store, stream);
    assert.deepEqual(
      records.map((r) => r.messageId),
      ['early', 'dup'],
    );
    assert.equal(Buffer.from(records[1]?.data ?? '', 'base64').toString(), 'hello');
  });

  it('quarantines what the log refuses as INVALID_ARGUMENT', async () => {
    const { ingestor, store, stream } = setup({
      createWriter: () => ({
        append: async () => {
          throw new CascadeError('INVALID_ARGUMENT', 'too big for a batch', { retryable: false });
        },
        close: async () => {},
      }),
    });
    const answer = await ingestor.handlePush(push({}));
    assert.equal(answer.status, 200);
    assert.match((await quarantined(store, stream))[0]?.reason ?? '', /too big for a batch/);
  });

  const failures: [string, CascadeError | Error, number, string][] = [
    ['backpressure', new CascadeError('BACKPRESSURE', 'full'), 429, 'BACKPRESSURE'],
    ['a storage rate limit', new CascadeError('RATE_LIMITED', 'slow down'), 429, 'RATE_LIMITED'],
    ['storage unavailable', new CascadeError('UNAVAILABLE', 'down'), 503, 'UNAVAILABLE'],
    ['contention', new CascadeError('CONTENTION', 'lost races'), 503, 'CONTENTION'],
    ['a closed writer', new CascadeError('CLOSED', 'closed'), 503, 'CLOSED'],
    ['an unexpected bug', new TypeError('undefined is not a function'), 500, 'INTERNAL'],
  ];
  for (const [name, error, status, code] of failures) {
    it(`answers ${status} on ${name}, so Pub/Sub redelivers`, async () => {
      const { ingestor, logger } = setup({
        createWriter: () => ({
          append: async () => {
            throw error;
          },
          close: async () => {},
        }),
      });
      const answer = await ingestor.handlePush(push({}));
      assert.equal(answer.status, status);
      const body = answer.body as { error: { code: number; status: string; message: string } };
      assert.equal(body.error.code, status);
      assert.equal(body.error.status, code);
      if (code === 'INTERNAL') assert.equal(body.error.message, 'internal error');
      assert.ok(logger.entries.length > 0);
    });
  }

  it('logs one structured line per batch commit, without payloads', async () => {
    const store = new MemoryStore();
    const logger = createCaptureLogger();
    const ingestor = new Ingestor({
      streams: streamsFor(),
      store,
      logger,
      createWriter: (stream) => new StreamWriter({ store, stream, logger }),
    });
    assert.equal((await ingestor.handlePush(push({ messageId: 'log-1' }))).status, 200);
    const commits = logger.entries.filter((e) => e.message === 'batch committed');
    assert.equal(commits.length, 1);
    const fields = commits[0]?.fields ?? {};
    assert.equal(fields.stream, 'orders');
    assert.equal(fields.baseOffset, 0);
    assert.equal(fields.count, 1);
    for (const key of ['partition', 'bytes', 'latencyMs'])
      assert.equal(typeof fields[key], 'number', key);
    assert.ok(!logger.text().includes('aGVsbG8') && !logger.text().includes('hello'));
    await ingestor.close();
  });

  it('answers 404 for an unknown subscription and writes nothing', async () => {
    const { ingestor, store } = setup();
    const request = push({});
    const body = JSON.parse(new TextDecoder().decode(request.body));
    body.subscription = 'projects/p/subscriptions/other';
    const answer = await ingestor.handlePush({
      ...request,
      body: new TextEncoder().encode(JSON.stringify(body)),
    });
    assert.equal(answer.status, 404);
    assert.equal((answer.body as { error: { status: string } }).error.status, 'NOT_FOUND');
    assert.equal(await countObjects(store), 0);
  });

  it('answers 400 for a body over the limit without parsing it', async () => {
    const { ingestor, store } = setup();
    const answer = await ingestor.handlePush({
      headers: {},
      body: new Uint8Array(64 * 1024 + 1),
      query: {},
    });
    assert.equal(answer.status, 400);
    assert.equal(await countObjects(store), 0);
  });
});

describe('Ingestor.handleEvent', () => {
  const event = (
    message: Record<string, unknown> = {},
    subscription = 'projects/p/subscriptions/eventarc-x',
  ) => ({
    id: 'e1',
    type: 'google.cloud.pubsub.topic.v1.messagePublished',
    source: '//pubsub.googleapis.com/projects/p/topics/orders',
    data: {
      message: { messageId: 'e1', publishTime: '2026-01-01T00:00:00Z', data: 'aGk=', ...message },
      subscription,
    },
  });

  it('routes by topic when Eventarc named the subscription, and stores the message', async () => {
    const { ingestor, store, stream } = setup();
    const result = await ingestor.handleEvent(event());
    assert.equal(result.kind, 'stored');
    assert.equal((await storedRecords(store, stream))[0]?.messageId, 'e1');
  });

  it('quarantines a rule-breaking event and returns', async () => {
    const { ingestor, store, stream } = setup();
    const result = await ingestor.handleEvent(event({ orderingKey: 'k'.repeat(2048) }));
    assert.equal(result.kind, 'quarantined');
    assert.equal((await quarantined(store, stream)).length, 1);
  });

  it('acknowledges a malformed event (logged) but throws on a retryable failure', async () => {
    const { ingestor } = setup({
      createWriter: () => ({
        append: async () => {
          throw new CascadeError('UNAVAILABLE', 'down');
        },
        close: async () => {},
      }),
    });
    assert.equal((await ingestor.handleEvent(event({ data: '%%' }))).kind, 'dropped');
    await assert.rejects(ingestor.handleEvent(event()), { code: 'UNAVAILABLE' });
  });
});
