import assert from 'node:assert/strict';
import { it } from 'node:test';
import {
  JobStore,
  type JobView,
  ReplayRunner,
  ReplayService,
  StreamCatalog,
} from '../../../src/replay/index.ts';
import { runTick } from '../../../src/scheduler/index.ts';
import { MemoryStore } from '../../../src/storage/index.ts';
import { FakePublisher, fillPartition, testStream } from '../replay/fixture.ts';

it('two ticks at once: every job is run by exactly one of them, and every record published once', async () => {
  // Prepare: three jobs over two partitions.
  const store = new MemoryStore();
  const stream = testStream('orders', 2);
  await fillPartition(store, stream, 0, 1500, { perObject: 500 });
  await fillPartition(store, stream, 1, 900, { perObject: 300 });
  const catalog = new StreamCatalog({ store, streams: [stream] });
  const jobs = new JobStore({ store, prefix: stream.prefix });
  const service = new ReplayService({ catalog, jobs });
  const ids: string[] = [];
  for (const partitions of [[0], [1], [0, 1]]) {
    const job = (await service.create({
      stream: 'orders',
      topic: 'projects/test/topics/out',
      partitions,
      dryRun: false,
    })) as JobView;
    ids.push(job.id);
  }
  const publishers = [new FakePublisher(), new FakePublisher()];
  const deps = publishers.map((publisher) => ({
    store,
    streams: [stream],
    jobs,
    runner: new ReplayRunner({ catalog, jobs, publisher, tuning: { batchRecords: 200 } }),
  }));
  // Act
  const results = await Promise.all(deps.map((d) => runTick(d, { budgetMs: 60_000 })));
  // Assess
  const ranBy = new Map<string, number>();
  for (const result of results) {
    for (const slice of result.replays) ranBy.set(slice.id, (ranBy.get(slice.id) ?? 0) + 1);
  }
  for (const id of ids) {
    assert.equal((await service.get(id)).state, 'done', id);
    assert.equal(ranBy.get(id), 1, `${id} ran in ${ranBy.get(id) ?? 0} ticks`);
  }
  const published = publishers.flatMap((p) => p.published);
  assert.equal(published.length, 1500 + 900 + 2400);
  const perJob = new Map<string, Set<string>>();
  for (const { message } of published) {
    const id = message.attributes['cascade.replay_id']!;
    const key = `${message.attributes['cascade.partition']}/${message.attributes['cascade.offset']}`;
    const seen = perJob.get(id) ?? new Set<string>();
    assert.ok(!seen.has(key), `${id} published ${key} twice`);
    seen.add(key);
    perJob.set(id, seen);
  }
  for (const result of results) assert.equal(result.maintenance.partitions, 2);
});
