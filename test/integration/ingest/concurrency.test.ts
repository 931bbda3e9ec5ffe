// End to end under load: 2 functions-framework processes share one
// filesystem store and take 50,000 pushes over 200 concurrent connections,
// plus redeliveries of already acknowledged messages sent to the other
// process. Afterwards every partition must hold dense offsets, every
// acknowledged message exactly once at the offset its answer named, and no
// duplicate.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { loadConfig, type StreamConfig } from '../../../src/config/index.ts';
import { TailReader } from '../../../src/log/index.ts';
import { FsStore } from '../../../src/storage/index.ts';
import { type FunctionProcess, startFunction } from './function-process.ts';

const MESSAGES = 50_000;
const REDELIVERIES = 2_000;
const CONNECTIONS = 200;
const SUB = 'projects/p/subscriptions/load';
const document = {
  streams: [{ name: 'load', subscription: SUB, partitions: 4, lingerMs: 20 }],
};
const stream = loadConfig({ CASCADE_PUSH_AUTH: 'off', CASCADE_STREAMS: JSON.stringify(document) })
  .streams[0] as StreamConfig;

let dir: string;
let functions: FunctionProcess[] = [];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cascade-load-'));
  const env = {
    CASCADE_STORAGE: 'fs',
    CASCADE_DATA_DIR: dir,
    CASCADE_PUSH_AUTH: 'off',
    CASCADE_STREAMS: JSON.stringify(document),
    CASCADE_LOG_LEVEL: 'warn',
  };
  functions = await Promise.all([
    startFunction({ target: 'ingest', env }),
    startFunction({ target: 'ingest', env }),
  ]);
});

after(async () => {
  await Promise.all(functions.map((f) => f.stop()));
  await rm(dir, { recursive: true, force: true });
});

function post(agent: Agent, port: number, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/',
        agent,
        headers: { 'content-type': 'application/json' },
        timeout: 60_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

const envelope = (i: number) =>
  JSON.stringify({
    message: {
      data: Buffer.from(`payload ${i}`).toString('base64'),
      messageId: `msg-${i}`,
      publishTime: new Date(Date.UTC(2026, 0, 1) + i).toISOString(),
      attributes: { n: String(i) },
    },
    subscription: SUB,
  });

it(`${MESSAGES} pushes over ${CONNECTIONS} connections to 2 processes: dense offsets, no loss, no duplicate`, async () => {
  const agents = functions.map(() => new Agent({ keepAlive: true, maxSockets: CONNECTIONS / 2 }));
  const acked = new Map<string, { partition: number; offset: number }>();
  let retries = 0;
  let duplicatesAcked = 0;

  // Pub/Sub redelivers any non-2xx answer; so does this client (bounded).
  async function deliver(i: number, target: number): Promise<void> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const { status, text } = await post(
        agents[target] as Agent,
        (functions[target] as FunctionProcess).port,
        envelope(i),
      );
      if (status === 200) {
        const body = JSON.parse(text) as { partition: number; offset: number; duplicate: boolean };
        const known = acked.get(`msg-${i}`);
        if (body.duplicate) {
          duplicatesAcked++;
          if (known) assert.deepEqual({ partition: body.partition, offset: body.offset }, known);
        } else {
          assert.equal(known, undefined, `msg-${i} acknowledged as new twice`);
          acked.set(`msg-${i}`, { partition: body.partition, offset: body.offset });
        }
        return;
      }
      assert.ok(status === 429 || status === 503, `unexpected ${status}: ${text.slice(0, 200)}`);
      retries++;
      await new Promise((resolve) => setTimeout(resolve, 20 * (attempt + 1)));
    }
    assert.fail(`msg-${i} never acknowledged`);
  }

  // A fixed work list: every message once, then redeliveries of earlier ones to the other process.
  const work: [number, number][] = [];
  for (let i = 0; i < MESSAGES; i++) work.push([i, i % 2]);
  for (let k = 0; k < REDELIVERIES; k++) {
    const i = (k * 7919) % MESSAGES;
    work.splice(Math.min(work.length, i + 500 + k), 0, [i, (i + 1) % 2]);
  }
  let next = 0;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (next < work.length) {
        const [i, target] = work[next++] as [number, number];
        await deliver(i, target);
      }
    }),
  );
  for (const agent of agents) agent.destroy();

  // Assess: read the log back from the shared store.
  const store = new FsStore({ root: dir });
  const reader = new TailReader({ store, stream });
  const seen = new Map<string, { partition: number; offset: number }>();
  let objects = 0;
  for (let p = 0; p < stream.partitions; p++) {
    let expected = 0;
    for await (const chunk of reader.read(p, 0)) {
      objects++;
      for (const record of chunk.records) {
        assert.equal(record.offset, expected++, `partition ${p} offsets are dense`);
        assert.ok(!seen.has(record.messageId), `${record.messageId} stored twice`);
        seen.set(record.messageId, { partition: p, offset: record.offset });
      }
    }
  }
  await store.close();
  assert.equal(acked.size, MESSAGES);
  assert.equal(seen.size, MESSAGES, 'every message stored exactly once');
  for (const [id, where] of acked)
    assert.deepEqual(seen.get(id), where, `${id} is where its answer said`);
  assert.ok(duplicatesAcked >= REDELIVERIES, 'redeliveries were acknowledged as duplicates');
  console.log(
    `# ${MESSAGES} messages, ${duplicatesAcked} duplicates acknowledged, ${retries} retried answers, ${objects} data objects (${(MESSAGES / objects).toFixed(1)} messages per object)`,
  );
});
