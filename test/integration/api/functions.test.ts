import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FsStore } from '../../../src/storage/index.ts';
import { fillPartition, testStream } from '../../unit/replay/fixture.ts';
import { type FunctionProcess, startFunction } from '../ingest/function-process.ts';
import { PROJECT, type PubSubHarness, pullAll, startPubSub } from '../replay/pubsub-harness.ts';

// The api and scheduler targets as Cloud Run runs them: functions-framework
// processes loading functions/index.ts, configured only by environment.
describe('api and scheduler functions on functions-framework', () => {
  let h: PubSubHarness;
  let dir: string;
  let api: FunctionProcess;
  let scheduler: FunctionProcess;

  before(async () => {
    h = await startPubSub();
    dir = await mkdtemp(join(tmpdir(), 'cascade-fn-'));
    const store = new FsStore({ root: dir });
    await fillPartition(store, testStream('orders', 1), 0, 3000, { perObject: 1000 });
    await store.close();
    const [topic] = await h.pubsub.createTopic('fn-replay');
    await topic.createSubscription('fn-replay-sub');
    const env = {
      CASCADE_STORAGE: 'fs',
      CASCADE_DATA_DIR: dir,
      CASCADE_PUSH_AUTH: 'off',
      CASCADE_STREAMS: JSON.stringify({
        prefix: 'cascade/',
        streams: [
          {
            name: 'orders',
            subscription: `projects/${PROJECT}/subscriptions/orders-push`,
            partitions: 1,
          },
        ],
      }),
      CASCADE_SCHEDULER_BUDGET_MS: '20000',
      CASCADE_LOG_LEVEL: 'warn',
      GOOGLE_CLOUD_PROJECT: PROJECT,
      PUBSUB_EMULATOR_HOST: h.emulator.host,
    };
    [api, scheduler] = await Promise.all([
      startFunction({ target: 'api', env }),
      startFunction({ target: 'scheduler', env }),
    ]);
  });
  after(async () => {
    await Promise.all([api?.stop(), scheduler?.stop()]);
    await h.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('reads records, takes a replay job, and a scheduler tick publishes it', async () => {
    const page = await fetch(
      `${api.url}/v1/streams/orders/partitions/0/records?offset=2990&limit=50`,
    );
    assert.equal(page.status, 200, api.output());
    const body = (await page.json()) as { records: { offset: number }[]; nextOffset: number };
    assert.equal(body.records.length, 10);
    assert.equal(body.nextOffset, 3000);

    const outOfRange = await fetch(`${api.url}/v1/streams/orders/partitions/0/records?offset=3001`);
    assert.equal(outOfRange.status, 416);
    const wrongType = await fetch(`${api.url}/v1/replays`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'hello',
    });
    assert.equal(wrongType.status, 415);

    const created = await fetch(`${api.url}/v1/replays`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        stream: 'orders',
        topic: `projects/${PROJECT}/topics/fn-replay`,
        from: { offset: 1000 },
      }),
    });
    assert.equal(created.status, 201, api.output());
    const { id } = (await created.json()) as { id: string };

    const tick = await fetch(scheduler.url, { method: 'POST' });
    assert.equal(tick.status, 200, scheduler.output());
    const result = (await tick.json()) as {
      replays: { id: string; published: number; state: string }[];
    };
    assert.deepEqual(result.replays, [
      { id, ran: true, published: 2000, state: 'done', outOfTime: false },
    ]);
    const job = (await (await fetch(`${api.url}/v1/replays/${id}`)).json()) as {
      state: string;
      published: number;
    };
    assert.equal(job.state, 'done');
    assert.equal(job.published, 2000);
    const pulled = await pullAll(h, 'fn-replay-sub', { want: 2000, quietMs: 300 });
    assert.equal(pulled.length, 2000);

    const doc = await fetch(`${api.url}/v1/openapi.json`);
    assert.equal(((await doc.json()) as { openapi: string }).openapi, '3.1.0');
  });
});
