import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { createApi, type Router } from '../../../src/api/index.ts';
import type { SubscriptionAdmin } from '../../../src/replay/index.ts';
import { JobStore, ReplayService, StreamCatalog } from '../../../src/replay/index.ts';
import { MemoryStore } from '../../../src/storage/index.ts';
import { fillPartition, recordAt, T0_MICROS, testStream } from '../replay/fixture.ts';
import { call } from './fake-http.ts';

const TOKEN = 'correct-horse-battery-staple';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const SUB = 'projects/test/subscriptions/orders-push';

async function snapshotOf(store: MemoryStore): Promise<string[]> {
  const names: string[] = [];
  for await (const info of store.list()) names.push(`${info.name}#${info.generation}`);
  return names;
}

describe('api over an in-memory store', () => {
  const store = new MemoryStore();
  const stream = testStream('orders', 2);
  let router: Router;
  const seeks: string[] = [];

  before(async () => {
    await fillPartition(store, stream, 0, 2500, { perObject: 1000 });
    await fillPartition(store, stream, 1, 40, { perObject: 40 });
    const catalog = new StreamCatalog({ store, streams: [stream] });
    const jobs = new JobStore({ store, prefix: stream.prefix });
    const admin: SubscriptionAdmin = {
      describe: async (name) => ({
        name,
        topic: 'projects/test/topics/orders',
        retentionMs: 7 * 86_400_000,
        retainAckedMessages: true,
      }),
      seekToTime: async (name, time) => {
        seeks.push(`${name}@${time.toISOString()}`);
      },
      seekToSnapshot: async (name, snapshot) => {
        seeks.push(`${name}@${snapshot}`);
      },
      listSnapshots: async () => [],
      createSnapshot: async (name) => ({ name, topic: 't', expireTime: new Date() }),
      deleteSnapshot: async () => {},
    };
    router = createApi(
      {
        catalog,
        replays: new ReplayService({ catalog, jobs }),
        admin,
        subscriptions: [SUB],
        clock: Date.now,
      },
      { bearerToken: TOKEN },
    );
  });

  it('lists streams and describes partitions', async () => {
    const list = await call(router, 'GET', '/v1/streams', { headers: AUTH });
    assert.equal(list.statusCode, 200);
    assert.deepEqual(list.json().streams, [
      { name: 'orders', partitions: 2, subscription: SUB, topic: 'projects/test/topics/orders' },
    ]);
    const detail = await call(router, 'GET', '/v1/streams/orders', { headers: AUTH });
    assert.equal(detail.statusCode, 200);
    const stats = detail.json().partitionStats as {
      startOffset: number;
      endOffset: number;
      minPublishTime: string;
    }[];
    assert.deepEqual(
      stats.map((p) => [p.startOffset, p.endOffset]),
      [
        [0, 2500],
        [0, 40],
      ],
    );
    assert.equal(
      stats[0]!.minPublishTime,
      new Date(T0_MICROS / 1000).toISOString().replace('Z', '000Z'),
    );
    assert.equal(detail.json().quarantined, 0);
  });

  it('pages through a partition by offset with nextOffset, matching what was written', async () => {
    let offset = 0;
    let seen = 0;
    for (let page = 0; page < 10 && offset < 2500; page++) {
      const res = await call(
        router,
        'GET',
        `/v1/streams/orders/partitions/0/records?offset=${offset}&limit=1000`,
        {
          headers: AUTH,
        },
      );
      assert.equal(res.statusCode, 200);
      const body = res.json() as unknown as {
        records: {
          offset: number;
          data: string;
          messageId: string;
          attributes: Record<string, string>;
        }[];
        nextOffset: number;
      };
      for (const r of body.records) {
        const want = recordAt(0, r.offset);
        assert.equal(r.offset, seen);
        assert.equal(r.messageId, want.messageId);
        assert.equal(Buffer.from(r.data, 'base64').toString(), Buffer.from(want.data).toString());
        assert.deepEqual(r.attributes, want.attributes);
        seen++;
      }
      offset = body.nextOffset;
    }
    assert.equal(seen, 2500);
    const end = await call(router, 'GET', '/v1/streams/orders/partitions/0/records?offset=2500', {
      headers: AUTH,
    });
    assert.equal(end.statusCode, 200);
    assert.deepEqual(end.json().records, []);
    assert.equal(end.json().nextOffset, 2500);
  });

  it('reads by time: the first record at or after it', async () => {
    const time = new Date(T0_MICROS / 1000 + 1234).toISOString();
    const res = await call(
      router,
      'GET',
      `/v1/streams/orders/partitions/0/records?time=${time}&limit=2`,
      {
        headers: AUTH,
      },
    );
    assert.equal(res.statusCode, 200);
    assert.deepEqual(
      (res.json().records as { offset: number }[]).map((r) => r.offset),
      [1234, 1235],
    );
  });

  it('streams NDJSON when asked', async () => {
    const res = await call(
      router,
      'GET',
      '/v1/streams/orders/partitions/0/records?offset=100&limit=1500',
      {
        headers: { ...AUTH, accept: 'application/x-ndjson' },
      },
    );
    assert.equal(res.statusCode, 200);
    assert.match(res.headers['content-type'] ?? '', /application\/x-ndjson/);
    const lines = res.text
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { offset: number });
    assert.equal(lines.length, 1500);
    assert.deepEqual(
      lines.map((l) => l.offset),
      Array.from({ length: 1500 }, (_, i) => 100 + i),
    );
  });

  it('seeks a configured subscription to a time within retention, and refuses an older one with the equivalent replay', async () => {
    const recent = new Date(Date.now() - 3_600_000).toISOString();
    const ok = await call(router, 'POST', '/v1/subscriptions/orders-push:seek', {
      headers: AUTH,
      json: { time: recent },
    });
    assert.equal(ok.statusCode, 200);
    assert.equal(seeks.length, 1);
    const old = new Date(Date.now() - 8 * 86_400_000).toISOString();
    const refused = await call(router, 'POST', '/v1/subscriptions/orders-push:seek', {
      headers: AUTH,
      json: { time: old },
    });
    assert.equal(refused.statusCode, 400);
    const details = refused.json().error!.details as {
      equivalentReplay: { stream: string; from: unknown; topic: string };
    };
    assert.equal(details.equivalentReplay.stream, 'orders');
    assert.deepEqual(details.equivalentReplay.from, { time: old });
    assert.equal(details.equivalentReplay.topic, 'projects/test/topics/orders');
    assert.equal(seeks.length, 1, 'nothing seeked');
    // The offered body is accepted by POST /v1/replays as it stands (as a dry run here).
    const dry = await call(router, 'POST', '/v1/replays', {
      headers: AUTH,
      json: { ...details.equivalentReplay, dryRun: true },
    });
    assert.equal(dry.statusCode, 200);
  });

  it('creates, reads, lists and cancels a replay job', async () => {
    const created = await call(router, 'POST', '/v1/replays', {
      headers: AUTH,
      json: {
        stream: 'orders',
        topic: 'projects/test/topics/out',
        from: { offset: 10 },
        to: { offset: 20 },
        ratePerSecond: 50,
      },
    });
    assert.equal(created.statusCode, 201);
    const id = created.json().id as string;
    assert.equal(created.json().total, 20);
    const got = await call(router, 'GET', `/v1/replays/${id}`, { headers: AUTH });
    assert.equal(got.json().state, 'pending');
    const list = await call(router, 'GET', '/v1/replays', { headers: AUTH });
    assert.ok((list.json().replays as { id: string }[]).some((j) => j.id === id));
    const cancelled = await call(router, 'DELETE', `/v1/replays/${id}`, { headers: AUTH });
    assert.equal(cancelled.json().state, 'cancelled');
  });

  const hostile: {
    name: string;
    method: string;
    url: string;
    headers?: Record<string, string>;
    auth?: boolean;
    body?: string;
    json?: unknown;
    status: number;
    code?: string;
  }[] = [
    {
      auth: false,
      name: 'no token',
      method: 'GET',
      url: '/v1/streams',
      headers: {},
      status: 401,
      code: 'UNAUTHENTICATED',
    },
    {
      auth: false,
      name: 'basic auth',
      method: 'GET',
      url: '/v1/streams',
      headers: { authorization: 'Basic Zm9vOmJhcg==' },
      status: 401,
    },
    {
      auth: false,
      name: 'wrong token',
      method: 'GET',
      url: '/v1/streams',
      headers: { authorization: 'Bearer nope' },
      status: 403,
      code: 'PERMISSION_DENIED',
    },
    {
      auth: false,
      name: 'forged long token',
      method: 'GET',
      url: '/v1/streams',
      headers: { authorization: `Bearer ${TOKEN}${'x'.repeat(5000)}` },
      status: 403,
    },
    {
      auth: false,
      name: 'token prefix',
      method: 'GET',
      url: '/v1/streams',
      headers: { authorization: `Bearer ${TOKEN.slice(0, -1)}` },
      status: 403,
    },
    {
      auth: false,
      name: 'no auth on unknown route',
      method: 'GET',
      url: '/v1/secret-route',
      headers: {},
      status: 401,
    },
    { name: 'unknown route', method: 'GET', url: '/v1/nothing', status: 404 },
    { name: 'wrong method', method: 'PUT', url: '/v1/streams', status: 405 },
    {
      name: 'unknown stream',
      method: 'GET',
      url: '/v1/streams/ghost/partitions/0/records',
      status: 404,
      code: 'NOT_FOUND',
    },
    {
      name: 'unknown partition',
      method: 'GET',
      url: '/v1/streams/orders/partitions/9/records',
      status: 404,
    },
    {
      name: 'partition not a number',
      method: 'GET',
      url: '/v1/streams/orders/partitions/x/records',
      status: 400,
    },
    {
      name: 'negative offset',
      method: 'GET',
      url: '/v1/streams/orders/partitions/0/records?offset=-1',
      status: 400,
      code: 'INVALID_ARGUMENT',
    },
    {
      name: 'offset not a number',
      method: 'GET',
      url: '/v1/streams/orders/partitions/0/records?offset=abc',
      status: 400,
    },
    {
      name: 'offset too large',
      method: 'GET',
      url: '/v1/streams/orders/partitions/0/records?offset=99999999999999999999',
      status: 400,
    },
    {
      name: 'offset past the end',
      method: 'GET',
      url: '/v1/streams/orders/partitions/0/records?offset=2501',
      status: 416,
      code: 'OFFSET_OUT_OF_RANGE',
    },
    {
      name: 'offset and time',
      method: 'GET',
      url: '/v1/streams/orders/partitions/0/records?offset=1&time=2026-01-01T00:00:00Z',
      status: 400,
    },
    {
      name: 'bad time',
      method: 'GET',
      url: '/v1/streams/orders/partitions/0/records?time=yesterday',
      status: 400,
    },
    {
      name: 'limit zero',
      method: 'GET',
      url: '/v1/streams/orders/partitions/0/records?limit=0',
      status: 400,
    },
    {
      name: 'huge JSON limit',
      method: 'GET',
      url: '/v1/streams/orders/partitions/0/records?limit=1000000',
      status: 400,
    },
    {
      name: 'limit in exponent form',
      method: 'GET',
      url: '/v1/streams/orders/partitions/0/records?limit=1e9',
      status: 400,
    },
    {
      name: 'repeated parameter',
      method: 'GET',
      url: '/v1/streams/orders/partitions/0/records?offset=1&offset=2',
      status: 400,
    },
    {
      name: 'unknown parameter',
      method: 'GET',
      url: '/v1/streams/orders/partitions/0/records?cursor=1',
      status: 400,
    },
    {
      name: 'malformed JSON',
      method: 'POST',
      url: '/v1/replays',
      headers: { 'content-type': 'application/json' },
      body: '{"stream": ',
      status: 400,
      code: 'BAD_REQUEST',
    },
    {
      name: 'wrong content type',
      method: 'POST',
      url: '/v1/replays',
      headers: { 'content-type': 'text/plain' },
      body: '{}',
      status: 415,
    },
    {
      name: 'no content type',
      method: 'POST',
      url: '/v1/replays',
      headers: {},
      body: '{}',
      status: 415,
    },
    {
      name: 'body too large',
      method: 'POST',
      url: '/v1/replays',
      headers: { 'content-type': 'application/json' },
      body: `"${'a'.repeat(1_100_000)}"`,
      status: 413,
    },
    {
      name: 'inverted offsets',
      method: 'POST',
      url: '/v1/replays',
      json: {
        stream: 'orders',
        topic: 'projects/p/topics/t',
        from: { offset: 9 },
        to: { offset: 3 },
      },
      status: 400,
    },
    {
      name: 'inverted times',
      method: 'POST',
      url: '/v1/replays',
      json: {
        stream: 'orders',
        topic: 'projects/p/topics/t',
        from: { time: '2026-01-02T00:00:00Z' },
        to: { time: '2026-01-01T00:00:00Z' },
      },
      status: 400,
    },
    {
      name: 'unknown field',
      method: 'POST',
      url: '/v1/replays',
      json: { stream: 'orders', topic: 'projects/p/topics/t', partition: 1 },
      status: 400,
    },
    {
      name: 'missing topic',
      method: 'POST',
      url: '/v1/replays',
      json: { stream: 'orders' },
      status: 400,
    },
    {
      name: 'bad topic name',
      method: 'POST',
      url: '/v1/replays',
      json: { stream: 'orders', topic: 'my-topic' },
      status: 400,
    },
    {
      name: 'zero rate',
      method: 'POST',
      url: '/v1/replays',
      json: { stream: 'orders', topic: 'projects/p/topics/t', ratePerSecond: 0 },
      status: 400,
    },
    {
      name: 'huge rate',
      method: 'POST',
      url: '/v1/replays',
      json: { stream: 'orders', topic: 'projects/p/topics/t', ratePerSecond: 1e12 },
      status: 400,
    },
    {
      name: 'replay of unknown stream',
      method: 'POST',
      url: '/v1/replays',
      json: { stream: 'ghost', topic: 'projects/p/topics/t' },
      status: 404,
    },
    {
      name: 'replay of unknown partition',
      method: 'POST',
      url: '/v1/replays',
      json: { stream: 'orders', partitions: [5], topic: 'projects/p/topics/t' },
      status: 404,
    },
    { name: 'body is an array', method: 'POST', url: '/v1/replays', json: [1, 2], status: 400 },
    { name: 'unknown job', method: 'GET', url: '/v1/replays/r-none', status: 404 },
    { name: 'job id with slash', method: 'DELETE', url: '/v1/replays/..%2F..%2Fx', status: 400 },
    {
      name: 'seek unconfigured subscription',
      method: 'POST',
      url: '/v1/subscriptions/other-sub:seek',
      json: { time: '2026-01-01T00:00:00Z' },
      status: 404,
    },
    {
      name: 'seek with both targets',
      method: 'POST',
      url: '/v1/subscriptions/orders-push:seek',
      json: { time: '2026-01-01T00:00:00Z', snapshot: 'snap' },
      status: 400,
    },
    { name: 'bad path escape', method: 'GET', url: '/v1/streams/%E0%A4%A', status: 400 },
  ];

  it('refuses hostile input with the documented status, in the error shape, changing nothing', async () => {
    const before = await snapshotOf(store);
    for (const c of hostile) {
      const res = await call(router, c.method, c.url, {
        headers: c.auth === false ? (c.headers ?? {}) : { ...AUTH, ...c.headers },
        ...(c.body !== undefined ? { body: c.body } : {}),
        ...(c.json !== undefined ? { json: c.json } : {}),
      });
      assert.equal(res.statusCode, c.status, `${c.name}: ${res.text.slice(0, 300)}`);
      const body = res.json();
      assert.equal(body.error?.code, c.status, c.name);
      assert.equal(typeof body.error?.message, 'string', c.name);
      if (c.code) assert.equal(body.error?.status, c.code, c.name);
      if (c.status === 401) {
        assert.equal(res.headers['www-authenticate'], 'Bearer realm="cascade"');
        assert.doesNotMatch(res.text, new RegExp(TOKEN), c.name);
      }
      if (c.status === 416) {
        assert.deepEqual(
          [body.error?.details.startOffset, body.error?.details.endOffset],
          [0, 2500],
        );
      }
    }
    assert.deepEqual(await snapshotOf(store), before);
  });

  it('documents every route in /v1/openapi.json', async () => {
    const res = await call(router, 'GET', '/v1/openapi.json', { headers: AUTH });
    assert.equal(res.statusCode, 200);
    const doc = res.json() as unknown as {
      openapi: string;
      paths: Record<
        string,
        Record<
          string,
          {
            parameters: { name: string; in: string }[];
            requestBody?: unknown;
            responses: Record<string, unknown>;
          }
        >
      >;
    };
    assert.equal(doc.openapi, '3.1.0');
    assert.ok(router.routes.length >= 12);
    for (const route of router.routes) {
      const op = doc.paths[route.path]?.[route.method.toLowerCase()];
      assert.ok(op, `${route.method} ${route.path} is not documented`);
      const templateParams = [...route.path.matchAll(/\{([a-zA-Z]+)\}/g)].map((m) => m[1]);
      for (const name of templateParams) {
        assert.ok(
          op.parameters.some((p) => p.name === name && p.in === 'path'),
          `${route.path}: ${name}`,
        );
      }
      assert.equal(op.requestBody !== undefined, route.body !== undefined, route.path);
      assert.ok(
        Object.keys(op.responses).includes('200') || Object.keys(op.responses).includes('201'),
      );
    }
    const records = doc.paths['/v1/streams/{stream}/partitions/{partition}/records']!.get!;
    assert.deepEqual(
      records.parameters
        .filter((p) => p.in === 'query')
        .map((p) => p.name)
        .sort(),
      ['limit', 'offset', 'time'],
    );
  });
});
